/**
 * The human queue: escalations waiting for an operator, claims, operators' availability
 * and capacity, SLA timers. One {@link HandoffQueue} interface; an embedded durable
 * implementation in the store (SQLite/PostgreSQL) and a Redis one for scale mode, both
 * held to one contract suite (`test/handoff/queue.contract.ts`).
 *
 * @module
 */

/** Escalation priority; higher is served first, then the longest waiting. */
export type HandoffPriority = 'low' | 'normal' | 'high' | 'urgent';

export const PRIORITY_RANK: Record<HandoffPriority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

export type OperatorAvailability = 'available' | 'away';

/** What the bot hands over. The rest of the envelope lives on the conversation. */
export interface Escalation {
  conversationId: string;
  /** A team from handoff.yml; an unknown one goes to `default_team`. */
  team: string;
  priority: HandoffPriority;
  reason: string;
  /** When the customer started waiting (epoch ms); defaults to the queue's clock. */
  waitingSince?: number;
}

/** A conversation in the queue: waiting for a claim, or claimed by an operator. */
export interface QueueEntry {
  conversationId: string;
  team: string;
  priority: HandoffPriority;
  reason: string;
  /** Kept across release, transfer and lapse: the customer has waited since then. */
  waitingSince: number;
  state: 'waiting' | 'claimed';
  operatorId: string | null;
  claimedAt: number | null;
  /** The claiming operator's last sign of life ({@link HandoffQueue.touch}). */
  lastActivityAt: number | null;
  /** Set once an SLA escalation moved the entry: the team it came from. */
  escalatedFrom: string | null;
  /** Pending timers (epoch ms), null when none. */
  renotifyAt: number | null;
  escalateAt: number | null;
  lapseAt: number | null;
}

export interface QueuePosition {
  team: string;
  /** 1 = next to be served in the team. */
  position: number;
  /** Rough estimate: handle time × rounds ahead given the team's available operators. */
  expectedWaitMs: number;
}

/** An operator as the queue knows them (configured in handoff.yml; availability is live). */
export interface Operator {
  /** The Slack user id. */
  id: string;
  name: string;
  teams: string[];
  /** Most conversations held at once; claims beyond it are refused. */
  capacity: number;
  availability: OperatorAvailability;
}

export interface OperatorState extends Operator {
  /** Conversations currently claimed. */
  active: number;
}

export type ClaimRefusal =
  /** Already claimed (by someone else, or lost a race), resolved or never queued. */
  'not_waiting' | 'unknown_operator' | 'operator_away' | 'at_capacity';

export type ClaimResult = { ok: true; entry: QueueEntry } | { ok: false; reason: ClaimRefusal };

/**
 * A timer that fired. {@link HandoffQueue.dueTimers} returns each exactly once, even with
 * several processes polling; the queue has already applied its effect.
 */
export type DueTimer =
  /** Still waiting after the team's `renotify` seconds: remind the team's channel. */
  | { kind: 'renotify'; conversationId: string; dueAt: number; entry: QueueEntry }
  /** Still waiting after `escalate` seconds: moved to the overflow team (if any). */
  | { kind: 'escalate'; conversationId: string; dueAt: number; fromTeam: string; entry: QueueEntry }
  /** The operator stayed silent past the claim timeout: back to waiting. */
  | { kind: 'claim_lapsed'; conversationId: string; dueAt: number; operatorId: string; entry: QueueEntry };

export type DueTimerKind = DueTimer['kind'];

/**
 * The human queue. Every method is atomic on its own, also across processes sharing the
 * same database or Redis.
 *
 * ```ts
 * const queue = await openHandoffQueue({ config, store });
 * await queue.enqueue({ conversationId, team: 'returns', priority: 'high', reason: 'Damaged item' });
 * const claim = await queue.claim(conversationId, 'U024BE7LH');
 * if (!claim.ok) say(`Cannot claim: ${claim.reason}`);
 * ```
 */
export interface HandoffQueue {
  /**
   * Queues an escalation. Idempotent: a conversation already queued (waiting or claimed)
   * is returned unchanged with `created: false`.
   */
  enqueue(escalation: Escalation): Promise<{ entry: QueueEntry; created: boolean }>;
  get(conversationId: string): Promise<QueueEntry | null>;
  /** Where a waiting conversation stands in its team; null when it is not waiting. */
  position(conversationId: string): Promise<QueuePosition | null>;
  /** Waiting conversations, by priority then age (all teams when `team` is omitted). */
  listWaiting(team?: string, limit?: number): Promise<QueueEntry[]>;
  /** The conversations an operator holds. */
  listClaimed(operatorId: string): Promise<QueueEntry[]>;
  /** An operator takes a waiting conversation. Of simultaneous claims exactly one wins. */
  claim(conversationId: string, operatorId: string): Promise<ClaimResult>;
  /** The operator did something on the conversation: pushes the claim's lapse back. False if they do not hold it. */
  touch(conversationId: string, operatorId: string): Promise<boolean>;
  /** Back to waiting (same team), keeping its place by age. Null when not queued. */
  release(conversationId: string): Promise<QueueEntry | null>;
  /** To another team's queue, waiting. Null when not queued. */
  transfer(conversationId: string, team: string): Promise<QueueEntry | null>;
  /** Done: leaves the queue. Returns the entry as it was, or null. */
  resolve(conversationId: string): Promise<QueueEntry | null>;
  /** The customer gave up while waiting. Null (and nothing changes) unless waiting. */
  cancel(conversationId: string): Promise<QueueEntry | null>;
  /** Adds or updates an operator from configuration; keeps their live availability. */
  upsertOperator(
    operator: Omit<Operator, 'availability'> & { availability?: OperatorAvailability },
  ): Promise<void>;
  setAvailability(operatorId: string, availability: OperatorAvailability): Promise<OperatorState | null>;
  operator(operatorId: string): Promise<OperatorState | null>;
  operators(team?: string): Promise<OperatorState[]>;
  /**
   * Fires every timer due at `now` (default the queue's clock): renotify, escalate to the
   * overflow team, return lapsed claims to waiting. Each fired timer is returned once.
   */
  dueTimers(now?: number): Promise<DueTimer[]>;
  close(): Promise<void>;
}
