/**
 * WhatsApp Business Cloud API: webhooks at `GET/POST /webhooks/whatsapp`, messages
 * through `POST <META_GRAPH_URL>/{WHATSAPP_PHONE_NUMBER_ID}/messages`.
 *
 * The 24-hour customer service window: free-form messages only within 24 h of the
 * customer's last message. Outside it (by our clock, or when the platform answers
 * 131047) the configured template goes out instead — once per closed window, and the
 * free-form text stays out of it — and the conversation records a
 * `window_template_sent` event. When the customer answers, the message the template
 * stood in for (outside the window by our clock) goes out as written
 * (`window_message_released`). Without a template the message fails at once with a
 * clear error (a `delivery_failed` event), never an endless retry.
 *
 * @module
 */
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  OutboundDelivery,
  ProactiveTarget,
  ProactiveVerdict,
  SendResult,
} from '../../src/core/adapter';
import { capabilities } from './capabilities';
import { ChannelApiError } from '../../src/errors';
import type { Message } from '../../src/model';
import { GraphClient, isWindowClosed } from '../meta-graph/graph';
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
/** Where the message a template stood in for waits for the customer's answer. */
const heldKey = (waId: string) => `whatsapp:held:${waId}`;

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
    const reopened = new Set<string>();
    for (const item of parseWhatsAppWebhook(body, this.settings.WHATSAPP_PHONE_NUMBER_ID)) {
      const accepted = await this.apply(item, runtime);
      if (!accepted) continue;
      fresh.push(accepted.id);
      if (accepted.reopened) reopened.add(accepted.from);
    }
    // The customer wrote after the window had closed: what a template stood in for goes out now.
    for (const waId of reopened) {
      this.releaseHeld(waId).catch((error: unknown) =>
        runtime.logger.warn({ err: error, channel: CHANNEL }, 'releasing held messages failed'),
      );
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

  /**
   * Applies one item; for a newly stored message returns its platform id, its sender,
   * and whether it reopened a closed window.
   */
  private async apply(
    item: WhatsAppItem,
    runtime: AdapterRuntime,
  ): Promise<{ id: string; from: string; reopened: boolean } | undefined> {
    switch (item.kind) {
      case 'message': {
        const accepted = await runtime.inbox.accept(item.event);
        if (accepted.duplicate || !item.event.platformMessageId) return undefined;
        const previous = accepted.previousInboundAt;
        return {
          id: item.event.platformMessageId,
          from: item.event.sender.externalId,
          reopened: previous === undefined || accepted.message.createdAt - previous > WHATSAPP_WINDOW_MS,
        };
      }
      case 'status':
        if (item.status === 'sent') {
          runtime.logger.debug(
            { channel: CHANNEL, reason: 'sent: recorded when the API accepted it' },
            'status',
          );
          return undefined;
        }
        await runtime.inbox.receipt({
          channel: CHANNEL,
          platformMessageId: item.platformMessageId,
          state: item.status,
          ...(item.error !== undefined && { error: item.error }),
        });
        if (item.status === 'failed' && item.errorCode === 131047 && item.recipient) {
          // The window closed between our check and delivery: invite the customer back.
          const message = await runtime.store.messages.findOutbound(CHANNEL, item.platformMessageId);
          const identity = await runtime.store.identities.find(CHANNEL, item.recipient);
          if (message && this.settings.WHATSAPP_TEMPLATE_NAME) {
            await this.sendTemplate(message, item.recipient, identity?.lastInboundAt).catch(
              (error: unknown) =>
                runtime.logger.warn(
                  { err: error, channel: CHANNEL },
                  'template after a 131047 status failed',
                ),
            );
          }
        }
        return undefined;
      case 'ignored':
        runtime.logger.info({ channel: CHANNEL, reason: item.reason }, 'ignored webhook event');
        return undefined;
    }
  }

  async send({ message, content, address, lastInboundAt }: OutboundDelivery): Promise<SendResult> {
    const to = recipientOf(address, 'waId', CHANNEL, 'WhatsApp');
    const parts = renderWhatsApp(content);
    if (parts.length === 0) return {};
    const age = lastInboundAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - lastInboundAt;
    if (age > WHATSAPP_WINDOW_MS) return this.sendTemplate(message, to, lastInboundAt, undefined, true);
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
      // Our clock said the window was open; the platform disagrees. Never retried as is.
      if (isWindowClosed(error) && platformMessageId === undefined) {
        return this.sendTemplate(message, to, lastInboundAt, error as ChannelApiError);
      }
      throw error;
    }
    return platformMessageId ? { platformMessageId } : {};
  }

  /**
   * Inside the 24-hour window a proactive message goes as it is; outside, the configured
   * template goes instead — unless there is none, or it already went out and the
   * customer has not answered (what {@link WhatsAppAdapter.send} would refuse anyway).
   */
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

  async proactiveVerdict({ address, lastInboundAt }: ProactiveTarget): Promise<ProactiveVerdict> {
    const age = lastInboundAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - lastInboundAt;
    if (age <= WHATSAPP_WINDOW_MS) return { allowed: true, via: 'free_form' };
    const since = lastInboundAt === undefined ? 'never wrote' : `last wrote ${Math.floor(age / HOUR)} h ago`;
    const name = this.settings.WHATSAPP_TEMPLATE_NAME;
    if (!name) {
      return {
        allowed: false,
        reason: `outside WhatsApp's 24-hour window (the customer ${since}) and no WHATSAPP_TEMPLATE_NAME is set`,
      };
    }
    const to = typeof address.waId === 'string' ? address.waId : undefined;
    const sentAt = to ? await this.need().store.kv.get<number>(`whatsapp:template-sent:${to}`) : null;
    if (sentAt !== null && (lastInboundAt === undefined || sentAt > lastInboundAt)) {
      return {
        allowed: false,
        reason: `outside WhatsApp's 24-hour window (the customer ${since}); the template "${name}" already went out ${new Date(sentAt).toISOString()} and the customer has not answered yet`,
      };
    }
    return { allowed: true, via: 'template' };
  }

  /**
   * Outside the window: the configured template, once per closed window (a second
   * message before the customer answers fails, rather than spamming templates).
   */
  private async sendTemplate(
    message: Message,
    to: string,
    lastInboundAt: number | undefined,
    platformError?: ChannelApiError,
    /** Deliver the message itself once the customer answers (see {@link releaseHeld}). */
    hold = false,
  ): Promise<SendResult> {
    const runtime = this.need();
    const since =
      lastInboundAt === undefined
        ? 'the customer never wrote to this number'
        : `the customer last wrote ${Math.floor((Date.now() - lastInboundAt) / HOUR)} h ago`;
    const name = this.settings.WHATSAPP_TEMPLATE_NAME;
    if (!name) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'send',
        ...(platformError?.status !== undefined && { status: platformError.status }),
        description: `outside WhatsApp's 24-hour window (${since}${platformError ? `; platform: ${platformError.description}` : ''}). Set WHATSAPP_TEMPLATE_NAME to an approved template to reach customers after 24 hours; this message was not sent`,
        platformCode: 131047,
        permanent: true,
      });
    }
    const key = `whatsapp:template-sent:${to}`;
    const sentAt = await runtime.store.kv.get<number>(key);
    if (sentAt !== null && (lastInboundAt === undefined || sentAt > lastInboundAt)) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'send',
        description: `outside WhatsApp's 24-hour window (${since}); the template "${name}" already went out ${new Date(sentAt).toISOString()} and the customer has not answered yet, so this message was not sent`,
        platformCode: 131047,
        permanent: true,
      });
    }
    const res = await this.graph.post<SendResponse>(
      this.messagesPath,
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to,
        type: 'template',
        template: { name, language: { code: this.settings.WHATSAPP_TEMPLATE_LANGUAGE } },
      },
      'send_template',
    );
    await runtime.store.kv.set(key, Date.now(), 30 * 24 * HOUR);
    const id = res.messages?.[0]?.id;
    if (hold && id)
      await runtime.store.kv.set(heldKey(to), { messageId: message.id, template: id }, 30 * 24 * HOUR);
    await runtime.store.events.add(message.conversationId, 'window_template_sent', {
      messageId: message.id,
      channel: CHANNEL,
      template: name,
      note: `outside WhatsApp's 24-hour window (${since}): the template "${name}" went out instead of this message's text${hold && id ? '; the text follows when the customer answers' : ''}`,
    });
    runtime.logger.info(
      { channel: CHANNEL, messageId: message.id, template: name },
      'window closed: sent template',
    );
    return id ? { platformMessageId: id } : {};
  }

  /**
   * The customer answered after a template stood in for a message: that message goes
   * out now, as written (the window is open again). Only while it still carries the
   * template's id: once delivered as text, a second release is a no-op.
   */
  private async releaseHeld(waId: string): Promise<void> {
    const { store } = this.need();
    const held = await store.kv.get<{ messageId: string; template: string }>(heldKey(waId));
    if (!held) return;
    await store.kv.delete(heldKey(waId));
    const message = await store.messages.get(held.messageId);
    if (!message || message.platformMessageId !== held.template || message.delivery === 'pending') return;
    await store.messages.updateDelivery(message.id, {
      delivery: 'pending',
      deliveryError: null,
      nextAttemptAt: Date.now(),
    });
    await store.events.add(message.conversationId, 'window_message_released', {
      messageId: message.id,
      channel: CHANNEL,
      note: 'the customer answered the template: the message it stood in for goes out now',
    });
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
