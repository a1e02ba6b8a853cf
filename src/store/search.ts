/**
 * Conversation search for operators: full-text over message text (FTS5 / tsvector),
 * channel, outcome (from the status and the event log) and sentiment (from the stored
 * NLU results of the customer's messages). One query finds the page of conversations and
 * summarises it; up to three more fill in their channels, CSAT ratings and matching messages.
 *
 * @module
 */
import type { Param, Row, SqlDriver } from './driver';
import type { ConversationOutcome, ConversationSearch, ConversationSummary, SentimentLabel } from './types';

/** The NLU's own thresholds (src/nlu/sentiment.ts). */
const POSITIVE = 0.1;
const NEGATIVE = -0.1;
const MAX_LIMIT = 200;
const MATCHES_PER_CONVERSATION = 3;

export const OUTCOMES: readonly ConversationOutcome[] = [
  'resolved',
  'handed_back',
  'cancelled',
  'queued',
  'assigned',
  'closed',
  'bot',
];

/** A conversation's outcome from its status and how its handoff ended (SQL expressions). */
const outcomeSql = (status: string, endedBy: string) => `CASE
  WHEN ${status} IN ('queued', 'assigned') THEN ${status}
  WHEN ${endedBy} = 'handoff_resolved' THEN 'resolved'
  WHEN ${endedBy} = 'handoff_handed_back' THEN 'handed_back'
  WHEN ${endedBy} = 'handoff_cancelled' THEN 'cancelled'
  WHEN ${status} = 'closed' THEN 'closed'
  ELSE 'bot' END`;

export function sentimentLabel(score: number): SentimentLabel {
  return score >= POSITIVE ? 'positive' : score <= NEGATIVE ? 'negative' : 'neutral';
}

/** The words of a query, as the message search reads them. */
function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Message ids matching all `text` words: the FTS5 / tsvector condition and its parameter. */
function textCondition(dialect: SqlDriver['dialect'], text: string): { sql: string; param: string } {
  const ws = words(text);
  return dialect === 'sqlite'
    ? {
        // Quote each word so FTS5 operators in user input are taken literally.
        sql: 'm.rowid IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)',
        param: ws.map((w) => `"${w}"`).join(' '),
      }
    : { sql: "m.tsv @@ plainto_tsquery('simple', ?)", param: ws.join(' ') };
}

/**
 * Runs a search. `indexPending` brings the SQLite full-text index up to date first (it
 * is filled off the hot path); it runs in the same transaction as the query.
 */
export async function searchConversations(
  db: SqlDriver,
  query: ConversationSearch,
  indexPending: (tx: SqlDriver) => Promise<unknown>,
): Promise<ConversationSummary[]> {
  const dialect = db.dialect;
  const score =
    dialect === 'sqlite'
      ? "CAST(json_extract(m.nlu, '$.sentiment.score') AS REAL)"
      : "CAST((m.nlu::json -> 'sentiment' ->> 'score') AS DOUBLE PRECISION)";
  const text = query.text !== undefined && words(query.text).length > 0 ? query.text : undefined;
  // Per conversation: how its handoff ended, its customer's average sentiment, its last message's time.
  const endedBy = `(SELECT e.type FROM conversation_events e
    WHERE e.conversation_id = c.id
      AND e.type IN ('handoff_resolved', 'handoff_handed_back', 'handoff_cancelled')
    ORDER BY e.created_at DESC, e.id DESC LIMIT 1)`;
  const sentimentAvg = `(SELECT AVG(${score}) FROM messages m
    WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.nlu IS NOT NULL)`;
  const lastMessageAt =
    '(SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.seq = c.last_seq)';

  // First the page: which conversations, most recent first. Only the filters asked for are
  // computed here, for every candidate; the summaries' other columns are computed for the
  // page alone (computing them for every conversation made a search scan them all).
  const where: string[] = [];
  const params: Param[] = [];
  if (query.conversationId !== undefined) {
    where.push('c.id = ?');
    params.push(query.conversationId);
  }
  if (query.customerId !== undefined) {
    where.push('c.customer_id = ?');
    params.push(query.customerId);
  }
  if (query.channel !== undefined) {
    where.push('c.id IN (SELECT m.conversation_id FROM messages m WHERE m.channel = ?)');
    params.push(query.channel);
  }
  let match: { sql: string; param: string } | undefined;
  if (text !== undefined) {
    match = textCondition(dialect, text);
    // Driven by the full-text index: the matching messages name their conversations.
    where.push(`c.id IN (SELECT m.conversation_id FROM messages m WHERE ${match.sql})`);
    params.push(match.param);
  }
  if (query.outcome !== undefined) {
    where.push(`(${outcomeSql('c.status', endedBy)}) = ?`);
    params.push(query.outcome);
  }
  if (query.sentiment === 'positive') where.push(`${sentimentAvg} >= ${POSITIVE}`);
  if (query.sentiment === 'negative') where.push(`${sentimentAvg} <= ${NEGATIVE}`);
  if (query.sentiment === 'neutral')
    where.push(`${sentimentAvg} > ${NEGATIVE} AND ${sentimentAvg} < ${POSITIVE}`);
  params.push(Math.min(Math.max(1, query.limit ?? 20), MAX_LIMIT));
  // One statement, so on PostgreSQL the page and its summaries come from one snapshot. The
  // page's LIMIT keeps it from being merged into the outer query (SQLite), so the summary
  // columns are computed for the page's rows only.
  const sql = `WITH page AS (
    SELECT c.id FROM conversations c
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY COALESCE(${lastMessageAt}, c.created_at) DESC, c.id DESC
    LIMIT ?
  )
  SELECT x.*, ${outcomeSql('x.status', 'x.ended_by')} AS outcome FROM (
    SELECT c.id, c.customer_id, c.status, c.last_channel, c.last_seq, c.created_at, c.closed_at,
      ${endedBy} AS ended_by,
      ${sentimentAvg} AS sentiment_avg,
      (SELECT m.nlu FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.nlu IS NOT NULL AND ${score} IS NOT NULL
        ORDER BY m.seq DESC LIMIT 1) AS last_nlu,
      ${lastMessageAt} AS last_message_at
    FROM page p JOIN conversations c ON c.id = p.id
  ) x
  ORDER BY COALESCE(x.last_message_at, x.created_at) DESC, x.id DESC`;

  return db.transaction(async (tx) => {
    if (text !== undefined && tx.dialect === 'sqlite') await indexPending(tx);
    const rows = await tx.all(sql, params);
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const marks = ids.map(() => '?').join(', ');
    const channels = new Map<string, string[]>();
    for (const r of await tx.all(
      `SELECT DISTINCT conversation_id, channel FROM messages WHERE conversation_id IN (${marks}) ORDER BY channel`,
      ids,
    )) {
      const list = channels.get(String(r.conversation_id)) ?? [];
      list.push(String(r.channel));
      channels.set(String(r.conversation_id), list);
    }
    const csat = new Map<string, number>();
    for (const r of await tx.all(
      `SELECT conversation_id, data FROM conversation_events
       WHERE type = 'csat' AND conversation_id IN (${marks}) ORDER BY created_at, id`,
      ids,
    )) {
      const rating = Number((parseJson(r.data) as { rating?: unknown } | null)?.rating);
      if (Number.isFinite(rating)) csat.set(String(r.conversation_id), rating);
    }
    const matches = new Map<string, ConversationSummary['matches']>();
    if (match) {
      for (const r of await tx.all(
        `SELECT m.id, m.conversation_id, m.seq, m.channel, m.author, m.text, m.created_at FROM messages m
         WHERE m.conversation_id IN (${marks}) AND ${match.sql} ORDER BY m.seq DESC`,
        [...ids, match.param],
      )) {
        const list = matches.get(String(r.conversation_id)) ?? [];
        if (list.length < MATCHES_PER_CONVERSATION) {
          list.push({
            messageId: String(r.id),
            seq: Number(r.seq),
            channel: String(r.channel),
            author: String(r.author) as ConversationSummary['matches'][number]['author'],
            text: String(r.text),
            createdAt: Number(r.created_at),
          });
        }
        matches.set(String(r.conversation_id), list);
      }
    }
    return rows.map((r) => toSummary(r, channels, csat, matches));
  });
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

function toSummary(
  r: Row,
  channels: Map<string, string[]>,
  csat: Map<string, number>,
  matches: Map<string, ConversationSummary['matches']>,
): ConversationSummary {
  const id = String(r.id);
  const average = r.sentiment_avg === null || r.sentiment_avg === undefined ? null : Number(r.sentiment_avg);
  const lastScore = (parseJson(r.last_nlu) as { sentiment?: { score?: unknown } } | null)?.sentiment?.score;
  const last = typeof lastScore === 'number' ? { score: lastScore, label: sentimentLabel(lastScore) } : null;
  return {
    id,
    customerId: String(r.customer_id),
    status: String(r.status) as ConversationSummary['status'],
    outcome: String(r.outcome) as ConversationOutcome,
    lastChannel: String(r.last_channel),
    channels: channels.get(id) ?? [],
    messageCount: Number(r.last_seq),
    sentiment: {
      average: average === null ? null : Math.round(average * 1000) / 1000,
      label: average === null ? null : sentimentLabel(average),
      last,
    },
    csat: csat.get(id) ?? null,
    createdAt: Number(r.created_at),
    lastMessageAt: Number(r.last_message_at ?? r.created_at),
    closedAt: r.closed_at === null || r.closed_at === undefined ? null : Number(r.closed_at),
    matches: matches.get(id) ?? [],
  };
}
