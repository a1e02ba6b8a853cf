/**
 * The conversation worker: handles each conversation's inbound messages strictly in
 * order, one at a time. In one process a per-conversation drain loop guarantees it;
 * across processes sharing PostgreSQL a lease on the conversation row does.
 *
 * A message is marked processed only after its handler finished, so a crash mid-way
 * means it is handled again after the restart; replies are idempotent per message
 * (see {@link Context.reply}), so the customer does not get them twice.
 *
 * @module
 */
import { asError } from '../errors';
import type { Message } from '../model';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { isStoreUnavailable, type Store } from '../store';
import { newId } from '../util/ids';
import { Context, type ContextConstructor, type ContextRuntime } from './context';

export type MessageHandler = (ctx: Context) => Promise<void>;
export type ErrorHandler = (error: Error, ctx: Context) => Promise<void> | void;

export interface WorkerOptions {
  /** Use leases in the store (several processes share it). */
  useLeases: boolean;
  leaseMs?: number;
  /** How often to look for work left behind (a crash, another process's failed lease). */
  sweepIntervalMs?: number;
  /**
   * Something to wait for before a message is handled, if anything (a new customer's CRM
   * lookup still running). Kept cheap: it returns undefined on the ordinary path.
   */
  beforeHandle?: (message: Message) => Promise<unknown> | undefined;
  /** The context class (`Context` or the bot's subclass of it). */
  context?: ContextConstructor;
}

export class ConversationWorker {
  private readonly active = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly owner = newId('wrk');
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly runtime: ContextRuntime,
    private readonly handler: MessageHandler,
    private readonly onError: ErrorHandler,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {}

  /** Picks up pending work now and then every `sweepIntervalMs`. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 2000);
    this.sweeper.unref();
  }

  /** Lets in-flight messages finish; picks up nothing new. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.allSettled([...this.active.values()]);
  }

  /** Says a conversation may have new messages. Cheap; call it freely. */
  notify(conversationId: string): void {
    if (this.stopping) return;
    if (this.active.has(conversationId)) {
      this.again.add(conversationId);
      return;
    }
    const run = this.drain(conversationId)
      .catch((error: unknown) =>
        this.logger.error({ err: error, conversationId }, 'conversation drain failed'),
      )
      .finally(() => {
        this.active.delete(conversationId);
        if (this.again.delete(conversationId)) this.notify(conversationId);
      });
    this.active.set(conversationId, run);
  }

  /** Resolves when nothing is being processed (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  private async sweep(): Promise<void> {
    if (this.stopping) return;
    try {
      for (const id of await this.store.conversations.listWithUnprocessed(200)) this.notify(id);
    } catch (error) {
      this.logger.warn({ err: error }, 'sweep for pending messages failed');
    }
  }

  /**
   * Two store calls per message on the ordinary path: {@link ConversationRepo.claimNext}
   * (lease + first message) once, then {@link MessageRepo.finish} after each message (mark
   * processed + next message, + lease release after the last), each one statement on
   * PostgreSQL.
   */
  private async drain(conversationId: string): Promise<void> {
    const leaseMs = this.options.leaseMs ?? 30_000;
    const lease = this.options.useLeases ? { owner: this.owner, ttlMs: leaseMs } : undefined;
    const claimed = await this.store.conversations.claimNext(conversationId, lease);
    // Another process is on it; the sweep retries if it dies.
    if (!claimed.leased) return;
    let leasedAt = Date.now();
    let message = claimed.next;
    let holding = lease !== undefined;
    try {
      while (message && !this.stopping) {
        if (lease && Date.now() - leasedAt > leaseMs / 3) {
          if (!(await this.store.conversations.tryLease(conversationId, this.owner, leaseMs))) {
            holding = false;
            return;
          }
          leasedAt = Date.now();
        }
        const handled = await this.process(message);
        const done = await this.store.messages.finish(message.id, conversationId, {
          ...(handled.nlu && { nlu: handled.nlu }),
          ...(lease && { leaseOwner: lease.owner }),
        });
        if (handled.observe) {
          this.metrics.processingSeconds.observe(
            { channel: message.channel },
            (Date.now() - message.createdAt) / 1000,
          );
        }
        if (done.released) {
          holding = false;
          // A message arrived while the lease was being let go: its own worker may have
          // found the lease still taken, so look again (the lease is free now).
          if (done.appendedMeanwhile) this.again.add(conversationId);
        }
        message = done.next;
      }
    } finally {
      if (lease && holding) await this.store.conversations.releaseLease(conversationId, this.owner);
    }
  }

  /** Runs the middleware on one message; what to record when marking it processed. */
  private async process(message: Message): Promise<{ nlu?: Message['nlu']; observe: boolean }> {
    const wait = this.options.beforeHandle?.(message);
    if (wait) await wait.catch(() => {});
    const ctx = await this.createContext(message);
    if (!ctx) return { observe: false };
    try {
      await this.handler(ctx);
    } catch (thrown) {
      // The database went away mid-turn (a reply or the flow state could not be stored): the
      // message is not done. The drain stops without marking it; the sweep runs it again once
      // the store is back, and the replies already stored are not sent twice (idempotent keys).
      if (isStoreUnavailable(thrown)) throw thrown;
      const error = asError(thrown);
      this.metrics.handlerErrors.inc({ channel: message.channel });
      this.logger.error(
        { err: error, conversationId: message.conversationId, messageId: message.id },
        'middleware failed while handling a message',
      );
      await this.store.events.add(message.conversationId, 'handler_error', {
        messageId: message.id,
        error: error.message,
      });
      try {
        await this.onError(error, ctx);
      } catch (secondary) {
        this.logger.error({ err: secondary }, 'the error handler failed too');
      }
    }
    return ctx.nlu ? { nlu: ctx.nlu, observe: true } : { observe: true };
  }

  private async createContext(message: Message): Promise<Context | null> {
    // Together: under load each store read waits for the current commit, so two in a row wait twice.
    const [conversation, customer] = await Promise.all([
      this.store.conversations.get(message.conversationId),
      this.store.customers.get(message.customerId),
    ]);
    if (!conversation || !customer) {
      this.logger.error({ messageId: message.id }, 'message without conversation or customer; skipped');
      return null;
    }
    const ContextClass = this.options.context ?? Context;
    return new ContextClass(message, conversation, customer, this.runtime);
  }
}
