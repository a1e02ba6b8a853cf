/**
 * WhatsApp Cloud API webhook payloads → normalised inbound events, status receipts,
 * or a reason to ignore.
 *
 * Envelope: `{object:'whatsapp_business_account', entry:[{changes:[{field:'messages',
 * value:{metadata:{phone_number_id}, contacts?, messages? | statuses?}}]}]}`.
 *
 * @module
 */
import type { InboundEvent } from '../../src/core/adapter';
import { PayloadError } from '../../src/errors';
import { validatePayload } from '../../src/server/validate';
import type { Content, MediaKind } from '../../src/model';
import { NUMBERED_ID } from './render';
import { whatsappWebhookSchema } from './schema';

export const CHANNEL = 'whatsapp';
/** How a message keeps WhatsApp media: its bytes need the access token (see fetchMedia). */
export const MEDIA_REF = 'wa-media:';

export type WhatsAppItem =
  | { kind: 'message'; event: InboundEvent }
  | {
      kind: 'status';
      status: 'sent' | 'delivered' | 'read' | 'failed';
      platformMessageId: string;
      recipient: string;
      errorCode?: number;
      error?: string;
    }
  | { kind: 'ignored'; reason: string };

interface Media {
  id?: string;
  mime_type?: string;
  caption?: string;
  filename?: string;
}

interface WaMessage {
  from?: string;
  id?: string;
  timestamp?: string;
  type?: string;
  context?: { from?: string; id?: string };
  text?: { body?: string };
  image?: Media;
  document?: Media;
  audio?: Media;
  video?: Media;
  sticker?: Media;
  location?: { latitude?: number; longitude?: number; name?: string; address?: string };
  contacts?: { name?: { formatted_name?: string }; phones?: { phone?: string }[] }[];
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string };
  };
  button?: { payload?: string; text?: string };
  reaction?: unknown;
}

interface WaStatus {
  id?: string;
  status?: string;
  recipient_id?: string;
  errors?: { code?: number; title?: string; message?: string; error_data?: { details?: string } }[];
}

interface ChangeValue {
  metadata?: { phone_number_id?: string };
  contacts?: { wa_id?: string; profile?: { name?: string } }[];
  messages?: WaMessage[];
  statuses?: WaStatus[];
}

const MEDIA: Record<string, MediaKind> = {
  image: 'image',
  sticker: 'image',
  document: 'file',
  audio: 'audio',
  video: 'video',
};

/**
 * Every item of a webhook body, in order. Events for another phone number of the same
 * app are ignored (each number is its own bot). Throws PayloadError for a malformed envelope.
 */
export function parseWhatsAppWebhook(body: unknown, phoneNumberId: string): WhatsAppItem[] {
  const envelope = body as { object?: unknown; entry?: unknown } | null;
  if (!envelope || typeof envelope !== 'object') throw new PayloadError('body must be a JSON object');
  if (envelope.object !== 'whatsapp_business_account') {
    return [
      { kind: 'ignored', reason: `object "${String(envelope.object)}" is not a WhatsApp Business event` },
    ];
  }
  validatePayload(CHANNEL, whatsappWebhookSchema, body);
  const items: WhatsAppItem[] = [];
  for (const entry of envelope.entry as { changes?: unknown }[]) {
    if (!Array.isArray(entry?.changes)) continue;
    for (const change of entry.changes as { field?: string; value?: ChangeValue }[]) {
      if (change.field !== 'messages' || !change.value) {
        items.push({ kind: 'ignored', reason: `change field "${change.field}" is not subscribed to` });
        continue;
      }
      const value = change.value;
      if (value.metadata?.phone_number_id !== phoneNumberId) {
        items.push({
          kind: 'ignored',
          reason: `for phone number ID ${value.metadata?.phone_number_id}, not WHATSAPP_PHONE_NUMBER_ID`,
        });
        continue;
      }
      for (const message of value.messages ?? []) items.push(parseMessage(message, value));
      for (const status of value.statuses ?? []) items.push(parseStatus(status));
    }
  }
  return items;
}

function parseMessage(m: WaMessage, value: ChangeValue): WhatsAppItem {
  if (!m.from || !m.id) return { kind: 'ignored', reason: 'message without from or id' };
  const content = messageContent(m);
  if ('reason' in content) return { kind: 'ignored', reason: content.reason };
  const name = value.contacts?.find((c) => c.wa_id === m.from)?.profile?.name;
  const seconds = Number(m.timestamp);
  return {
    kind: 'message',
    event: {
      channel: CHANNEL,
      platformMessageId: m.id,
      sender: { externalId: m.from, profile: { ...(name && { name }), phone: `+${m.from}` } },
      address: { waId: m.from },
      content,
      ...(Number.isFinite(seconds) && { sentAt: seconds * 1000 }),
    },
  };
}

function messageContent(m: WaMessage): Content | { reason: string } {
  const type = m.type ?? '';
  switch (type) {
    case 'text':
      return m.text?.body ? { type: 'text', text: m.text.body } : { reason: 'text message without body' };
    case 'image':
    case 'sticker':
    case 'document':
    case 'audio':
    case 'video': {
      const media = m[type];
      const kind = MEDIA[type];
      if (!media?.id || !kind) return { reason: `${type} without media id` };
      return {
        type: 'media',
        kind,
        // Media bytes need an authorised GET /{media-id}; the id is what we can keep.
        url: `${MEDIA_REF}${media.id}`,
        ...(media.caption && { caption: media.caption }),
        ...(media.filename && { filename: media.filename }),
        ...(media.mime_type && { mimeType: media.mime_type }),
      };
    }
    case 'interactive': {
      const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
      if (!reply?.id) return { reason: `interactive "${m.interactive?.type}" without a reply id` };
      // A payload too long (or not unique) for an id went out as its number (see render.ts).
      const numbered = NUMBERED_ID.exec(reply.id);
      if (numbered) return { type: 'text', text: numbered[1] as string };
      return { type: 'postback', payload: reply.id, ...(reply.title && { title: reply.title }) };
    }
    case 'button':
      // A template's quick-reply button.
      return m.button?.payload
        ? { type: 'postback', payload: m.button.payload, ...(m.button.text && { title: m.button.text }) }
        : { reason: 'template button without payload' };
    case 'location': {
      const l = m.location;
      if (l?.latitude === undefined || l.longitude === undefined)
        return { reason: 'location without coordinates' };
      return {
        type: 'location',
        latitude: l.latitude,
        longitude: l.longitude,
        ...(l.name && { name: l.name }),
        ...(l.address && { address: l.address }),
      };
    }
    case 'contacts': {
      const lines = (m.contacts ?? []).map((c) =>
        [c.name?.formatted_name, ...(c.phones ?? []).map((p) => p.phone)].filter(Boolean).join(' '),
      );
      return { type: 'text', text: `[contact] ${lines.join('; ')}`.trim() };
    }
    case 'reaction':
      return { reason: 'reaction (not a message to answer)' };
    case 'unsupported':
      return { reason: 'message type WhatsApp itself does not support in the API' };
    case 'system':
      return { reason: 'system message (number change, …)' };
    default:
      return { reason: `unsupported message type "${type}"` };
  }
}

function parseStatus(s: WaStatus): WhatsAppItem {
  const status = s.status;
  if (!s.id || (status !== 'sent' && status !== 'delivered' && status !== 'read' && status !== 'failed')) {
    return { kind: 'ignored', reason: `status "${status}" not tracked` };
  }
  const first = s.errors?.[0];
  return {
    kind: 'status',
    status,
    platformMessageId: s.id,
    recipient: s.recipient_id ?? '',
    ...(first?.code !== undefined && { errorCode: first.code }),
    ...(first && {
      error: [
        first.title ?? first.message,
        first.code !== undefined ? `(code ${first.code})` : '',
        first.error_data?.details,
      ]
        .filter(Boolean)
        .join(' '),
    }),
  };
}
