/**
 * The loop behind both outboxes (the channels' and the operator desk's): look for due work
 * when told something may be due ({@link ConversationPump.notify}) and on a poll interval,
 * never two looks at once, at most `concurrency` jobs in flight and one per conversation,
 * so each conversation's deliveries stay in order.
 *
 * @module
 */
import { ChannelApiError, TransportError } from '../errors';
import type { Logger } from '../observability/logger';

export interface PumpSettings {
  /** Jobs in flight at once (each conversation has at most one). */
  concurrency: number;
  /** How often to look for work that became due without a notify (retries, other processes'). */
  pollIntervalMs: number;
  /** For the log line when a look fails. */
  name: string;
}

export abstract class ConversationPump<Job extends { conversationId: string }> {
  protected readonly inFlight = new Map<string, Promise<void>>();
  protected stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    protected readonly logger: Logger,
    private readonly settings: PumpSettings,
  ) {}

  /** Up to `limit` due jobs, none of the conversations in `busy`. */
  protected abstract due(limit: number, busy: ReadonlySet<string>): Promise<Job[]>;
  /** Does the job; its failures are its own to record (a throw is only logged). */
  protected abstract handle(job: Job): Promise<void>;
  /** Whether any job is due now (for {@link ConversationPump.idle}). */
  protected abstract anyDue(): Promise<boolean>;

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.notify(), this.settings.pollIntervalMs);
    this.timer.unref();
    this.notify();
  }

  /** Takes no new jobs and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.pumping || this.inFlight.size > 0) {
      await Promise.allSettled([this.current, ...this.inFlight.values()]);
    }
  }

  /** Something may be due: look now. Cheap; call it freely. */
  notify(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.current = this.pump()
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, `${this.settings.name}: looking for work failed`),
      )
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.notify();
        }
      });
  }

  /** Resolves when nothing is in flight and nothing is due now (tests); jobs in backoff may wait. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.allSettled([this.current, ...this.inFlight.values()]);
      if (this.inFlight.size === 0 && !this.pumping && !(await this.anyDue())) return;
      if (!this.pumping) this.notify();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async pump(): Promise<void> {
    const free = this.settings.concurrency - this.inFlight.size;
    if (free <= 0) return;
    for (const job of await this.due(free, new Set(this.inFlight.keys()))) {
      if (this.stopped || this.inFlight.size >= this.settings.concurrency) break;
      if (this.inFlight.has(job.conversationId)) continue;
      const run = this.handle(job)
        .catch((error: unknown) => this.logger.error({ err: error }, `${this.settings.name}: a job failed`))
        .finally(() => {
          this.inFlight.delete(job.conversationId);
          this.notify();
        });
      this.inFlight.set(job.conversationId, run);
    }
  }
}

/**
 * How long to wait before the next attempt: the platform's `retry_after` when it gave one,
 * else exponential from `baseMs` (doubling per attempt, capped at `maxMs`) with jitter on
 * the upper half, which spreads the retries of many conversations after an outage.
 */
export function retryDelay(attempts: number, error: Error, baseMs = 1000, maxMs = 5 * 60_000): number {
  if (error instanceof ChannelApiError && error.retryAfter !== undefined)
    return Math.ceil(error.retryAfter * 1000);
  const exponential = Math.min(maxMs, baseMs * 2 ** (attempts - 1));
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return error instanceof TransportError || error instanceof ChannelApiError
    ? jittered
    : Math.max(jittered, baseMs);
}
