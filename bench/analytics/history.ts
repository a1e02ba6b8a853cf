/**
 * A generated conversation history whose true analytics are known: the generator writes
 * conversations, messages and events straight into the store's tables (as the inbox, the
 * worker and the desk would have), and records, for every conversation, what it made —
 * its channel, its handoff episodes, who replied when, the ratings. {@link expectedAnalytics}
 * computes the figures from that record in plain TypeScript, independently of the SQL, so
 * the analytics tests and the benchmark compare the two.
 *
 * @module
 */
import type { Param, SqlDriver } from '../../src/store/driver';

/** What a generated conversation is, as the generator knows it. */
export interface GeneratedConversation {
  id: string;
  createdAt: number;
  status: 'bot' | 'closed' | 'queued' | 'assigned';
  /** The channel of its first message. */
  channel: string;
  /** Customer messages: channel, time, intent (null: out of scope), sentiment, text. */
  customerMessages: { channel: string; at: number; intent: string | null; sentiment: number; text: string }[];
  episodes: {
    team: string;
    reason: string;
    requestedAt: number;
    claimedBy?: { id: string; name: string };
    firstReplyAt?: number;
    ended?: {
      by: 'handoff_resolved' | 'handoff_handed_back' | 'handoff_cancelled';
      at: number;
      operatorId?: string;
    };
  }[];
  csat: { rating: number; operatorId: string; operatorName: string }[];
}

export interface HistoryOptions {
  /** Conversations to write. */
  conversations: number;
  /** The history spans [start, start + spanMs). */
  start: number;
  spanMs: number;
  seed?: number;
}

export const CHANNELS = ['web', 'whatsapp', 'telegram', 'messenger'] as const;
export const TEAMS = ['support', 'billing', 'sales'] as const;
export const OPERATORS = [
  { id: 'U_ADA', name: 'Ada' },
  { id: 'U_BO', name: 'Bo' },
  { id: 'U_CY', name: 'Cy' },
] as const;
const REASONS = [
  'The customer asked for a person',
  'The customer could not be understood',
  'Refund request',
  'Negative sentiment',
];
const INTENTS: Record<string, string[]> = {
  greeting: ['hi there', 'hello', 'good morning'],
  opening_hours: ['when are you open', 'what are your opening hours', 'are you open on sunday'],
  shipping_costs: ['how much is shipping', 'what does delivery cost', 'shipping price to france'],
  order_status: ['where is my order', 'where is my parcel', 'has my order shipped'],
  returns: ['how do I return an item', 'can I send this back', 'return policy'],
};
/** Out-of-scope questions, in families of near-identical wordings (what the review inbox groups). */
export const OUT_OF_SCOPE_FAMILIES: string[][] = [
  ['do you sell gift cards', 'can I buy a gift card', 'gift cards available?', 'do you have gift cards'],
  ['can I pay with paypal', 'do you accept paypal', 'paypal payment possible?'],
  ['is there a student discount', 'student discount please', 'do students get a discount'],
  ['what is the weather tomorrow', 'will it rain tomorrow'],
];

/** mulberry32: a small deterministic PRNG, so a seed always gives the same history. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rows {
  customers: Param[][];
  identities: Param[][];
  conversations: Param[][];
  messages: Param[][];
  events: Param[][];
}

/** Writes a history into the store's tables and returns what it wrote. */
export async function generateHistory(
  db: SqlDriver,
  options: HistoryOptions,
): Promise<GeneratedConversation[]> {
  const rand = random(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const intentNames = Object.keys(INTENTS);
  const generated: GeneratedConversation[] = [];
  const rows: Rows = { customers: [], identities: [], conversations: [], messages: [], events: [] };

  for (let i = 0; i < options.conversations; i++) {
    const id = `cnv_gen_${String(i).padStart(7, '0')}`;
    const customerId = `cus_gen_${String(i).padStart(7, '0')}`;
    const createdAt = options.start + Math.floor(rand() * options.spanMs);
    const first = pick(CHANNELS);
    let channel: string = first;
    let t = createdAt;
    let seq = 0;
    let eventNo = 0;
    const c: GeneratedConversation = {
      id,
      createdAt,
      status: 'bot',
      channel: first,
      customerMessages: [],
      episodes: [],
      csat: [],
    };
    const message = (
      author: 'customer' | 'bot' | 'operator' | 'system',
      text: string,
      extra: { nlu?: unknown; name?: string } = {},
    ) => {
      seq++;
      rows.messages.push([
        `msg_${id.slice(4)}_${seq}`,
        id,
        customerId,
        seq,
        author === 'customer' ? 'in' : 'out',
        author,
        extra.name ?? null,
        channel,
        JSON.stringify({ type: 'text', text }),
        text,
        extra.nlu === undefined ? null : JSON.stringify(extra.nlu),
        author === 'customer' ? 'received' : 'sent',
        author === 'customer' ? t : null,
        t,
      ]);
    };
    const event = (type: string, data: Record<string, unknown>) => {
      eventNo++;
      rows.events.push([
        `evt_${id.slice(4)}_${String(eventNo).padStart(3, '0')}`,
        id,
        type,
        JSON.stringify(data),
        t,
      ]);
    };
    const customerSays = () => {
      // One conversation in ten moves to another channel half-way (omnichannel).
      if (seq > 2 && rand() < 0.1) channel = pick(CHANNELS);
      const outOfScope = rand() < 0.18;
      const intent = outOfScope ? null : pick(intentNames);
      const text = outOfScope
        ? pick(pick(OUT_OF_SCOPE_FAMILIES))
        : pick(INTENTS[intent as string] as string[]);
      const sentiment = Math.round((rand() * 2 - 1) * 100) / 100;
      message('customer', text, {
        nlu: {
          intent,
          confidence: outOfScope ? 0.2 : 0.9,
          sentiment: { score: sentiment, label: 'neutral' },
        },
      });
      c.customerMessages.push({ channel, at: t, intent, sentiment, text });
      t += between(500, 3000);
      message('bot', outOfScope ? 'Sorry, could you rephrase that?' : `About ${intent}: here you go.`);
      t += between(5_000, 120_000);
    };

    for (let k = between(1, 4); k > 0; k--) customerSays();
    const handoffs = rand() < 0.35 ? (rand() < 0.15 ? 2 : 1) : 0;
    for (let h = 0; h < handoffs; h++) {
      const team = pick(TEAMS);
      const reason = pick(REASONS);
      const episode: GeneratedConversation['episodes'][number] = { team, reason, requestedAt: t };
      c.episodes.push(episode);
      event('handoff_requested', { reason, team, requestedTeam: team, priority: 'normal', source: 'flow' });
      c.status = 'queued';
      t += between(10_000, 900_000);
      const roll = rand();
      const last = h === handoffs - 1;
      if (roll < 0.15) {
        episode.ended = { by: 'handoff_cancelled', at: t };
        event('handoff_cancelled', { by: 'customer', reason, team });
        c.status = 'bot';
      } else if (roll < 0.22 && last) {
        // Still waiting.
      } else {
        const op = pick(OPERATORS);
        episode.claimedBy = { id: op.id, name: op.name };
        event('handoff_claimed', { operatorId: op.id, operatorName: op.name });
        c.status = 'assigned';
        t += 200;
        message('system', `${op.name} joined the conversation.`);
        t += between(5_000, 600_000);
        const replies = rand() < 0.1 ? 0 : between(1, 3);
        for (let r = 0; r < replies; r++) {
          if (r === 0) episode.firstReplyAt = t;
          message('operator', 'Let me check that for you.', { name: op.name });
          t += between(5_000, 300_000);
          if (rand() < 0.5) customerSays();
        }
        const end = rand();
        if (end < 0.1 && last) {
          // Still with the operator.
        } else {
          const by = end < 0.75 ? 'handoff_resolved' : 'handoff_handed_back';
          episode.ended = { by, at: t, operatorId: op.id };
          event(by, { operatorId: op.id, operatorName: op.name, team, waitedMs: 0 });
          c.status = 'bot';
          t += 1000;
          message('system', by === 'handoff_resolved' ? 'Resolved.' : 'Back to the bot.');
          if (by === 'handoff_resolved' && rand() < 0.6) {
            t += between(2_000, 60_000);
            const rating = between(1, 5);
            event('csat', { rating, operatorId: op.id, operatorName: op.name, channel });
            c.csat.push({ rating, operatorId: op.id, operatorName: op.name });
          }
        }
      }
      t += between(10_000, 100_000);
      if (!last) customerSays();
    }
    if (c.status === 'bot' && rand() < 0.5) c.status = 'closed';

    rows.customers.push([customerId, '{}', '{}', createdAt, t]);
    rows.identities.push([
      `idn_${id.slice(4)}`,
      first,
      `ext-${i}`,
      customerId,
      'first_contact',
      '{}',
      createdAt,
    ]);
    rows.conversations.push([
      id,
      customerId,
      c.status,
      c.status === 'queued' || c.status === 'assigned'
        ? JSON.stringify({
            team: c.episodes.at(-1)?.team,
            reason: c.episodes.at(-1)?.reason,
            requestedAt: c.episodes.at(-1)?.requestedAt,
          })
        : null,
      channel,
      `idn_${id.slice(4)}`,
      '{}',
      seq,
      createdAt,
      t,
      c.status === 'closed' ? t : null,
    ]);
    generated.push(c);
    if (rows.messages.length > 20_000) await flush(db, rows);
  }
  await flush(db, rows);
  return generated;
}

const COLUMNS = {
  customers: 'customers (id, profile, attributes, created_at, updated_at)',
  identities: 'identities (id, channel, external_id, customer_id, linked_by, address, created_at)',
  conversations:
    'conversations (id, customer_id, status, handoff, last_channel, last_identity_id, data, last_seq, created_at, updated_at, closed_at)',
  messages:
    'messages (id, conversation_id, customer_id, seq, direction, author, author_name, channel, content, text, nlu, delivery, processed_at, created_at)',
  events: 'conversation_events (id, conversation_id, type, data, created_at)',
} as const;

/** Multi-row INSERTs in one transaction per flush, customers first (foreign keys). */
async function flush(db: SqlDriver, rows: Rows): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of ['customers', 'identities', 'conversations', 'messages', 'events'] as const) {
      const list = rows[table];
      const width = list[0]?.length ?? 0;
      const perStatement = Math.max(1, Math.floor(2000 / Math.max(1, width)));
      for (let i = 0; i < list.length; i += perStatement) {
        const chunk = list.slice(i, i + perStatement);
        const marks = chunk.map(() => `(${new Array(width).fill('?').join(', ')})`).join(', ');
        await tx.run(`INSERT INTO ${COLUMNS[table]} VALUES ${marks}`, chunk.flat());
      }
      list.length = 0;
    }
  });
}
