/**
 * The outbox: every outgoing message for a `push` channel is stored `pending` first,
 * then delivered here, in order per conversation, with retries. It honours the
 * platform's `retry_after`, backs off on network and 5xx failures, and gives up at
 * once on a permanent refusal (blocked, chat not found, outside the window), recording
 * a conversation event instead of retrying forever. Pending deliveries resume after a
 * restart because they live in the store.
 *
 * @module
 */
import { ChannelApiError, TransportError, asError } from '../errors';
import type { Message } from '../model';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Store } from '../store';
import type { ChannelAdapter } from './adapter';
import type { Bus } from './bus';

export interface OutboxOptions {
  /** Deliveries in flight at once (each conversation has at most one). */
  concurrency: number;
  maxAttempts: number;
  /** First retry delay; doubles per attempt, capped at `maxRetryDelayMs`. */
  retryBaseMs?: number;
  maxRetryDelayMs?: number;
  /** How often to look for deliveries that became due (retries, other processes' leftovers). */
  pollIntervalMs?: number;
}

export class Outbox {
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly adapters: ReadonlyMap<string, ChannelAdapter>,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: OutboxOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.notify(), this.options.pollIntervalMs ?? 500);
    this.timer.unref();
    this.notify();
  }

  /** Stops taking new deliveries and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Something may be due: look now. */
  notify(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'outbox pump failed'))
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.notify();
        }
      });
  }

  /** Resolves when no delivery is in flight and nothing is due now (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.inFlight.values()]);
      const due = await this.store.messages.dueForDelivery(Date.now(), 1);
      if (this.inFlight.size === 0 && due.length === 0 && !this.pumping) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
      this.notify();
    }
  }

  private async pump(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const due = await this.store.messages.dueForDelivery(Date.now(), free + this.inFlight.size);
    for (const message of due) {
      if (this.stopped || this.inFlight.size >= this.options.concurrency) break;
      if (this.inFlight.has(message.conversationId)) continue;
      const delivery = this.deliver(message).finally(() => {
        this.inFlight.delete(message.conversationId);
        this.notify();
      });
      this.inFlight.set(message.conversationId, delivery);
    }
  }

  private async deliver(message: Message): Promise<void> {
    const adapter = this.adapters.get(message.channel);
    const attempts = message.attempts + 1;
    try {
      if (!adapter?.send) {
        throw new ChannelApiError({
          channel: message.channel,
          method: 'send',
          description: `the ${message.channel} channel is not configured in this process`,
          permanent: true,
        });
      }
      const lastInboundAt = await this.lastInboundAt(message);
      const result = await adapter.send({
        message,
        content: message.content,
        address: message.address ?? {},
        ...(lastInboundAt !== undefined && { lastInboundAt }),
      });
      await this.store.messages.updateDelivery(message.id, {
        delivery: 'sent',
        attempts,
        deliveryError: null,
        ...(result.platformMessageId !== undefined && { platformMessageId: result.platformMessageId }),
      });
      this.metrics.messagesOut.inc({ channel: message.channel });
    } catch (thrown) {
      await this.failed(message, attempts, asError(thrown));
    }
  }

  /** When the customer last wrote on the message's channel (for messaging windows). */
  private async lastInboundAt(message: Message): Promise<number | undefined> {
    const identities = await this.store.identities.listByCustomer(message.customerId);
    const times = identities
      .filter((i) => i.channel === message.channel && i.lastInboundAt !== undefined)
      .map((i) => i.lastInboundAt as number);
    return times.length > 0 ? Math.max(...times) : undefined;
  }

  private async failed(message: Message, attempts: number, error: Error): Promise<void> {
    const permanent = error instanceof ChannelApiError && error.permanent;
    const log = {
      err: error,
      messageId: message.id,
      conversationId: message.conversationId,
      channel: message.channel,
      attempts,
    };
    if (permanent || attempts >= this.options.maxAttempts) {
      const reason = permanent ? 'refused' : 'gave_up';
      await this.store.messages.updateDelivery(message.id, {
        delivery: 'failed',
        attempts,
        deliveryError: error.message,
      });
      const event = await this.store.events.add(message.conversationId, 'delivery_failed', {
        messageId: message.id,
        channel: message.channel,
        reason,
        error: error.message,
        ...(error instanceof ChannelApiError && { platformCode: error.platformCode, status: error.status }),
      });
      this.metrics.deliveryFailures.inc({ channel: message.channel, reason });
      this.bus.publish({
        kind: 'conversation',
        conversationId: message.conversationId,
        customerId: message.customerId,
        status: `delivery_failed:${event.id}`,
      });
      this.logger.warn(
        log,
        permanent ? 'platform refused the message; not retrying' : 'delivery failed; giving up',
      );
      return;
    }
    const delay = this.retryDelay(attempts, error);
    await this.store.messages.updateDelivery(message.id, {
      delivery: 'pending',
      attempts,
      deliveryError: error.message,
      nextAttemptAt: Date.now() + delay,
    });
    this.logger.info({ ...log, retryInMs: delay }, 'delivery failed; will retry');
  }

  private retryDelay(attempts: number, error: Error): number {
    if (error instanceof ChannelApiError && error.retryAfter !== undefined)
      return Math.ceil(error.retryAfter * 1000);
    const base = this.options.retryBaseMs ?? 1000;
    const max = this.options.maxRetryDelayMs ?? 5 * 60_000;
    const exponential = Math.min(max, base * 2 ** (attempts - 1));
    // Full jitter on the upper half: spreads retries of many conversations after an outage.
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    return error instanceof TransportError || error instanceof ChannelApiError
      ? jittered
      : Math.max(jittered, base);
  }
}
