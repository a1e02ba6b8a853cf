/**
 * The review inbox: the customers' messages the bot did not handle well — out of scope
 * (no intent), low confidence, or *repaired* (the customer's next message was "talk to a
 * person", "cancel" or "start over") — grouped by similarity, so an author decides once
 * for every wording of one question. Messages leave the inbox when a decision covers them.
 *
 * Candidates are found by SQL (the range's conversations, their classified customer
 * messages); grouping is done here, on stemmed words: a message joins the first group whose
 * first message shares at least half of their words (Jaccard ≥ 0.5).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import stem from 'natural/lib/natural/stemmers/porter_stemmer';
import { jsonNumber, jsonText } from '../analytics/sql';
import type { SqlDriver } from '../store/driver';

export type ReviewReason = 'out_of_scope' | 'low_confidence' | 'repaired';

/** Below this confidence a matched intent is worth a look. */
export const LOW_CONFIDENCE = 0.6;
/** Intents whose arrival means the message before was not answered well. */
export const REPAIR_INTENTS = ['human', 'cancel', 'start_over'] as const;
const SIMILAR = 0.5;
const MAX_CANDIDATES = 5000;
const MESSAGES_PER_GROUP = 20;

export interface ReviewMessage {
  id: string;
  conversationId: string;
  text: string;
  channel: string;
  createdAt: number;
  intent: string | null;
  confidence: number | null;
  reason: ReviewReason;
}

export interface ReviewGroup {
  /** Stable while the group's first wording stays in the inbox. */
  id: string;
  /** The most common wording. */
  text: string;
  count: number;
  reasons: Partial<Record<ReviewReason, number>>;
  /** The intent the NLU leaned to most often, if any. */
  suggestedIntent: string | null;
  /** Distinct wordings, most frequent first. */
  texts: { text: string; count: number }[];
  /** The newest messages (at most 20). */
  messages: ReviewMessage[];
  /** Every message id in the group (what a decision takes out of the inbox). */
  messageIds: string[];
}

const STOPWORDS = new Set(
  'a an the i me my you your we our is are am be to of and or in on at for with it this that do does can could would please hi hello'.split(
    ' ',
  ),
);

/** The words that make two messages "the same question": lower-cased, stemmed, stopwords out. */
export function keyWords(text: string): string[] {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOPWORDS.has(w));
  return [...new Set(words.map((w) => stem.stem(w)))].sort();
}

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/** The inbox's candidate messages in [from, to), newest first. */
export async function reviewCandidates(
  db: SqlDriver,
  range: { from: number; to: number },
): Promise<ReviewMessage[]> {
  const d = db.dialect;
  const repair = REPAIR_INTENTS.map((i) => `'${i}'`).join(', ');
  const rows = await db.all(
    `WITH scope AS MATERIALIZED (
      SELECT c.id FROM conversations c WHERE c.created_at >= ? AND c.created_at < ?
    ),
    cm AS MATERIALIZED (
      SELECT m.id, m.conversation_id, m.text, m.channel, m.created_at,
        ${jsonText(d, 'm.nlu', 'intent')} AS intent, ${jsonNumber(d, 'm.nlu', 'confidence')} AS confidence
      FROM scope s CROSS JOIN messages m
      WHERE m.conversation_id = s.id AND m.direction = 'in' AND m.author = 'customer' AND m.nlu IS NOT NULL
    ),
    marked AS (
      SELECT cm.*, LEAD(cm.intent) OVER (PARTITION BY cm.conversation_id ORDER BY cm.created_at, cm.id) AS next_intent
      FROM cm
    )
    SELECT id, conversation_id, text, channel, created_at, intent, confidence,
      CASE WHEN intent IS NULL THEN 'out_of_scope' WHEN confidence < ? THEN 'low_confidence' ELSE 'repaired' END AS reason
    FROM marked
    WHERE (intent IS NULL OR intent NOT IN (${repair}))
      AND (intent IS NULL OR confidence < ? OR next_intent IN (${repair}))
      AND text <> ''
      AND NOT EXISTS (SELECT 1 FROM review_messages r WHERE r.message_id = marked.id)
    ORDER BY created_at DESC, id DESC
    LIMIT ?`,
    [range.from, range.to, LOW_CONFIDENCE, LOW_CONFIDENCE, MAX_CANDIDATES],
  );
  return rows.map((r) => ({
    id: String(r.id),
    conversationId: String(r.conversation_id),
    text: String(r.text),
    channel: String(r.channel),
    createdAt: Number(r.created_at),
    intent: r.intent === null || r.intent === undefined ? null : String(r.intent),
    confidence: r.confidence === null || r.confidence === undefined ? null : Number(r.confidence),
    reason: String(r.reason) as ReviewReason,
  }));
}

/** Groups messages by similarity; biggest groups first. */
export function groupMessages(messages: ReviewMessage[]): ReviewGroup[] {
  // The most frequent wordings seed the groups, so a group is named by its usual wording.
  const byText = new Map<string, ReviewMessage[]>();
  for (const m of messages) {
    const text = m.text.trim().toLowerCase();
    byText.set(text, [...(byText.get(text) ?? []), m]);
  }
  const wordings = [...byText.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  const groups: { seed: Set<string>; key: string; wordings: [string, ReviewMessage[]][] }[] = [];
  for (const wording of wordings) {
    const words = keyWords(wording[0]);
    const set = new Set(words);
    const home = groups.find((g) => similarity(g.seed, set) >= SIMILAR);
    if (home) home.wordings.push(wording);
    else groups.push({ seed: set, key: words.join(' ') || wording[0], wordings: [wording] });
  }
  return groups
    .map((g) => {
      const all = g.wordings.flatMap(([, list]) => list).sort((a, b) => b.createdAt - a.createdAt);
      const reasons: ReviewGroup['reasons'] = {};
      const intents = new Map<string, number>();
      for (const m of all) {
        reasons[m.reason] = (reasons[m.reason] ?? 0) + 1;
        if (m.intent) intents.set(m.intent, (intents.get(m.intent) ?? 0) + 1);
      }
      const suggested = [...intents.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
      return {
        id: `rg_${createHash('sha1').update(g.key).digest('hex').slice(0, 12)}`,
        text: g.wordings[0]?.[1][0]?.text.trim() ?? g.key,
        count: all.length,
        reasons,
        suggestedIntent: suggested,
        texts: g.wordings.map(([, list]) => ({ text: list[0]?.text.trim() ?? '', count: list.length })),
        messages: all.slice(0, MESSAGES_PER_GROUP),
        messageIds: all.map((m) => m.id),
      };
    })
    .sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
}
