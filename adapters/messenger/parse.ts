/**
 * Messenger webhook payloads → normalised inbound events, receipts, or a reason to
 * ignore. One POST may batch several entries, each with several `messaging` items.
 *
 * @module
 */
import type { InboundEvent } from '../../src/core/adapter';
import { PayloadError } from '../../src/errors';
import { validatePayload } from '../../src/server/validate';
import type { Content, MediaKind } from '../../src/model';
import { messengerWebhookSchema } from './schema';

export const CHANNEL = 'messenger';

/** What one `messaging` item means to Switchboard. */
export type MessengerItem =
  | { kind: 'message'; event: InboundEvent }
  | { kind: 'receipt'; state: 'delivered' | 'read'; psid: string; mids: string[]; watermark: number }
  | { kind: 'ignored'; reason: string };

interface Attachment {
  type?: string;
  title?: string;
  url?: string;
  payload?: {
    url?: string;
    sticker_id?: number;
    coordinates?: { lat?: number; long?: number };
    title?: string;
  } | null;
}

interface Referral {
  ref?: string;
  source?: string;
  type?: string;
}

interface MessagingItem {
  sender?: { id?: string };
  recipient?: { id?: string };
  timestamp?: number;
  message?: {
    mid?: string;
    text?: string;
    is_echo?: boolean;
    quick_reply?: { payload?: string };
    attachments?: Attachment[];
  };
  postback?: { mid?: string; title?: string; payload?: string; referral?: Referral };
  referral?: Referral;
  delivery?: { mids?: string[]; watermark?: number };
  read?: { watermark?: number };
  message_edit?: unknown;
  reaction?: unknown;
  optin?: unknown;
}

/** Every item of a webhook body, in order. Throws PayloadError when the envelope itself is malformed. */
export function parseMessengerWebhook(body: unknown): MessengerItem[] {
  const envelope = body as { object?: unknown; entry?: unknown } | null;
  if (!envelope || typeof envelope !== 'object') throw new PayloadError('body must be a JSON object');
  if (envelope.object !== 'page') {
    return [{ kind: 'ignored', reason: `object "${String(envelope.object)}" is not a Page event` }];
  }
  validatePayload(CHANNEL, messengerWebhookSchema, body);
  const items: MessengerItem[] = [];
  for (const entry of envelope.entry as { messaging?: unknown; standby?: unknown }[]) {
    if (Array.isArray(entry?.standby)) {
      items.push({
        kind: 'ignored',
        reason: 'standby channel: another app owns the thread (handover protocol)',
      });
    }
    if (!Array.isArray(entry?.messaging)) continue;
    for (const item of entry.messaging as MessagingItem[]) items.push(...parseItem(item));
  }
  return items;
}

function parseItem(item: MessagingItem): MessengerItem[] {
  const psid = item.sender?.id;
  if (!psid) return [{ kind: 'ignored', reason: 'messaging item without sender.id' }];
  const sentAt = typeof item.timestamp === 'number' ? item.timestamp : undefined;
  const base = (platformMessageId: string, content: Content, ref?: string): MessengerItem => ({
    kind: 'message',
    event: {
      channel: CHANNEL,
      platformMessageId,
      sender: { externalId: psid },
      // The m.me `ref` rides on the message's address: identity linking reads it there.
      address: ref ? { psid, ref } : { psid },
      content,
      ...(sentAt !== undefined && { sentAt }),
    },
  });

  if (item.message) {
    const m = item.message;
    if (m.is_echo) return [{ kind: 'ignored', reason: 'echo of a message the Page sent' }];
    if (!m.mid) return [{ kind: 'ignored', reason: 'message without mid' }];
    if (m.quick_reply?.payload) {
      return [
        base(m.mid, {
          type: 'postback',
          payload: m.quick_reply.payload,
          ...(m.text && { title: m.text }),
        }),
      ];
    }
    const out: MessengerItem[] = [];
    if (m.text) out.push(base(m.mid, { type: 'text', text: m.text }));
    (m.attachments ?? []).forEach((attachment, i) => {
      const content = attachmentContent(attachment);
      // A message's attachments share its mid; the first one keeps it as the dedupe key.
      const id = out.length === 0 && i === 0 ? (m.mid ?? '') : `${m.mid}#${i + 1}`;
      if (content) out.push(base(id, content));
      else out.push({ kind: 'ignored', reason: `unsupported attachment type "${attachment.type}"` });
    });
    if (out.length === 0) out.push({ kind: 'ignored', reason: 'message with neither text nor attachments' });
    return out;
  }
  if (item.postback) {
    const p = item.postback;
    const id = p.mid ?? `postback:${psid}:${item.timestamp ?? ''}`;
    return [
      base(
        id,
        { type: 'postback', payload: p.payload ?? p.title ?? '', ...(p.title && { title: p.title }) },
        p.referral?.ref,
      ),
    ];
  }
  if (item.referral) {
    // An existing thread opened from an m.me link or an ad: no message, just the ref.
    const ref = item.referral.ref;
    if (!ref) return [{ kind: 'ignored', reason: 'referral without ref' }];
    return [
      base(`referral:${psid}:${item.timestamp ?? ''}`, { type: 'postback', payload: `referral:${ref}` }, ref),
    ];
  }
  if (item.delivery) {
    const watermark = item.delivery.watermark;
    if (typeof watermark !== 'number') return [{ kind: 'ignored', reason: 'delivery without watermark' }];
    return [{ kind: 'receipt', state: 'delivered', psid, mids: item.delivery.mids ?? [], watermark }];
  }
  if (item.read) {
    const watermark = item.read.watermark;
    if (typeof watermark !== 'number') return [{ kind: 'ignored', reason: 'read without watermark' }];
    return [{ kind: 'receipt', state: 'read', psid, mids: [], watermark }];
  }
  if (item.message_edit) {
    return [
      {
        kind: 'ignored',
        reason: 'message edit: the transcript keeps what the bot answered (edits are not replayed)',
      },
    ];
  }
  if (item.reaction) return [{ kind: 'ignored', reason: 'reaction' }];
  if (item.optin) return [{ kind: 'ignored', reason: 'opt-in (plugin / notification request)' }];
  return [{ kind: 'ignored', reason: `unsupported messaging item (${Object.keys(item).join(', ')})` }];
}

const MEDIA_KINDS: Record<string, MediaKind> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'file',
};

function attachmentContent(attachment: Attachment): Content | null {
  const type = attachment.type ?? '';
  const payload = attachment.payload ?? {};
  const kind = MEDIA_KINDS[type];
  if (kind && payload.url) return { type: 'media', kind, url: payload.url };
  if (type === 'image' && payload.sticker_id !== undefined && payload.url)
    return { type: 'media', kind: 'image', url: payload.url };
  if (
    type === 'location' &&
    payload.coordinates?.lat !== undefined &&
    payload.coordinates.long !== undefined
  ) {
    return {
      type: 'location',
      latitude: payload.coordinates.lat,
      longitude: payload.coordinates.long,
      ...(payload.title && { name: payload.title }),
    };
  }
  if (type === 'fallback') {
    const url = attachment.url ?? payload.url;
    const title = attachment.title ?? payload.title;
    if (url || title) return { type: 'text', text: [title, url].filter(Boolean).join('\n') };
  }
  return null;
}
