/**
 * WhatsApp Business Cloud API: webhooks at `GET/POST /webhooks/whatsapp`, messages
 * through `POST <META_GRAPH_URL>/{WHATSAPP_PHONE_NUMBER_ID}/messages`.
 *
 * The 24-hour customer service window is this channel's rule ({@link WhatsAppAdapter.planDelivery}):
 * free-form messages only within 24 h of the customer's last message. Outside it (by our
 * clock, or when the platform answers 131047) the configured template goes out instead —
 * once per closed window — and without a template the message is refused with a clear
 * reason. The outbox carries the plan out and records it (`window_template_sent`,
 * `window_message_released` when the customer answers, `delivery_failed`): this adapter
 * only transports.
 *
 * @module
 */
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  DeliveryPlan,
  DeliveryTarget,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import { capabilities } from './capabilities';
import { ChannelApiError } from '../../src/errors';
import type { Message } from '../../src/model';
import { GraphClient } from '../meta-graph/graph';
import { recipientOf } from '../meta-graph/recipient';
import { mountMetaWebhook } from '../meta-graph/verify';
import type { WhatsAppSettings } from './config';
import { CHANNEL, MEDIA_REF, parseWhatsAppWebhook, type WhatsAppItem } from './parse';
import { renderWhatsApp } from './render';

export { parseWhatsAppWebhook } from './parse';
export type { WhatsAppItem } from './parse';
export { renderWhatsApp } from './render';

const HOUR = 3_600_000;
export const WHATSAPP_WINDOW_MS = 24 * HOUR;

interface SendResponse {
  messages?: { id?: string }[];
}

export class WhatsAppAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  private readonly graph: GraphClient;
  private runtime: AdapterRuntime | undefined;

  constructor(private readonly settings: WhatsAppSettings) {
    this.graph = new GraphClient(CHANNEL, settings.META_GRAPH_URL, settings.WHATSAPP_ACCESS_TOKEN);
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    mountMetaWebhook(runtime.router, {
      path: '/webhooks/whatsapp',
      channel: CHANNEL,
      verifyToken: this.settings.WHATSAPP_VERIFY_TOKEN,
      appSecret: this.settings.WHATSAPP_APP_SECRET,
      handle: (body) => this.handle(body),
    });
  }

  async stop(): Promise<void> {
    await this.graph.close();
  }

  private get messagesPath(): string {
    return `${this.settings.WHATSAPP_PHONE_NUMBER_ID}/messages`;
  }

  private async handle(body: unknown): Promise<void> {
    const runtime = this.need();
    const fresh: string[] = [];
    for (const item of parseWhatsAppWebhook(body, this.settings.WHATSAPP_PHONE_NUMBER_ID)) {
      const accepted = await this.apply(item, runtime);
      if (accepted) fresh.push(accepted);
    }
    // Blue ticks, after the messages are stored; best effort, off the ack path.
    for (const id of fresh) {
      this.graph
        .post(
          this.messagesPath,
          { messaging_product: 'whatsapp', status: 'read', message_id: id },
          'mark_read',
        )
        .catch((error: unknown) =>
          runtime.logger.debug({ err: error, channel: CHANNEL }, 'mark as read failed'),
        );
    }
  }

  /** Applies one item; for a newly stored message returns its platform id (to mark it read). */
  private async apply(item: WhatsAppItem, runtime: AdapterRuntime): Promise<string | undefined> {
    switch (item.kind) {
      case 'message': {
        const accepted = await runtime.inbox.accept(item.event);
        if (accepted.duplicate || !item.event.platformMessageId) return undefined;
        return item.event.platformMessageId;
      }
      case 'status':
        if (item.status === 'sent') {
          runtime.logger.debug(
            { channel: CHANNEL, reason: 'sent: recorded when the API accepted it' },
            'status',
          );
          return undefined;
        }
        // A 131047 failure: the window closed between our check and delivery (the outbox
        // invites the customer back with the template, if there is one).
        await runtime.outbox.receipt({
          channel: CHANNEL,
          platformMessageId: item.platformMessageId,
          state: item.status,
          ...(item.error !== undefined && { error: item.error }),
          ...(item.status === 'failed' && item.errorCode === 131047 && { windowClosed: true }),
        });
        return undefined;
      case 'ignored':
        runtime.logger.info({ channel: CHANNEL, reason: item.reason }, 'ignored webhook event');
        return undefined;
    }
  }

  async send({ message, content, address }: OutboundDelivery): Promise<SendResult> {
    const to = recipientOf(address, 'waId', CHANNEL, 'WhatsApp');
    const parts = renderWhatsApp(content);
    if (parts.length === 0) return {};
    const context = await this.contextFor(message);
    let platformMessageId: string | undefined;
    try {
      for (const [i, part] of parts.entries()) {
        const res = await this.graph.post<SendResponse>(
          this.messagesPath,
          {
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to,
            ...(i === 0 && context && { context: { message_id: context } }),
            ...part,
          },
          'send',
        );
        platformMessageId = res.messages?.[0]?.id ?? platformMessageId;
      }
    } catch (error) {
      // A window refusal after a part went out is not "nothing was sent": plain failure then.
      if (error instanceof ChannelApiError && error.windowClosed && platformMessageId !== undefined)
        throw withoutWindowFlag(error);
      throw error;
    }
    return platformMessageId ? { platformMessageId } : {};
  }

  /**
   * The 24-hour window: free form inside it; outside (by our clock, or the platform's
   * 131047), the configured template once per closed window; otherwise refused, saying why.
   */
  planDelivery({ lastInboundAt, templateSentAt, platformRefusal }: DeliveryTarget): DeliveryPlan {
    const age = lastInboundAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - lastInboundAt;
    if (age <= WHATSAPP_WINDOW_MS && platformRefusal === undefined) return { via: 'free_form' };
    const since =
      lastInboundAt === undefined
        ? 'the customer never wrote to this number'
        : `the customer last wrote ${Math.floor(age / HOUR)} h ago`;
    const platform = platformRefusal ? `; platform: ${platformRefusal}` : '';
    const name = this.settings.WHATSAPP_TEMPLATE_NAME;
    if (!name) {
      return {
        via: 'refuse',
        reason: `outside WhatsApp's 24-hour window (${since}${platform}). Set WHATSAPP_TEMPLATE_NAME to an approved template to reach customers after 24 hours`,
        platformCode: 131047,
      };
    }
    if (templateSentAt !== undefined) {
      return {
        via: 'refuse',
        reason: `outside WhatsApp's 24-hour window (${since}${platform}); the template "${name}" already went out ${new Date(templateSentAt).toISOString()} and the customer has not answered yet`,
        platformCode: 131047,
      };
    }
    return { via: 'template', template: name };
  }

  /** The configured template, in place of `message` (the outbox decided and records it). */
  async sendTemplate({ address }: OutboundDelivery): Promise<SendResult> {
    const to = recipientOf(address, 'waId', CHANNEL, 'WhatsApp');
    const res = await this.graph.post<SendResponse>(
      this.messagesPath,
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to,
        type: 'template',
        template: {
          name: this.settings.WHATSAPP_TEMPLATE_NAME,
          language: { code: this.settings.WHATSAPP_TEMPLATE_LANGUAGE },
        },
      },
      'send_template',
    );
    const id = res.messages?.[0]?.id;
    return id ? { platformMessageId: id } : {};
  }

  /**
   * `wa-media:<id>` → `GET /{media-id}` for its short-lived URL, then the bytes from that
   * URL (both with the access token). Meta keeps inbound media for 30 days.
   */
  async fetchMedia(ref: string): Promise<FetchedMedia> {
    const id = ref.startsWith(MEDIA_REF) ? ref.slice(MEDIA_REF.length) : '';
    if (!/^[\w-]+$/.test(id)) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'media',
        description: `not a WhatsApp media reference: ${ref.slice(0, 40)}`,
        permanent: true,
      });
    }
    const media = await this.graph.get<{ url?: string; mime_type?: string }>(id, 'media');
    if (!media.url) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'media',
        description: 'Graph returned no URL for this media id',
        permanent: true,
      });
    }
    const file = await this.graph.download(media.url, 'media_download');
    return { ...file, ...(media.mime_type && { mimeType: media.mime_type }) };
  }

  /** The customer's message this one answers, quoted on the first reply to it. */
  private async contextFor(message: Message): Promise<string | undefined> {
    if (!message.replyToId) return undefined;
    const store = this.need().store;
    const inbound = await store.messages.get(message.replyToId);
    if (inbound?.direction !== 'in' || inbound.channel !== CHANNEL || !inbound.platformMessageId)
      return undefined;
    const between = await store.messages.list(message.conversationId, {
      afterSeq: inbound.seq,
      limit: Math.max(0, message.seq - inbound.seq - 1),
    });
    const earlierReply = between.some(
      (m) => m.direction === 'out' && m.replyToId === message.replyToId && m.seq < message.seq,
    );
    return earlierReply ? undefined : inbound.platformMessageId;
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('the whatsapp adapter is not started');
    return this.runtime;
  }
}

/** The same refusal without the window flag (some of the message already went out). */
function withoutWindowFlag(error: ChannelApiError): ChannelApiError {
  return new ChannelApiError({
    channel: error.channel,
    method: error.method,
    description: error.description,
    ...(error.status !== undefined && { status: error.status }),
    ...(error.platformCode !== undefined && { platformCode: error.platformCode }),
    permanent: error.permanent,
    cause: error,
  });
}
