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
  /**
   * The worker's first step on a conversation, in one statement where the database allows:
   * with `lease`, takes (or renews) the lease, and only then the oldest inbound message not
   * handled yet. `leased: false` means another worker holds the lease (and `next` is null).
   */
  claimNext(id: string, lease?: LeaseRequest): Promise<{ leased: boolean; next: Message | null }>;
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
  /** The message appended with this idempotency key, if any. */
  findByIdempotencyKey(idempotencyKey: string): Promise<Message | null>;
  /** The conversation's messages with seq > afterSeq, in order. */
  list(conversationId: string, options?: { afterSeq?: number; limit?: number }): Promise<Message[]>;
  /** The oldest inbound message the bot has not handled yet. */
  nextUnprocessed(conversationId: string): Promise<Message | null>;
  markProcessed(id: string, update?: { nlu?: Message['nlu']; at?: number }): Promise<void>;
  /**
   * The worker's step between two messages, in one statement where the database allows:
   * marks `id` processed and returns the conversation's next unhandled inbound message. With
   * `leaseOwner`, when there is none, also releases that owner's lease; `appendedMeanwhile`
   * then says a message was appended to the conversation while this ran (look again: its
   * worker may have found the lease still taken).
   */
  finish(
    id: string,
    conversationId: string,
    update?: { nlu?: Message['nlu']; at?: number; leaseOwner?: string },
  ): Promise<{ next: Message | null; released: boolean; appendedMeanwhile: boolean }>;
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
  /** Sets the key only if it has no (unexpired) value; true when this call set it. Atomic. */
  add(key: string, value: unknown, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** A link code or one-time code, as stored: only its hash, never the code itself. */
export interface LinkCode {
  codeHash: string;
  /** `link_code`: anyone holding it may redeem it once; `one_time_code`: only `identityId` may. */
  kind: 'link_code' | 'one_time_code';
  /** The customer the redeeming identity joins. */
  customerId: string;
  /** Where the code was offered (the conversation to continue) and at which message. */
  conversationId?: string;
  offeredSeq?: number;
  /** The channel it was offered for (link codes), informational. */
  channel?: string;
  /** One-time codes: the identity that asked for it and alone may redeem it. */
  identityId?: string;
  /** One-time codes: where it was sent, masked (`a***@example.com`). */
  destination?: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  usedByIdentityId?: string;
  linkId?: string;
}

/** What a link moved, so that {@link LinkRepo.unmerge} can put it back exactly. */
export interface LinkUndo {
  /** The `from` customer's identities, as they were. */
  identities: { id: string; linkedBy: IdentityLink; linkedByWhom: string | null }[];
  /** The `from` customer's conversations, now the `into` customer's. */
  conversations: string[];
  /** Both had an open conversation: this one was closed and its messages appended to `survivor`. */
  absorbed?: {
    id: string;
    customerId: string;
    status: ConversationStatus;
    closedAt: number | null;
    lastSeq: number;
    survivor: string;
    survivorLastSeqBefore: number;
    survivorLastSeqAfter: number;
    messages: { id: string; seq: number; customerId: string }[];
  };
}

/** One link between two customers: how, by whom, and how to undo it. */
export interface LinkRecord {
  id: string;
  method: IdentityLink;
  byWhom?: string;
  /** The customer that was merged away (kept, empty, so that an unmerge can restore it). */
  fromCustomerId: string;
  intoCustomerId: string;
  /** The identity that proved the link (the one that redeemed the code), if any. */
  identityId?: string;
  /** The customer's open conversation after the link (where the customer continues). */
  conversationId?: string;
  undo: LinkUndo;
  createdAt: number;
  undoneAt?: number;
  undoneBy?: string;
}

/**
 * Verified identity linking's storage: codes (hashed) and link records. `merge` and
 * `unmerge` move identities, conversations and messages between customers atomically.
 */
export interface LinkRepo {
  addCode(code: Omit<LinkCode, 'usedAt' | 'usedByIdentityId' | 'linkId'>): Promise<void>;
  getCode(codeHash: string): Promise<LinkCode | null>;
  /**
   * Marks an unused, unexpired code used by `identityId`. True only for the one caller that
   * used it: a code can be redeemed once, even by racing requests.
   */
  useCode(codeHash: string, identityId: string, now: number): Promise<boolean>;
  /** Records the link a used code made. */
  setCodeLink(codeHash: string, linkId: string): Promise<void>;
  /** One-time codes waiting for `identityId` (unused, unexpired). */
  pendingOneTimeCodes(identityId: string, now: number): Promise<LinkCode[]>;
  /** Deletes codes that expired before `before`. Returns how many. */
  deleteExpiredCodes(before: number): Promise<number>;
  /**
   * Moves every identity and conversation of `from` to `into`. When both have an open
   * conversation, one is closed and its messages are appended to the other (the one a person
   * is working on, else `into`'s), so no message is lost and the invariant of one open
   * conversation per customer holds. Returns the record, with what {@link LinkRepo.unmerge}
   * needs to put everything back.
   */
  merge(init: {
    from: string;
    into: string;
    method: IdentityLink;
    byWhom?: string;
    identityId?: string;
  }): Promise<LinkRecord>;
  /** Undoes a link. Fails with SB_NOT_FOUND / SB_STORE_CONFLICT when unknown or already undone. */
  unmerge(linkId: string, byWhom?: string): Promise<LinkRecord>;
  get(linkId: string): Promise<LinkRecord | null>;
  /** Links where the customer is either side, newest first. */
  listByCustomer(customerId: string): Promise<LinkRecord[]>;
}

/** A conversation lease for `owner`, valid `ttlMs` from `now`. */
export interface LeaseRequest {
  owner: string;
  ttlMs: number;
  now?: number;
}

/** Everything a transaction can do. */
export interface StoreTx {
  links: LinkRepo;
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
  /** What the store sent to its database so far (benchmarks, `/metrics`). */
  readonly stats?: { readonly statements: number; readonly roundTrips: number; readonly commits: number };
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

/** A conversation's whole story, for operators: the summary, every message, every event. */
export interface ConversationHistory {
  conversation: ConversationSummary;
  handoff: Record<string, unknown> | null;
  flow: { id: string; step: string } | null;
  messages: Message[];
  events: ConversationEvent[];
}
