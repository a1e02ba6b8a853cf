/**
 * The analytics' figures, each computed by SQL over the store's own tables (conversations,
 * messages, conversation_events): the same statements on SQLite and PostgreSQL. Every
 * figure describes the conversations a {@link AnalyticsFilter} selects — started in the
 * range, on the channel, handed to the team — and everything that happened in them.
 *
 * A handoff *episode* runs from a `handoff_requested` event to the next event that ends a
 * handoff (`handoff_resolved`, `handoff_handed_back`, `handoff_cancelled`) in the same
 * conversation, or is still open. Time to first human reply is from the request to the
 * first operator message in the episode; resolution time from the request to a resolve or
 * hand-back. Definitions for readers: docs/api.md.
 *
 * @module
 */
import type { Param, Row, SqlDriver } from '../store/driver';
import { jsonNumber, jsonText, percentilesSql } from './sql';
import type { Analytics, AnalyticsFilter, Percentiles } from './types';

const HOUR = 3_600_000;
const TOP_INTENTS = 10;
const ENDS = "('handoff_resolved', 'handoff_handed_back', 'handoff_cancelled')";

/** The `scope` CTE (the filter's conversations, with the channel they started on) and its parameters. */
function scopeCte(db: SqlDriver, filter: AnalyticsFilter): { sql: string; params: Param[] } {
  const params: Param[] = [filter.from, filter.to];
  let team = '';
  if (filter.team !== undefined) {
    team = `AND EXISTS (SELECT 1 FROM conversation_events e WHERE e.conversation_id = c.id
      AND e.type = 'handoff_requested' AND ${jsonText(db.dialect, 'e.data', 'team')} = ?)`;
    params.push(filter.team);
  }
  let channel = '';
  if (filter.channel !== undefined) {
    channel = 'WHERE sc.channel = ?';
    params.push(filter.channel);
  }
  const sql = `scope AS (
    SELECT sc.id, sc.status, sc.created_at, sc.channel FROM (
      SELECT c.id, c.status, c.created_at,
        COALESCE((SELECT m.channel FROM messages m WHERE m.conversation_id = c.id ORDER BY m.seq LIMIT 1),
          c.last_channel) AS channel
      FROM conversations c
      WHERE c.created_at >= ? AND c.created_at < ? ${team}
    ) sc ${channel}
  )`;
  return { sql, params };
}

/** The `episodes` CTE (needs `scope`): one row per handoff request, with how and when it ended. */
function episodesCte(db: SqlDriver): string {
  const d = db.dialect;
  return `episodes AS (
    SELECT x.conversation_id, x.created_at AS requested_at,
      COALESCE(x.team, '') AS team, COALESCE(x.reason, '') AS reason,
      CASE WHEN x.next_type IN ${ENDS} THEN x.next_at END AS ended_at,
      CASE WHEN x.next_type IN ${ENDS} THEN x.next_type END AS ended_by,
      CASE WHEN x.next_type IN ${ENDS} THEN ${jsonText(d, 'x.next_data', 'operatorId')} END AS ended_by_operator,
      (SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = x.conversation_id AND m.author = 'operator' AND m.created_at >= x.created_at
          AND (x.next_type NOT IN ${ENDS} OR x.next_type IS NULL OR m.created_at <= x.next_at)) AS first_reply_at
    FROM (
      SELECT e.conversation_id, e.type, e.created_at,
        ${jsonText(d, 'e.data', 'team')} AS team, ${jsonText(d, 'e.data', 'reason')} AS reason,
        LEAD(e.created_at) OVER w AS next_at, LEAD(e.type) OVER w AS next_type, LEAD(e.data) OVER w AS next_data
      FROM conversation_events e JOIN scope s ON s.id = e.conversation_id
      WHERE e.type = 'handoff_requested' OR e.type IN ${ENDS}
      WINDOW w AS (PARTITION BY e.conversation_id ORDER BY e.created_at, e.id)
    ) x
    WHERE x.type = 'handoff_requested'
  )`;
}

const n = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const orNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;
const rate = (part: number, whole: number): number | null => (whole === 0 ? null : round(part / whole));
const seconds = (ms: unknown): number | null => (ms === null || ms === undefined ? null : Number(ms) / 1000);
const NO_PERCENTILES: Percentiles = { p50: null, p90: null, count: 0 };

/** Computes every figure for `filter`. Reads only; several statements, no transaction (reads never block writers). */
export async function computeAnalytics(db: SqlDriver, filter: AnalyticsFilter): Promise<Analytics> {
  const d = db.dialect;
  const scope = scopeCte(db, filter);
  const withScope = `WITH ${scope.sql}`;
  const withEpisodes = `WITH ${scope.sql}, ${episodesCte(db)}`;
  const all = (sql: string) => db.all(sql, scope.params);
  const customerMessages = `messages m JOIN scope s ON s.id = m.conversation_id
    WHERE m.direction = 'in' AND m.author = 'customer'`;

  const [headline, reasons, durations, teams, operators, csat, channels, hours, intents] = await Promise.all([
    all(`${withScope}
      SELECT COUNT(*) AS conversations,
        SUM(CASE WHEN s.status NOT IN ('queued', 'assigned')
          AND NOT EXISTS (SELECT 1 FROM conversation_events e WHERE e.conversation_id = s.id AND e.type = 'handoff_claimed')
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = s.id AND m.author = 'operator')
          THEN 1 ELSE 0 END) AS automated,
        SUM(CASE WHEN EXISTS (SELECT 1 FROM conversation_events e WHERE e.conversation_id = s.id AND e.type = 'handoff_requested')
          THEN 1 ELSE 0 END) AS handed_off
      FROM scope s`),
    all(`${withEpisodes}
      SELECT reason, COUNT(*) AS n FROM episodes GROUP BY reason ORDER BY n DESC, reason`),
    // Every duration in one statement, grouped as "<figure>|<team or operator>", '*' for all.
    all(`${withEpisodes}, ep AS ${d === 'postgres' ? 'MATERIALIZED ' : ''}(SELECT * FROM episodes)
      ${percentilesSql(`
        SELECT 'reply|*' AS g, first_reply_at - requested_at AS v FROM ep WHERE first_reply_at IS NOT NULL
        UNION ALL SELECT 'reply|' || team, first_reply_at - requested_at FROM ep WHERE first_reply_at IS NOT NULL
        UNION ALL SELECT 'resolution|*', ended_at - requested_at FROM ep WHERE ended_by IN ('handoff_resolved', 'handoff_handed_back')
        UNION ALL SELECT 'resolution|' || team, ended_at - requested_at FROM ep WHERE ended_by IN ('handoff_resolved', 'handoff_handed_back')
        UNION ALL SELECT 'operator|' || ended_by_operator, ended_at - requested_at FROM ep
          WHERE ended_by IN ('handoff_resolved', 'handoff_handed_back') AND ended_by_operator IS NOT NULL`)}`),
    all(`${withEpisodes}
      SELECT team, COUNT(*) AS handoffs,
        SUM(CASE WHEN ended_by = 'handoff_resolved' THEN 1 ELSE 0 END) AS resolved,
        SUM(CASE WHEN ended_by = 'handoff_handed_back' THEN 1 ELSE 0 END) AS handed_back,
        SUM(CASE WHEN ended_by = 'handoff_cancelled' THEN 1 ELSE 0 END) AS cancelled
      FROM episodes GROUP BY team ORDER BY handoffs DESC, team`),
    all(`${withScope}
      SELECT op.operator_id, MAX(op.operator_name) AS operator_name,
        SUM(CASE WHEN op.type = 'handoff_claimed' THEN 1 ELSE 0 END) AS claimed,
        SUM(CASE WHEN op.type = 'handoff_resolved' THEN 1 ELSE 0 END) AS resolved,
        SUM(CASE WHEN op.type = 'handoff_handed_back' THEN 1 ELSE 0 END) AS handed_back
      FROM (
        SELECT e.type, ${jsonText(d, 'e.data', 'operatorId')} AS operator_id,
          ${jsonText(d, 'e.data', 'operatorName')} AS operator_name
        FROM conversation_events e JOIN scope s ON s.id = e.conversation_id
        WHERE e.type IN ('handoff_claimed', 'handoff_resolved', 'handoff_handed_back')
      ) op
      WHERE op.operator_id IS NOT NULL
      GROUP BY op.operator_id ORDER BY op.operator_id`),
    all(`${withScope}
      SELECT COALESCE(r.operator_id, '') AS operator_id, MAX(r.operator_name) AS operator_name,
        COUNT(*) AS n, SUM(r.rating) AS total
      FROM (
        SELECT ${jsonNumber(d, 'e.data', 'rating')} AS rating, ${jsonText(d, 'e.data', 'operatorId')} AS operator_id,
          ${jsonText(d, 'e.data', 'operatorName')} AS operator_name
        FROM conversation_events e JOIN scope s ON s.id = e.conversation_id
        WHERE e.type = 'csat'
      ) r
      WHERE r.rating IS NOT NULL
      GROUP BY COALESCE(r.operator_id, '')`),
    all(`${withScope}
      SELECT 'conversations' AS what, s.channel, COUNT(*) AS n FROM scope s GROUP BY s.channel
      UNION ALL
      SELECT 'messages', m.channel, COUNT(*) FROM ${customerMessages} GROUP BY m.channel`),
    all(`${withScope}
      SELECT 'conversations' AS what, s.created_at / ${HOUR} AS h, COUNT(*) AS n, NULL AS sentiment
        FROM scope s GROUP BY s.created_at / ${HOUR}
      UNION ALL
      SELECT 'messages', m.created_at / ${HOUR}, COUNT(*), AVG(${jsonNumber(d, 'm.nlu', 'sentiment', 'score')})
        FROM ${customerMessages} GROUP BY m.created_at / ${HOUR}`),
    all(`${withScope}
      SELECT i.intent, COUNT(*) AS n FROM (
        SELECT ${jsonText(d, 'm.nlu', 'intent')} AS intent FROM ${customerMessages} AND m.nlu IS NOT NULL
      ) i GROUP BY i.intent ORDER BY n DESC, i.intent`),
  ]);

  const head = headline[0] ?? {};
  const conversations = n(head.conversations);
  const percentiles = new Map<string, Percentiles>(
    durations.map((r) => [String(r.g), { p50: seconds(r.p50), p90: seconds(r.p90), count: n(r.n) }]),
  );
  const p = (key: string) => percentiles.get(key) ?? NO_PERCENTILES;

  const csatBy = new Map(csat.map((r) => [String(r.operator_id), r]));
  const csatOf = (rows: Row[]) => {
    const count = rows.reduce((sum, r) => sum + n(r.n), 0);
    const total = rows.reduce((sum, r) => sum + n(r.total), 0);
    return { average: count === 0 ? null : round(total / count, 3), count };
  };

  const byChannel = new Map<string, { channel: string; conversations: number; messages: number }>();
  for (const r of channels) {
    const channel = String(r.channel);
    const entry = byChannel.get(channel) ?? { channel, conversations: 0, messages: 0 };
    if (r.what === 'conversations') entry.conversations = n(r.n);
    else entry.messages = n(r.n);
    byChannel.set(channel, entry);
  }

  const byHour = new Map<number, Analytics['byHour'][number]>();
  for (const r of hours) {
    const h = n(r.h);
    const entry = byHour.get(h) ?? {
      hour: new Date(h * HOUR).toISOString(),
      conversations: 0,
      messages: 0,
      sentiment: null,
    };
    if (r.what === 'conversations') entry.conversations = n(r.n);
    else {
      entry.messages = n(r.n);
      const s = orNull(r.sentiment);
      entry.sentiment = s === null ? null : round(s, 3);
    }
    byHour.set(h, entry);
  }

  const classified = intents.reduce((sum, r) => sum + n(r.n), 0);
  const outOfScope = n(intents.find((r) => r.intent === null || r.intent === undefined)?.n);

  return {
    from: new Date(filter.from).toISOString(),
    to: new Date(filter.to).toISOString(),
    channel: filter.channel ?? null,
    team: filter.team ?? null,
    conversations,
    automationRate: rate(n(head.automated), conversations),
    handoffRate: rate(n(head.handed_off), conversations),
    handoffReasons: reasons.map((r) => ({ reason: String(r.reason), count: n(r.n) })),
    firstHumanReplySeconds: p('reply|*'),
    resolutionSeconds: p('resolution|*'),
    csat: csatOf(csat),
    outOfScopeRate: rate(outOfScope, classified),
    byChannel: [...byChannel.values()].sort(
      (a, b) =>
        b.conversations - a.conversations || b.messages - a.messages || a.channel.localeCompare(b.channel),
    ),
    byHour: [...byHour.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry),
    topIntents: intents
      .filter((r) => r.intent !== null && r.intent !== undefined)
      .slice(0, TOP_INTENTS)
      .map((r) => ({ intent: String(r.intent), count: n(r.n) })),
    byTeam: teams.map((r) => ({
      team: String(r.team),
      handoffs: n(r.handoffs),
      resolved: n(r.resolved),
      handedBack: n(r.handed_back),
      cancelled: n(r.cancelled),
      firstHumanReplySeconds: p(`reply|${String(r.team)}`),
      resolutionSeconds: p(`resolution|${String(r.team)}`),
    })),
    byOperator: operators.map((r) => {
      const id = String(r.operator_id);
      const rated = csatBy.get(id);
      return {
        operatorId: id,
        operatorName:
          r.operator_name === null || r.operator_name === undefined ? null : String(r.operator_name),
        claimed: n(r.claimed),
        resolved: n(r.resolved),
        handedBack: n(r.handed_back),
        resolutionSeconds: p(`operator|${id}`),
        csat: csatOf(rated ? [rated] : []),
      };
    }),
  };
}
