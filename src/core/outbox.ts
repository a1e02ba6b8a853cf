/**
 * The outbox: the one owner of outbound delivery. Everything the bot, an operator or the
 * proactive API says is stored here first ({@link Outbox.enqueue}); for a `push` channel it is
 * stored `pending` and delivered here, in order per conversation, with retries; receipts from
 * the platforms come back here ({@link Outbox.receipt}).
 *
 * Before each delivery the channel's {@link ChannelAdapter.planDelivery} says whether and how
 * the message may go now (as it is, with a message tag, replaced by a template, or not at
 * all); the outbox carries the plan out and records it: the template marker (one template per
 * closed window), the message a template stood in for (sent as written once the customer
 * answers: {@link Outbox.windowReopened}), the conversation events. Adapters only transport.
 *
 * It honours the platform's `retry_after`, backs off on network and 5xx failures, and gives up
 * at once on a permanent refusal (blocked, chat not found, outside the window), recording a
 * conversation event instead of retrying forever. Pending deliveries resume after a restart
 * because they live in the store.
 *
 * @module
 */
import { ChannelApiError, asError } from '../errors';
import { contentToText, type Message } from '../model';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { NewMessage, Store } from '../store';
import type { ChannelAddress } from '../model';
import type { ChannelAdapter, DeliveryPlan, DeliveryTarget, SendResult } from './adapter';
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

/** A message to send: what {@link Outbox.enqueue} stores (direction, text and delivery state are its own). */
export type OutboundDraft = Omit<
  NewMessage,
  'direction' | 'text' | 'delivery' | 'knownNew' | 'nextAttemptAt'
>;

/** A platform's word on a message it was given. */
export interface DeliveryReceipt {
  channel: string;
  platformMessageId: string;
  state: 'delivered' | 'read' | 'failed';
  error?: string;
  /** The platform refused it as outside its messaging window (WhatsApp 131047). */
  windowClosed?: boolean;
}

/** What adapters get of the outbox: receipts (see {@link ChannelAdapter}). */
export interface OutboundReceipts {
  receipt(receipt: DeliveryReceipt): Promise<boolean>;
}

const DAY = 24 * 3_600_000;
const RANK: Record<string, number> = { pending: 0, received: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * A recipient on a channel, as the keys below name it: its address's one value (WhatsApp: the
 * wa_id, so the keys are the ones the WhatsApp adapter used before the outbox owned them), or
 * the whole address.
 */
function recipientKey(address: ChannelAddress): string {
  const keys = Object.keys(address).sort();
  const only = keys.length === 1 ? address[keys[0] as string] : undefined;
  return typeof only === 'string' || typeof only === 'number'
    ? String(only)
    : JSON.stringify(keys.map((k) => [k, address[k]]));
}

/** Where the outbox keeps the template marker and the held message of a recipient. */
const templateKey = (channel: string, address: ChannelAddress) =>
  `${channel}:template-sent:${recipientKey(address)}`;
const heldKey = (channel: string, address: ChannelAddress) => `${channel}:held:${recipientKey(address)}`;

/**
 * The plan for a message on a channel: the adapter's rules, or (without them) the channel's
 * messaging window from its capabilities.
 */
export function planDelivery(adapter: ChannelAdapter, target: DeliveryTarget): DeliveryPlan {
  if (adapter.planDelivery) return adapter.planDelivery(target);
  const hours = adapter.capabilities.messageWindowHours;
  const { lastInboundAt } = target;
  if (hours === undefined || (lastInboundAt !== undefined && Date.now() - lastInboundAt <= hours * 3_600_000))
    return { via: 'free_form' };
  return {
    via: 'refuse',
    reason: `outside ${adapter.channel}'s ${hours}-hour messaging window (${lastInboundAt === undefined ? 'the customer never wrote' : `the customer last wrote ${Math.floor((Date.now() - lastInboundAt) / 3_600_000)} h ago`})`,
  };
}

/**
 * The channel's plan for `target`, with the template marker when it matters: read only when a
 * plan without it says `template` (one kv read off the ordinary path), then asked again with
 * `templateSentAt` (one template per closed window). The outbox and the proactive API use it.
 */
export async function planWithMarker(
  store: Store,
  adapter: ChannelAdapter,
  target: DeliveryTarget,
): Promise<{ plan: DeliveryPlan; target: DeliveryTarget }> {
  const plan = planDelivery(adapter, target);
  if (plan.via !== 'template') return { plan, target };
  const sentAt = await store.kv.get<number>(templateKey(adapter.channel, target.address));
  if (sentAt === null || (target.lastInboundAt !== undefined && sentAt <= target.lastInboundAt))
    return { plan, target };
  const marked = { ...target, templateSentAt: sentAt };
  return { plan: planDelivery(adapter, marked), target: marked };
}

export class Outbox extends ConversationPump<Message> implements OutboundReceipts {
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

  /**
   * Stores an outgoing message and schedules its delivery: `pending` for a `push` channel,
   * delivered at once for a `store` channel (the web widget reads the store). Idempotent on
   * `idempotencyKey`: `created` is false when it was stored before.
   */
  async enqueue(draft: OutboundDraft): Promise<{ message: Message; created: boolean }> {
    const push = this.adapters.get(draft.channel)?.delivery !== 'store';
    const { message, created } = await this.store.messages.append({
      ...draft,
      direction: 'out',
      text: contentToText(draft.content),
      delivery: push ? 'pending' : 'sent',
    });
    if (created) {
      this.bus.publish({
        kind: 'message',
        conversationId: message.conversationId,
        customerId: message.customerId,
        message,
      });
      if (push) this.notify();
      else this.metrics.messagesOut.inc({ channel: message.channel });
    }
    return { message, created };
  }

  /**
   * Records a platform's delivery receipt (delivered, read, failed) for an outbound message,
   * by the platform's message id. States only move forward; a failure after the platform
   * accepted a message is recorded on the conversation. A failure because the window closed
   * meanwhile sends the channel's template instead, when it has one. Returns false when no
   * such message is known (receipts for messages sent elsewhere are normal).
   */
  async receipt(receipt: DeliveryReceipt): Promise<boolean> {
    const message = await this.store.messages.findOutbound(receipt.channel, receipt.platformMessageId);
    if (!message) return false;
    if (receipt.state !== 'failed' && (RANK[receipt.state] ?? 0) <= (RANK[message.delivery] ?? 0))
      return true;
    if (receipt.state === 'failed' && message.delivery === 'read') return true;
    await this.store.messages.updateDelivery(message.id, {
      delivery: receipt.state,
      ...(receipt.error !== undefined && { deliveryError: receipt.error }),
    });
    if (receipt.state === 'failed') {
      await this.store.events.add(message.conversationId, 'delivery_failed', {
        messageId: message.id,
        channel: receipt.channel,
        reason: 'platform_receipt',
        error: receipt.error ?? 'failed',
      });
    }
    this.bus.publish({
      kind: 'conversation',
      conversationId: message.conversationId,
      customerId: message.customerId,
      status: `delivery:${receipt.state}:${message.id}`,
    });
    if (receipt.state === 'failed' && receipt.windowClosed) {
      // The window closed between our check and delivery: invite the customer back.
      await this.inviteBack(message, receipt.error ?? 'outside the messaging window').catch(
        (error: unknown) =>
          this.logger.warn(
            { err: error, channel: receipt.channel, messageId: message.id },
            'template after a closed-window receipt failed',
          ),
      );
    }
    return true;
  }

  /**
   * The customer wrote on a channel after its messaging window had closed: the message a
   * template stood in for goes out now, as written. Only while it still carries the
   * template's id: once delivered as text, a second release is a no-op.
   */
  async windowReopened(channel: string, address: ChannelAddress): Promise<void> {
    const key = heldKey(channel, address);
    const held = await this.store.kv.get<{ messageId: string; template: string }>(key);
    if (!held) return;
    const message = await this.store.messages.get(held.messageId);
    if (!message || message.platformMessageId !== held.template || message.delivery === 'pending') {
      await this.store.kv.delete(key);
      return;
    }
    await this.store.messages.updateDelivery(message.id, {
      delivery: 'pending',
      deliveryError: null,
      nextAttemptAt: Date.now(),
    });
    // Only now: if the update failed, the next message from the customer tries again.
    await this.store.kv.delete(key);
    await this.store.events.add(message.conversationId, 'window_message_released', {
      messageId: message.id,
      channel: message.channel,
      note: 'the customer answered the template: the message it stood in for goes out now',
    });
    this.notify();
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
      const result = await this.carryOut(adapter, message);
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

  /** Plans the delivery with the channel's rules and carries the plan out. */
  private async carryOut(adapter: ChannelAdapter, message: Message): Promise<SendResult> {
    const send: NonNullable<ChannelAdapter['send']> = (delivery) =>
      (adapter.send as NonNullable<ChannelAdapter['send']>).call(adapter, delivery);
    const target = await this.target(message);
    const delivery = {
      message,
      content: message.content,
      address: message.address ?? {},
      ...(target.lastInboundAt !== undefined && { lastInboundAt: target.lastInboundAt }),
    };
    // "Typing…" is not a message: no window applies to it, and no template stands in for it.
    if (message.content.type === 'typing') return send({ ...delivery, plan: { via: 'free_form' } });
    const { plan, target: planned } = await planWithMarker(this.store, adapter, target);
    if (plan.via === 'refuse') throw refusal(message.channel, plan);
    if (plan.via === 'template') return this.viaTemplate(adapter, message, planned, plan, true);
    try {
      return await send({ ...delivery, plan });
    } catch (error) {
      // Our clock said the window was open; the platform disagrees. Never retried as is.
      if (!(error instanceof ChannelApiError && error.windowClosed)) throw error;
      const again = await planWithMarker(this.store, adapter, {
        ...target,
        platformRefusal: error.description,
      });
      if (again.plan.via === 'template')
        return this.viaTemplate(adapter, message, again.target, again.plan, false);
      throw again.plan.via === 'refuse' ? refusal(message.channel, again.plan) : error;
    }
  }

  /**
   * Sends the channel's template in place of `message`: once per closed window (the marker),
   * holding the message to send as written when the customer answers (`hold`).
   */
  private async viaTemplate(
    adapter: ChannelAdapter,
    message: Message,
    target: DeliveryTarget,
    plan: Extract<DeliveryPlan, { via: 'template' }>,
    hold: boolean,
  ): Promise<SendResult> {
    if (!adapter.sendTemplate) {
      throw refusal(message.channel, {
        via: 'refuse',
        reason: `the ${message.channel} channel planned a template but cannot send one`,
      });
    }
    const result = await adapter.sendTemplate({
      message,
      content: message.content,
      address: message.address ?? {},
      ...(target.lastInboundAt !== undefined && { lastInboundAt: target.lastInboundAt }),
    });
    const id = result.platformMessageId;
    await this.store.kv.set(templateKey(message.channel, target.address), Date.now(), 30 * DAY);
    if (hold && id) {
      await this.store.kv.set(
        heldKey(message.channel, target.address),
        { messageId: message.id, template: id },
        30 * DAY,
      );
    }
    const since =
      target.lastInboundAt === undefined
        ? 'the customer never wrote on this channel'
        : `the customer last wrote ${Math.floor((Date.now() - target.lastInboundAt) / 3_600_000)} h ago`;
    await this.store.events.add(message.conversationId, 'window_template_sent', {
      messageId: message.id,
      channel: message.channel,
      template: plan.template,
      note: `outside the messaging window (${since}${target.platformRefusal ? `; platform: ${target.platformRefusal}` : ''}): the template "${plan.template}" went out instead of this message's text${hold && id ? '; the text follows when the customer answers' : ''}`,
    });
    this.logger.info(
      { channel: message.channel, messageId: message.id, template: plan.template },
      'window closed: sent template',
    );
    return id ? { platformMessageId: id } : {};
  }

  /** A failed-after-sending message (closed window): the template instead, if the plan says so. */
  private async inviteBack(message: Message, platformRefusal: string): Promise<void> {
    const adapter = this.adapters.get(message.channel);
    if (!adapter) return;
    const target = { ...(await this.target(message)), platformRefusal };
    const { plan, target: planned } = await planWithMarker(this.store, adapter, target);
    if (plan.via === 'template') await this.viaTemplate(adapter, message, planned, plan, false);
  }

  /**
   * What the plan is made from: the recipient (the message's address) and when they last wrote
   * on the channel (the customer's identity with that address, else their latest there).
   */
  private async target(message: Message): Promise<DeliveryTarget> {
    const address = message.address ?? {};
    const key = recipientKey(address);
    const onChannel = (await this.store.identities.listByCustomer(message.customerId)).filter(
      (i) => i.channel === message.channel,
    );
    const identity =
      onChannel.find((i) => recipientKey(i.address) === key) ??
      onChannel.sort((a, b) => (b.lastInboundAt ?? 0) - (a.lastInboundAt ?? 0))[0];
    return {
      address,
      author: message.author,
      isReply: message.replyToId !== undefined,
      ...(identity?.lastInboundAt !== undefined && { lastInboundAt: identity.lastInboundAt }),
    };
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

/** A plan's refusal as the permanent error the outbox records. */
function refusal(channel: string, plan: Extract<DeliveryPlan, { via: 'refuse' }>): ChannelApiError {
  return new ChannelApiError({
    channel,
    method: 'send',
    description: `${plan.reason}; this message was not sent`,
    ...(plan.platformCode !== undefined && { platformCode: plan.platformCode }),
    permanent: true,
  });
}
