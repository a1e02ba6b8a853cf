/**
 * The handoff envelope: everything an operator needs to pick a conversation up without
 * asking the customer to repeat themselves — why it was escalated, by which trigger, the
 * team and priority, a summary (intents seen, slots filled, what the bot already
 * answered), the customer (profile, CRM data, every linked identity), the sentiment trend,
 * the channels used and how long they have waited. The full transcript is read from the
 * store when the card is posted, so it is never stale.
 *
 * @module
 */
import type { Conversation, Customer, Identity, Message } from '../model';
import type { Store } from '../store';
import type { HandoffPriority } from '../handoff';

/** Where an escalation came from. */
export type HandoffSource =
  | 'flow'
  | 'customer_request'
  | 'repair'
  | 'action_failed'
  | 'negative_sentiment'
  | 'bot_error'
  | 'code'
  | (string & {});

/** What the bot (a flow, the desk's triggers, `ctx.handOff()`) writes on `conversation.handoff`. */
export interface HandoffRequest {
  reason: string;
  team: string;
  priority: HandoffPriority;
  source: HandoffSource;
  /** Epoch ms: the customer has waited since then. */
  requestedAt: number;
  /** The flow the customer was in, with its slots. */
  flow?: { flowId: string; step?: string; slots?: Record<string, unknown> } | null;
  intent?: string | null;
}

export interface HandoffEnvelope extends HandoffRequest {
  conversationId: string;
  /** The channel the customer wrote on last (where operator replies go). */
  channel: string;
  /** Every channel of the conversation, in order of first use. */
  channels: string[];
  summary: {
    /** Intents recognised in the customer's messages, in order of first appearance. */
    intents: string[];
    /** Slots the bot collected (the flow's at handoff, else the last finished flow's). */
    slots: Record<string, unknown>;
    /** What the bot already told the customer (its last answers, newest last). */
    answered: string[];
    /** Answers the bot gave from its knowledge documents: the question and the source(s), newest last. */
    knowledge: { question: string; sources: { title: string; url?: string }[] }[];
    messages: number;
  };
  customer: {
    id: string;
    name?: string;
    email?: string;
    phone?: string;
    /** From the CRM profile provider. */
    crm?: Record<string, unknown>;
    identities: { channel: string; externalId: string; linkedBy: string }[];
  };
  sentiment: {
    /** Scores (−1…1) of the customer's recent messages, oldest first. */
    trend: number[];
    average: number | null;
    label: 'negative' | 'neutral' | 'positive' | null;
  };
}

const ANSWERS_KEPT = 3;
const TREND_KEPT = 8;

/** Reads the conversation's story from the store and builds its envelope. */
export async function buildEnvelope(
  store: Store,
  conversation: Conversation,
  request: HandoffRequest,
): Promise<HandoffEnvelope> {
  const [customer, identities, messages] = await Promise.all([
    store.customers.get(conversation.customerId),
    store.identities.listByCustomer(conversation.customerId),
    store.messages.list(conversation.id),
  ]);
  return envelopeOf(conversation, request, customer, identities, messages);
}

export function envelopeOf(
  conversation: Conversation,
  request: HandoffRequest,
  customer: Customer | null,
  identities: Identity[],
  messages: Message[],
): HandoffEnvelope {
  const intents: string[] = [];
  const trend: number[] = [];
  const channels: string[] = [];
  const answered: string[] = [];
  for (const m of messages) {
    if (!channels.includes(m.channel)) channels.push(m.channel);
    if (m.direction === 'in') {
      const intent = m.nlu?.intent;
      if (intent && !intents.includes(intent)) intents.push(intent);
      if (m.nlu?.sentiment) trend.push(m.nlu.sentiment.score);
    } else if (m.author === 'bot' && m.text && m.createdAt <= request.requestedAt) {
      // What the bot answered before the handoff (not the queue notices after it).
      answered.push(m.text);
    }
  }
  const recent = trend.slice(-TREND_KEPT);
  const average = recent.length
    ? Math.round((recent.reduce((a, b) => a + b, 0) / recent.length) * 100) / 100
    : null;
  const memory = (conversation.data.flowEngine ?? {}) as { last?: { slots?: Record<string, unknown> } };
  const slots = request.flow?.slots ?? memory.last?.slots ?? {};
  const profile = customer?.profile ?? {};
  // Written by src/knowledge when the bot answers from a document.
  const fromDocuments = (conversation.data.knowledge ?? []) as {
    question: string;
    sources: { title: string; url?: string }[];
  }[];
  return {
    ...request,
    conversationId: conversation.id,
    channel: conversation.lastChannel,
    channels,
    summary: {
      intents,
      slots,
      answered: answered.slice(-ANSWERS_KEPT),
      knowledge: fromDocuments.slice(-ANSWERS_KEPT).map((k) => ({
        question: k.question,
        sources: k.sources.map((s) => ({ title: s.title, ...(s.url && { url: s.url }) })),
      })),
      messages: messages.length,
    },
    customer: {
      id: conversation.customerId,
      ...(profile.name !== undefined && { name: profile.name }),
      ...(profile.email !== undefined && { email: profile.email }),
      ...(profile.phone !== undefined && { phone: profile.phone }),
      ...(profile.crm !== undefined && { crm: profile.crm }),
      identities: identities
        .filter((i) => !i.channel.startsWith('@'))
        .map((i) => ({ channel: i.channel, externalId: i.externalId, linkedBy: i.linkedBy })),
    },
    sentiment: {
      trend: recent,
      average,
      label: average === null ? null : average <= -0.1 ? 'negative' : average >= 0.1 ? 'positive' : 'neutral',
    },
  };
}

/** Reads a handoff request from `conversation.handoff` (what the flow engine and `ctx.handOff` write). */
export function requestOf(handoff: Record<string, unknown> | null, now: number): HandoffRequest | null {
  if (!handoff) return null;
  const str = (v: unknown, fallback: string) => (typeof v === 'string' && v !== '' ? v : fallback);
  const priority = str(handoff.priority, 'normal');
  return {
    reason: str(handoff.reason, 'Handoff requested'),
    team: str(handoff.team, 'support'),
    priority: (['low', 'normal', 'high', 'urgent'].includes(priority)
      ? priority
      : 'normal') as HandoffPriority,
    source: str(handoff.source, 'flow'),
    requestedAt: typeof handoff.requestedAt === 'number' ? handoff.requestedAt : now,
    flow: (handoff.flow as HandoffRequest['flow']) ?? null,
    intent: typeof handoff.intent === 'string' ? handoff.intent : null,
  };
}
