/**
 * The desk's outbox: every Slack call the desk must not lose (the escalation card, the
 * transcript, relays of the customer's messages into the thread, notices, card updates)
 * is a row in the store first (migration 5), then made here — in order per conversation,
 * retried while Slack is down or rate-limited, exactly once.
 *
 * "Exactly once" against an API without idempotency keys: a call whose outcome is unknown
 * (the process died during it, a timeout, a 5xx) is marked `uncertain`; before it is made
 * again the performer looks for the message it would have posted (every post carries the
 * item's key in Slack message metadata) and takes that one instead of posting twice.
 *
 * @module
 */
import { ChannelApiError, asError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Row, SqlDriver } from '../store/driver';
import { newId } from '../util/ids';
import { ConversationPump, retryDelay } from '../core/pump';

export type DeskItemKind = 'card' | 'transcript' | 'relay' | 'notice' | 'update_card';

export interface DeskItem {
  seq: number;
  conversationId: string;
  /** Unique: adding the same key twice adds one item (crash-safe re-runs). */
  key: string;
  kind: DeskItemKind;
  payload: Record<string, unknown>;
  /** Attempts so far, including the one about to be made. */
  attempts: number;
  /** An earlier attempt may have reached Slack: look before posting again. */
  uncertain: boolean;
  createdAt: number;
}

export interface DeskThread {
  conversationId: string;
  channel: string;
  ts: string;
  team: string;
  createdAt: number;
}

const toItem = (r: Row): DeskItem => ({
  seq: Number(r.seq),
  conversationId: String(r.conversation_id),
  key: String(r.key),
  kind: String(r.kind) as DeskItemKind,
  payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
  attempts: Number(r.attempts),
  uncertain: Number(r.uncertain) === 1,
  createdAt: Number(r.created_at),
});

const toThread = (r: Row): DeskThread => ({
  conversationId: String(r.conversation_id),
  channel: String(r.channel),
  ts: String(r.ts),
  team: String(r.team),
  createdAt: Number(r.created_at),
});

/** The desk's tables: pending Slack calls and the threads that carry conversations. */
export class DeskStore {
  readonly owner = newId('desk');

  constructor(
    private readonly db: SqlDriver,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Queues a Slack call. Idempotent on `key`: returns false when it was already queued. */
  async add(
    conversationId: string,
    key: string,
    kind: DeskItemKind,
    payload: Record<string, unknown> = {},
  ): Promise<boolean> {
    const now = this.clock();
    const changed = await this.db.run(
      `INSERT INTO desk_outbox (conversation_id, key, kind, payload, state, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (key) DO NOTHING`,
      [conversationId, key, kind, JSON.stringify(payload), now, now],
    );
    return changed > 0;
  }

  /** Queues several calls in this order, atomically (each idempotent on its key). */
  async addAll(
    conversationId: string,
    items: { key: string; kind: DeskItemKind; payload?: Record<string, unknown> }[],
  ): Promise<void> {
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      for (const item of items) {
        await tx.run(
          `INSERT INTO desk_outbox (conversation_id, key, kind, payload, state, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (key) DO NOTHING`,
          [conversationId, item.key, item.kind, JSON.stringify(item.payload ?? {}), now, now],
        );
      }
    });
  }

  /**
   * Takes up to `limit` due items, at most one per conversation (its oldest pending one),
   * leased to this process for `leaseMs`. Several processes may call this at once: a
   * conditional UPDATE gives each item to one of them.
   */
  async take(limit: number, leaseMs: number, skip: ReadonlySet<string> = new Set()): Promise<DeskItem[]> {
    const now = this.clock();
    const rows = await this.db.all(
      `SELECT d.* FROM desk_outbox d
        WHERE d.state = 'pending' AND d.next_attempt_at <= ?
          AND (d.lease_until IS NULL OR d.lease_until < ?)
          AND d.seq = (SELECT MIN(x.seq) FROM desk_outbox x WHERE x.conversation_id = d.conversation_id AND x.state = 'pending')
        ORDER BY d.seq LIMIT ?`,
      [now, now, limit + skip.size],
    );
    const candidates = rows
      .map((row) => ({ item: toItem(row), uncertain: Number(row.uncertain) === 1 }))
      .filter(({ item }) => !skip.has(item.conversationId))
      .slice(0, limit);
    // `uncertain` is set before the call: if this process dies during it, the next attempt
    // looks for the posted message first. The UPDATEs go out together (one commit).
    const won = await Promise.all(
      candidates.map(({ item }) =>
        this.db.run(
          `UPDATE desk_outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, uncertain = 1
            WHERE seq = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until < ?)`,
          [this.owner, now + leaseMs, item.seq, now],
        ),
      ),
    );
    const taken = candidates
      .filter((_, i) => (won[i] ?? 0) > 0)
      .map(({ item, uncertain }) => ({ ...item, attempts: item.attempts + 1, uncertain }));
    return taken;
  }

  /**
   * Frees every leased item. Only for a store one process has to itself (SQLite): a lease
   * found at start was held by a process that died in the middle of a call. The item stays
   * `uncertain`, so its next attempt looks before posting.
   */
  async releaseLeases(): Promise<number> {
    return this.db.run(
      `UPDATE desk_outbox SET lease_owner = NULL, lease_until = NULL
        WHERE state = 'pending' AND lease_owner IS NOT NULL`,
    );
  }

  async done(item: DeskItem, result: Record<string, unknown> = {}): Promise<void> {
    await this.db.run(
      `UPDATE desk_outbox SET state = 'done', result = ?, error = NULL, lease_owner = NULL, lease_until = NULL,
         uncertain = 0, done_at = ? WHERE seq = ?`,
      [JSON.stringify(result), this.clock(), item.seq],
    );
  }

  /** Tries again after `delayMs`; `definite`: Slack surely did not act on the call. */
  async retry(item: DeskItem, delayMs: number, error: string, definite: boolean): Promise<void> {
    await this.db.run(
      `UPDATE desk_outbox SET next_attempt_at = ?, error = ?, lease_owner = NULL, lease_until = NULL,
         uncertain = ? WHERE seq = ?`,
      [this.clock() + delayMs, error, definite ? (item.uncertain ? 1 : 0) : 1, item.seq],
    );
  }

  async fail(item: DeskItem, error: string): Promise<void> {
    await this.db.run(
      `UPDATE desk_outbox SET state = 'failed', error = ?, lease_owner = NULL, lease_until = NULL, done_at = ?
        WHERE seq = ?`,
      [error, this.clock(), item.seq],
    );
  }

  /** Pending items whose next attempt is due now. */
  async dueCount(): Promise<number> {
    const rows = await this.db.all(
      `SELECT COUNT(*) AS n FROM desk_outbox WHERE state = 'pending' AND next_attempt_at <= ?`,
      [this.clock()],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** A card may be in Slack without its thread recorded (an attempt's outcome is unknown). */
  async hasUncertainCard(): Promise<boolean> {
    const rows = await this.db.all(
      `SELECT 1 AS x FROM desk_outbox WHERE kind = 'card' AND state = 'pending' AND uncertain = 1 LIMIT 1`,
    );
    return rows.length > 0;
  }

  async pendingCount(): Promise<number> {
    const rows = await this.db.all(`SELECT COUNT(*) AS n FROM desk_outbox WHERE state = 'pending'`);
    return Number(rows[0]?.n ?? 0);
  }

  /** The items of a conversation, oldest first (tests, diagnostics). */
  async list(conversationId: string): Promise<(DeskItem & { state: string; error: string | null })[]> {
    const rows = await this.db.all('SELECT * FROM desk_outbox WHERE conversation_id = ? ORDER BY seq', [
      conversationId,
    ]);
    return rows.map((r) => ({
      ...toItem(r),
      state: String(r.state),
      error: r.error === null ? null : String(r.error),
    }));
  }

  async addThread(thread: Omit<DeskThread, 'createdAt'>): Promise<void> {
    await this.db.run(
      `INSERT INTO desk_threads (channel, ts, conversation_id, team, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (channel, ts) DO NOTHING`,
      [thread.channel, thread.ts, thread.conversationId, thread.team, this.clock()],
    );
  }

  /** The thread of the conversation's latest card (a transfer or an SLA escalation posts a new one). */
  async currentThread(conversationId: string): Promise<DeskThread | null> {
    const rows = await this.db.all(
      'SELECT * FROM desk_threads WHERE conversation_id = ? ORDER BY created_at DESC, ts DESC LIMIT 1',
      [conversationId],
    );
    return rows[0] ? toThread(rows[0]) : null;
  }

  async threadAt(channel: string, ts: string): Promise<DeskThread | null> {
    const rows = await this.db.all('SELECT * FROM desk_threads WHERE channel = ? AND ts = ?', [channel, ts]);
    return rows[0] ? toThread(rows[0]) : null;
  }

  async threads(conversationId: string): Promise<DeskThread[]> {
    const rows = await this.db.all(
      'SELECT * FROM desk_threads WHERE conversation_id = ? ORDER BY created_at, ts',
      [conversationId],
    );
    return rows.map(toThread);
  }
}

/** What a desk item does against Slack. Throws ChannelApiError / TransportError on failure. */
export type DeskPerformer = (item: DeskItem) => Promise<Record<string, unknown>>;

export interface DeskSenderOptions {
  /** Items in flight at once (each conversation has at most one). Default 16. */
  concurrency?: number;
  /** How often to look for due items. Default 500 ms. */
  pollIntervalMs?: number;
  /** First retry delay, doubled per attempt up to `maxRetryDelayMs`. Default 1 s. */
  retryBaseMs?: number;
  /** Default 5 min: Slack may be down for long; the desk keeps trying. */
  maxRetryDelayMs?: number;
  /** How long one call may hold an item before another process may take it. Default 60 s. */
  leaseMs?: number;
}

/** Makes the desk's Slack calls from {@link DeskStore}, like the message outbox does for channels. */
export class DeskSender extends ConversationPump<DeskItem> {
  constructor(
    private readonly store: DeskStore,
    private readonly perform: DeskPerformer,
    logger: Logger,
    private readonly options: DeskSenderOptions = {},
  ) {
    super(logger, {
      concurrency: options.concurrency ?? 16,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      name: 'desk outbox',
    });
  }

  protected due(limit: number, busy: ReadonlySet<string>): Promise<DeskItem[]> {
    return this.store.take(limit, this.options.leaseMs ?? 60_000, busy);
  }

  protected handle(item: DeskItem): Promise<void> {
    return this.run(item);
  }

  protected async anyDue(): Promise<boolean> {
    return (await this.store.dueCount()) > 0;
  }

  private async run(item: DeskItem): Promise<void> {
    try {
      const result = await this.perform(item);
      await this.store.done(item, result);
    } catch (thrown) {
      const error = asError(thrown);
      const log = {
        err: error,
        conversationId: item.conversationId,
        kind: item.kind,
        attempts: item.attempts,
      };
      if (error instanceof ChannelApiError && error.permanent) {
        await this.store.fail(item, error.message);
        this.logger.error(
          log,
          'desk: Slack refused a call; not retrying (check the app and channel settings)',
        );
        return;
      }
      // Slack said no (429, a platform error): it did nothing. A 5xx or a lost connection: maybe it did.
      const definite = error instanceof ChannelApiError && (error.status === 429 || error.status === 200);
      const delay = this.delay(item.attempts, error);
      await this.store.retry(item, delay, error.message, definite);
      this.logger.warn({ ...log, retryInMs: delay }, 'desk: Slack call failed; will retry');
    }
  }

  private delay(attempts: number, error: Error): number {
    return retryDelay(attempts, error, this.options.retryBaseMs, this.options.maxRetryDelayMs);
  }
}
