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
import { ChannelApiError, asError } from '../errors';
import type { Message } from '../model';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Store } from '../store';
import type { ChannelAdapter } from './adapter';
import type { Bus } from './bus';
import { ConversationPump, retryDelay } from './pump';

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

export class Outbox extends ConversationPump<Message> {
  constructor(
    private readonly store: Store,
    private readonly adapters: ReadonlyMap<string, ChannelAdapter>,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    logger: Logger,
    private readonly options: OutboxOptions,
  ) {
    super(logger, {
      concurrency: options.concurrency,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      name: 'outbox',
    });
  }

  protected async due(limit: number, busy: ReadonlySet<string>): Promise<Message[]> {
    const due = await this.store.messages.dueForDelivery(Date.now(), limit + busy.size);
    return due.filter((m) => !busy.has(m.conversationId));
  }

  protected handle(message: Message): Promise<void> {
    return this.deliver(message);
  }

  protected async anyDue(): Promise<boolean> {
    return (await this.store.messages.dueForDelivery(Date.now(), 1)).length > 0;
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
    return retryDelay(attempts, error, this.options.retryBaseMs, this.options.maxRetryDelayMs);
  }
}
