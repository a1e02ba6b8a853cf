/**
 * The storage contract. One {@link Store} interface with transactions and migrations;
 * SQLite (embedded default) and PostgreSQL implement it, and one contract test suite
 * (`test/contract/store.contract.ts`) runs against both.
 *
 * Repositories are small and domain-shaped. Every method is atomic on its own; wrap
 * several in {@link Store.transaction} to make them atomic together. Do no network
 * I/O inside a transaction: the embedded store serialises them.
 *
 * @module
 */
import type {
  ChannelAddress,
  ChannelId,
  Conversation,
  ConversationStatus,
  Customer,
  CustomerProfile,
  DeliveryState,
  Identity,
  IdentityLink,
  Message,
} from '../model';

export interface CustomerRepo {
  create(init?: { profile?: CustomerProfile; attributes?: Record<string, unknown> }): Promise<Customer>;
  get(id: string): Promise<Customer | null>;
  /** Shallow-merges `profile` and `attributes` into the stored ones. */
  update(
    id: string,
    patch: { profile?: Partial<CustomerProfile>; attributes?: Record<string, unknown> },
  ): Promise<Customer>;
}

export interface IdentityRepo {
  find(channel: ChannelId, externalId: string): Promise<Identity | null>;
  get(id: string): Promise<Identity | null>;
  create(init: Omit<Identity, 'id' | 'createdAt'>): Promise<Identity>;
  /** Records an inbound message: refreshes the reply address and the last-inbound time. */
  touch(id: string, update: { address: ChannelAddress; lastInboundAt: number }): Promise<void>;
  /** Points the identity at another customer (verified linking, operator merge). */
  relink(id: string, customerId: string, linkedBy: IdentityLink, linkedByWhom?: string): Promise<void>;
  listByCustomer(customerId: string): Promise<Identity[]>;
}

export type ConversationPatch = Partial<
  Pick<Conversation, 'status' | 'flow' | 'handoff' | 'lastChannel' | 'lastIdentityId' | 'data' | 'closedAt'>
>;

export interface ConversationRepo {
  /** Opens a conversation; fails with SB_STORE_CONFLICT if the customer already has an open one. */
  create(init: { customerId: string; lastChannel: ChannelId; lastIdentityId: string }): Promise<Conversation>;
  get(id: string): Promise<Conversation | null>;
  /** The customer's open conversation (status ≠ closed), if any. */
  findOpen(customerId: string): Promise<Conversation | null>;
  update(id: string, patch: ConversationPatch): Promise<Conversation>;
  /** Conversations with inbound messages not yet handled by the bot (for recovery after a restart). */
  listWithUnprocessed(limit: number): Promise<string[]>;
  /**
   * Takes (or renews) the conversation's processing lease for `owner` until `now + ttlMs`.
   * Returns false if another owner holds an unexpired lease. This is what keeps a
   * conversation's messages in order across processes sharing one database.
   */
  tryLease(id: string, owner: string, ttlMs: number, now?: number): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
  listByStatus(status: ConversationStatus, limit: number): Promise<Conversation[]>;
  /**
   * Finds conversations by words in their messages, channel, outcome, sentiment or
   * customer; most recently active first. See {@link ConversationSearch}.
   */
  search(query: ConversationSearch): Promise<ConversationSummary[]>;
}

/**
 * How a conversation ended up, from its status and its event log (the desk writes
 * `handoff_*` events; the flow engine writes `handoff_cancelled`), first match wins:
 * - `queued` / `assigned`: waiting for, or with, a person now (the status);
 * - `resolved` / `handed_back` / `cancelled`: the latest handoff ended that way
 *   (`handoff_resolved`, `handoff_handed_back`, `handoff_cancelled`);
 * - `closed`: closed, and no handoff ever ended in it;
 * - `bot`: the bot has it and it never went to a person.
 */
export type ConversationOutcome =
  | 'resolved'
  | 'handed_back'
  | 'cancelled'
  | 'queued'
  | 'assigned'
  | 'closed'
  | 'bot';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface ConversationSearch {
  /** Words that must all appear in one of the conversation's messages. */
  text?: string;
  /** Conversations with at least one message on this channel. */
  channel?: ChannelId;
  outcome?: ConversationOutcome;
  /**
   * By the average sentiment score of the customer's messages (negative ≤ -0.1 <
   * neutral < 0.1 ≤ positive, the NLU's own thresholds). Conversations without any
   * scored message match no sentiment.
   */
  sentiment?: SentimentLabel;
  customerId?: string;
  conversationId?: string;
  /** Default 20, at most 200. */
  limit?: number;
}

/** One search hit: the conversation at a glance. */
export interface ConversationSummary {
  id: string;
  customerId: string;
  status: ConversationStatus;
  outcome: ConversationOutcome;
  lastChannel: ChannelId;
  /** Every channel the conversation has messages on. */
  channels: ChannelId[];
  messageCount: number;
  sentiment: {
    /** Average score of the customer's scored messages (-1…1), null when none was scored. */
    average: number | null;
    label: SentimentLabel | null;
    /** The latest scored customer message's sentiment. */
    last: { score: number; label: SentimentLabel } | null;
  };
  /** The latest `csat` event's rating, if the customer gave one. */
  csat: number | null;
  createdAt: number;
  lastMessageAt: number;
  closedAt: number | null;
  /** With `text`: the newest matching messages (at most 3). */
  matches: {
    messageId: string;
    seq: number;
    channel: ChannelId;
    author: Message['author'];
    text: string;
    createdAt: number;
  }[];
}

/** A message to append. `seq`, `id` and `createdAt` are assigned by the store. */
export interface NewMessage {
  conversationId: string;
  customerId: string;
  direction: Message['direction'];
  author: Message['author'];
  authorName?: string;
  channel: ChannelId;
  content: Message['content'];
  text: string;
  platformMessageId?: string;
  /**
   * Outbound: a key that makes the append idempotent (the worker uses
   * `<inbound id>:<n>` so a handler re-run after a crash does not reply twice).
   */
  idempotencyKey?: string;
  address?: ChannelAddress;
  replyToId?: string;
  nlu?: Message['nlu'];
  delivery: DeliveryState;
  /**
   * The caller looked the inbound platform id up in this same transaction and found
   * nothing: skip the second lookup (the unique index still guards a race).
   */
  knownNew?: boolean;
  /** Outbound `pending`: earliest delivery time (default now). */
  nextAttemptAt?: number;
  createdAt?: number;
}

export interface AppendResult {
  message: Message;
  /** False when a message with the same inbound platform id or idempotency key existed. */
  created: boolean;
}

export interface DeliveryUpdate {
  delivery: DeliveryState;
  platformMessageId?: string;
  deliveryError?: string | null;
  attempts?: number;
  nextAttemptAt?: number | null;
}

export interface SearchQuery {
  /** Words to find (all of them), in message text. */
  text: string;
  channel?: ChannelId;
  conversationId?: string;
  limit?: number;
}

export interface MessageRepo {
  /**
   * Appends a message at the end of its conversation (next seq). Idempotent on the
   * inbound (channel, platformMessageId) and on `idempotencyKey`: a repeat returns
   * the stored message with `created: false` and changes nothing.
   */
  append(init: NewMessage): Promise<AppendResult>;
  get(id: string): Promise<Message | null>;
  findInbound(channel: ChannelId, platformMessageId: string): Promise<Message | null>;
  findOutbound(channel: ChannelId, platformMessageId: string): Promise<Message | null>;
  /** The conversation's messages with seq > afterSeq, in order. */
  list(conversationId: string, options?: { afterSeq?: number; limit?: number }): Promise<Message[]>;
  /** The oldest inbound message the bot has not handled yet. */
  nextUnprocessed(conversationId: string): Promise<Message | null>;
  markProcessed(id: string, update?: { nlu?: Message['nlu']; at?: number }): Promise<void>;
  /**
   * Outbound messages due for delivery: per conversation only the oldest pending one
   * (so delivery stays in order), and only if its next attempt is due.
   */
  dueForDelivery(now: number, limit: number): Promise<Message[]>;
  updateDelivery(id: string, update: DeliveryUpdate): Promise<void>;
  countPendingDelivery(): Promise<number>;
  search(query: SearchQuery): Promise<Message[]>;
}

export interface ConversationEvent {
  id: string;
  conversationId: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: number;
}

/** An append-only log of what happened to a conversation (delivery failures, handoffs, links). */
export interface EventRepo {
  add(conversationId: string, type: string, data?: Record<string, unknown>): Promise<ConversationEvent>;
  list(conversationId: string): Promise<ConversationEvent[]>;
}

/** Small framework state (polling offsets, cached hashes…), with optional expiry. */
export interface KvRepo {
  get<T = unknown>(key: string): Promise<T | null>;
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Everything a transaction can do. */
export interface StoreTx {
  customers: CustomerRepo;
  identities: IdentityRepo;
  conversations: ConversationRepo;
  messages: MessageRepo;
  events: EventRepo;
  kv: KvRepo;
}

/** The store. Every repository method outside a transaction is its own transaction. */
export interface Store extends StoreTx {
  readonly kind: 'sqlite' | 'postgres';
  /** Brings the schema up to date. Safe to call from several processes at once. */
  migrate(): Promise<void>;
  /**
   * Runs `fn` atomically: all of it commits, or none of it (it throws). On the embedded
   * store transactions are serialised, so keep them short and free of network calls.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Throws if the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
