/**
 * Facebook Messenger: webhooks at `GET/POST /webhooks/messenger`, replies through the
 * Send API (`POST <META_GRAPH_URL>/me/messages`) with the Page access token.
 *
 * The 24-hour window is this channel's rule ({@link MessengerAdapter.planDelivery}):
 * free-form messages may go out within 24 h of the customer's last message. After that an
 * operator's reply goes with the `HUMAN_AGENT` message tag (allowed up to 7 days; the app
 * needs the Human Agent permission); anything else is refused at once with a clear reason
 * that reaches the operator (the outbox records it), instead of being retried into a
 * refusal.
 *
 * @module
 */
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  DeliveryPlan,
  DeliveryTarget,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import { capabilities } from './capabilities';
import { ChannelApiError } from '../../src/errors';
import type { ChannelAddress } from '../../src/model';
import { GraphClient } from '../meta-graph/graph';
import { recipientOf } from '../meta-graph/recipient';
import { mountMetaWebhook } from '../meta-graph/verify';
import type { MessengerSettings } from './config';
import { CHANNEL, type MessengerItem, parseMessengerWebhook } from './parse';
import { renderMessenger } from './render';

export { parseMessengerWebhook } from './parse';
export type { MessengerItem } from './parse';
export { renderMessenger } from './render';

const HOUR = 3_600_000;
/** The standard messaging window. */
export const MESSENGER_WINDOW_MS = 24 * HOUR;
/** How long after the customer's last message `HUMAN_AGENT` still allows a human reply. */
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR;

export class MessengerAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  private readonly graph: GraphClient;
  private runtime: AdapterRuntime | undefined;

  constructor(private readonly settings: MessengerSettings) {
    this.graph = new GraphClient(CHANNEL, settings.META_GRAPH_URL, settings.MESSENGER_PAGE_ACCESS_TOKEN);
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    mountMetaWebhook(runtime.router, {
      path: '/webhooks/messenger',
      channel: CHANNEL,
      verifyToken: this.settings.MESSENGER_VERIFY_TOKEN,
      appSecret: this.settings.MESSENGER_APP_SECRET,
      handle: (body) => this.handle(body),
    });
  }

  async stop(): Promise<void> {
    await this.graph.close();
  }

  /** Stores every message of the POST (in order) and applies receipts; resolves when all is durable. */
  private async handle(body: unknown): Promise<void> {
    const runtime = this.need();
    for (const item of parseMessengerWebhook(body)) await this.apply(item, runtime);
  }

  private async apply(item: MessengerItem, runtime: AdapterRuntime): Promise<void> {
    switch (item.kind) {
      case 'message':
        await runtime.inbox.accept(item.event);
        return;
      case 'receipt':
        await this.applyReceipt(item, runtime);
        return;
      case 'ignored':
        runtime.logger.info({ channel: CHANNEL, reason: item.reason }, 'ignored webhook event');
        return;
    }
  }

  /**
   * Messenger receipts are watermarks: everything sent to this person before the
   * watermark is delivered (or read). `mids`, when present, name messages directly.
   */
  private async applyReceipt(
    receipt: Extract<MessengerItem, { kind: 'receipt' }>,
    runtime: AdapterRuntime,
  ): Promise<void> {
    const ids = new Set(receipt.mids);
    const identity = await runtime.store.identities.find(CHANNEL, receipt.psid);
    const conversation = identity ? await runtime.store.conversations.findOpen(identity.customerId) : null;
    if (conversation) {
      const messages = await runtime.store.messages.list(conversation.id);
      for (const m of messages) {
        if (
          m.direction === 'out' &&
          m.channel === CHANNEL &&
          m.platformMessageId &&
          (m.delivery === 'sent' || (m.delivery === 'delivered' && receipt.state === 'read')) &&
          m.createdAt <= receipt.watermark
        ) {
          ids.add(m.platformMessageId);
        }
      }
    }
    for (const platformMessageId of ids) {
      await runtime.outbox.receipt({ channel: CHANNEL, platformMessageId, state: receipt.state });
    }
  }

  async send({ message, content, address, lastInboundAt, plan }: OutboundDelivery): Promise<SendResult> {
    const psid = recipientOf(address, 'psid', CHANNEL, 'Messenger');
    if (content.type === 'typing') {
      await this.senderAction(psid, content.on);
      return {};
    }
    const isReply = message.replyToId !== undefined;
    const decided =
      plan ??
      this.planDelivery({
        address,
        author: message.author,
        isReply,
        ...(lastInboundAt !== undefined && { lastInboundAt }),
      });
    if (decided.via === 'refuse' || decided.via === 'template') {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'send',
        description: decided.via === 'refuse' ? decided.reason : 'Messenger has no templates',
        platformCode: 'window_closed',
        permanent: true,
      });
    }
    const mode =
      decided.via === 'message_tag'
        ? { messaging_type: 'MESSAGE_TAG', tag: decided.tag }
        : { messaging_type: isReply ? 'RESPONSE' : 'UPDATE' };
    let platformMessageId: string | undefined;
    for (const part of renderMessenger(content)) {
      const res = await this.graph.post<{ message_id?: string }>(
        'me/messages',
        { recipient: { id: psid }, ...mode, message: part },
        'send',
      );
      platformMessageId = res.message_id ?? platformMessageId;
    }
    return platformMessageId ? { platformMessageId } : {};
  }

  async sendTyping(address: ChannelAddress, on: boolean): Promise<void> {
    await this.senderAction(recipientOf(address, 'psid', CHANNEL, 'Messenger'), on);
  }

  /** The window: free form inside 24 h; an operator's reply with HUMAN_AGENT up to 7 days; else refused. */
  planDelivery({ author, lastInboundAt }: DeliveryTarget): DeliveryPlan {
    const age = lastInboundAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - lastInboundAt;
    if (age <= MESSENGER_WINDOW_MS) return { via: 'free_form' };
    if (author === 'operator' && age <= HUMAN_AGENT_WINDOW_MS)
      return { via: 'message_tag', tag: 'HUMAN_AGENT' };
    const since =
      lastInboundAt === undefined ? 'never wrote on Messenger' : `last wrote ${Math.floor(age / HOUR)} h ago`;
    return {
      via: 'refuse',
      reason:
        author === 'operator'
          ? `outside Messenger's 7-day human agent window: the customer ${since}; wait for them to write again`
          : `outside Messenger's 24-hour window: the customer ${since}; only an operator's reply (HUMAN_AGENT tag, up to 7 days) may go out now`,
      platformCode: 'window_closed',
    };
  }

  private async senderAction(psid: string, on: boolean): Promise<void> {
    await this.graph.post(
      'me/messages',
      { recipient: { id: psid }, sender_action: on ? 'typing_on' : 'typing_off' },
      'sender_action',
    );
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('the messenger adapter is not started');
    return this.runtime;
  }
}
