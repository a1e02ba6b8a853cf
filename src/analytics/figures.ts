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

/**
 * The `scope` CTE (the filter's conversations, with the channel they started on) and its
 * parameters. Materialized: every figure reads it, and it is computed once.
 */
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
  const sql = `scope AS MATERIALIZED (
    SELECT sc.id, sc.status, sc.created_at, sc.channel FROM (
      SELECT c.id, c.status, c.created_at, COALESCE(fm.channel, c.last_channel) AS channel
      FROM conversations c LEFT JOIN messages fm ON fm.conversation_id = c.id AND fm.seq = 1
      WHERE c.created_at >= ? AND c.created_at < ? ${team}
    ) sc ${channel}
  )`;
  return { sql, params };
}

/**
 * The CTEs after `scope`, each materialized once: `ev` (the scope's desk events with their
 * JSON fields read once), `episodes` (one row per handoff request, with how and when it
 * ended and its first operator reply), `msgs` (the scope's messages, NLU fields read once).
 * `scope CROSS JOIN …` keeps SQLite looping over the scope and looking rows up by
 * conversation (a plain join let it scan every event and message of all time).
 */
function factsCtes(db: SqlDriver): string {
  const d = db.dialect;
  return `ev AS MATERIALIZED (
    SELECT e.conversation_id, e.id, e.type, e.created_at,
      ${jsonText(d, 'e.data', 'team')} AS team, ${jsonText(d, 'e.data', 'reason')} AS reason,
      ${jsonText(d, 'e.data', 'operatorId')} AS operator_id, ${jsonText(d, 'e.data', 'operatorName')} AS operator_name,
      CASE WHEN e.type = 'csat' THEN ${jsonNumber(d, 'e.data', 'rating')} END AS rating
    FROM scope s CROSS JOIN conversation_events e
    WHERE e.conversation_id = s.id AND e.type IN ('handoff_requested', 'handoff_claimed', 'handoff_resolved', 'handoff_handed_back',
      'handoff_cancelled', 'csat')
  ),
  episodes AS MATERIALIZED (
    SELECT x.conversation_id, x.created_at AS requested_at, COALESCE(x.team, '') AS team,
      COALESCE(x.reason, '') AS reason,
      CASE WHEN x.next_type IN ${ENDS} THEN x.next_at END AS ended_at,
      CASE WHEN x.next_type IN ${ENDS} THEN x.next_type END AS ended_by,
      CASE WHEN x.next_type IN ${ENDS} THEN x.next_operator END AS ended_by_operator,
      (SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = x.conversation_id AND m.author = 'operator' AND m.created_at >= x.created_at
          AND (x.next_type NOT IN ${ENDS} OR x.next_type IS NULL OR m.created_at <= x.next_at)) AS first_reply_at
    FROM (
      SELECT ev.conversation_id, ev.type, ev.created_at, ev.team, ev.reason,
        LEAD(ev.created_at) OVER w AS next_at, LEAD(ev.type) OVER w AS next_type,
        LEAD(ev.operator_id) OVER w AS next_operator
      FROM ev WHERE ev.type = 'handoff_requested' OR ev.type IN ${ENDS}
      WINDOW w AS (PARTITION BY ev.conversation_id ORDER BY ev.created_at, ev.id)
    ) x
    WHERE x.type = 'handoff_requested'
  ),
  msgs AS MATERIALIZED (
    SELECT m.conversation_id, m.author, m.channel, m.created_at / ${HOUR} AS h,
      CASE WHEN m.nlu IS NOT NULL THEN 1 ELSE 0 END AS classified,
      ${jsonText(d, 'm.nlu', 'intent')} AS intent, ${jsonNumber(d, 'm.nlu', 'sentiment', 'score')} AS score
    FROM scope s CROSS JOIN messages m
    WHERE m.conversation_id = s.id AND ((m.direction = 'in' AND m.author = 'customer') OR m.author = 'operator')
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
  // One statement, so each CTE is computed once and, on PostgreSQL, from one snapshot. Its
  // rows are tagged by figure (`kind`), with keys k / k2 and numbers a–d.
  const num = (x: string) => `CAST(${x} AS ${d === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION'})`;
  const row = (kind: string, k: string, k2: string, ...values: string[]) => {
    const four = [...values, 'NULL', 'NULL', 'NULL', 'NULL'].slice(0, 4).map(num);
    return `SELECT '${kind}' AS kind, CAST(${k} AS TEXT) AS k, CAST(${k2} AS TEXT) AS k2, ${four
      .map((v, i) => `${v} AS ${'abcd'[i]}`)
      .join(', ')}`;
  };
  const done = "ended_by IN ('handoff_resolved', 'handoff_handed_back')";
  const sql = `WITH ${scope.sql}, ${factsCtes(db)},
  per_conversation AS MATERIALIZED (
    SELECT s.id, s.status, COALESCE(SUM(f.human), 0) AS human, COALESCE(SUM(f.requested), 0) AS requested
    FROM scope s LEFT JOIN (
      SELECT conversation_id, CASE WHEN type = 'handoff_claimed' THEN 1 ELSE 0 END AS human,
        CASE WHEN type = 'handoff_requested' THEN 1 ELSE 0 END AS requested FROM ev
      UNION ALL SELECT conversation_id, 1, 0 FROM msgs WHERE author = 'operator'
    ) f ON f.conversation_id = s.id
    GROUP BY s.id, s.status
  )
  ${row('head', 'NULL', 'NULL', 'COUNT(*)', "SUM(CASE WHEN status NOT IN ('queued', 'assigned') AND human = 0 THEN 1 ELSE 0 END)", 'SUM(CASE WHEN requested > 0 THEN 1 ELSE 0 END)')} FROM per_conversation
  UNION ALL ${row('reason', 'reason', 'NULL', 'COUNT(*)')} FROM episodes GROUP BY reason
  UNION ALL SELECT 'pct', g, NULL, ${num('n')}, ${num('p50')}, ${num('p90')}, NULL FROM (${percentilesSql(`
    SELECT 'reply|*' AS g, first_reply_at - requested_at AS v FROM episodes WHERE first_reply_at IS NOT NULL
    UNION ALL SELECT 'reply|' || team, first_reply_at - requested_at FROM episodes WHERE first_reply_at IS NOT NULL
    UNION ALL SELECT 'resolution|*', ended_at - requested_at FROM episodes WHERE ${done}
    UNION ALL SELECT 'resolution|' || team, ended_at - requested_at FROM episodes WHERE ${done}
    UNION ALL SELECT 'operator|' || ended_by_operator, ended_at - requested_at FROM episodes
      WHERE ${done} AND ended_by_operator IS NOT NULL`)}) pct
  UNION ALL ${row(
    'team',
    'team',
    'NULL',
    'COUNT(*)',
    "SUM(CASE WHEN ended_by = 'handoff_resolved' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN ended_by = 'handoff_handed_back' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN ended_by = 'handoff_cancelled' THEN 1 ELSE 0 END)",
  )} FROM episodes GROUP BY team
  UNION ALL ${row(
    'operator',
    'operator_id',
    'MAX(operator_name)',
    "SUM(CASE WHEN type = 'handoff_claimed' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN type = 'handoff_resolved' THEN 1 ELSE 0 END)",
    "SUM(CASE WHEN type = 'handoff_handed_back' THEN 1 ELSE 0 END)",
  )} FROM ev
    WHERE type IN ('handoff_claimed', 'handoff_resolved', 'handoff_handed_back') AND operator_id IS NOT NULL
    GROUP BY operator_id
  UNION ALL ${row('csat', "COALESCE(operator_id, '')", 'MAX(operator_name)', 'COUNT(*)', 'SUM(rating)')} FROM ev
    WHERE type = 'csat' AND rating IS NOT NULL GROUP BY COALESCE(operator_id, '')
  UNION ALL ${row('channel_conversations', 'channel', 'NULL', 'COUNT(*)')} FROM scope GROUP BY channel
  UNION ALL ${row('channel_messages', 'channel', 'NULL', 'COUNT(*)')} FROM msgs WHERE author = 'customer' GROUP BY channel
  UNION ALL ${row('hour_conversations', 'NULL', 'NULL', `created_at / ${HOUR}`, 'COUNT(*)')} FROM scope
    GROUP BY created_at / ${HOUR}
  UNION ALL ${row('hour_messages', 'NULL', 'NULL', 'h', 'COUNT(*)', 'AVG(score)')} FROM msgs WHERE author = 'customer'
    GROUP BY h
  UNION ALL ${row('intent', 'intent', 'NULL', 'COUNT(*)')} FROM msgs WHERE author = 'customer' AND classified = 1
    GROUP BY intent`;
  const rows = await db.all(sql, scope.params);
  const kind = (name: string) => rows.filter((r) => r.kind === name);
  const byCount = (a: Row, b: Row) => n(b.a) - n(a.a) || String(a.k ?? '').localeCompare(String(b.k ?? ''));
  const headline: Row[] = kind('head').map((r) => ({ conversations: r.a, automated: r.b, handed_off: r.c }));
  const reasons = kind('reason')
    .sort(byCount)
    .map((r) => ({ reason: r.k, n: r.a }));
  const durations = kind('pct').map((r) => ({ g: r.k, n: r.a, p50: r.b, p90: r.c }));
  const teams = kind('team')
    .sort(byCount)
    .map((r) => ({ team: r.k, handoffs: r.a, resolved: r.b, handed_back: r.c, cancelled: r.d }));
  const operators = kind('operator')
    .sort((a, b) => String(a.k).localeCompare(String(b.k)))
    .map((r) => ({ operator_id: r.k, operator_name: r.k2, claimed: r.a, resolved: r.b, handed_back: r.c }));
  const csat = kind('csat').map((r) => ({ operator_id: r.k, operator_name: r.k2, n: r.a, total: r.b }));
  const channels = [
    ...kind('channel_conversations').map((r) => ({ what: 'conversations', channel: r.k, n: r.a })),
    ...kind('channel_messages').map((r) => ({ what: 'messages', channel: r.k, n: r.a })),
  ];
  const hours = [
    ...kind('hour_conversations').map((r) => ({ what: 'conversations', h: r.a, n: r.b, sentiment: null })),
    ...kind('hour_messages').map((r) => ({ what: 'messages', h: r.a, n: r.b, sentiment: r.c })),
  ];
  const intents = kind('intent')
    .sort(byCount)
    .map((r) => ({ intent: r.k, n: r.a }));

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
