/**
 * Content → Bot API calls. Every Content kind becomes one or more calls; nothing is
 * dropped: what Telegram cannot show natively is degraded (a card becomes a photo with
 * a caption and a keyboard, an unsendable media URL becomes a link).
 *
 * Text is sent with `parse_mode: HTML` and escaped, so a customer-facing `<` or `&` in
 * bot text is shown as typed; card titles use `<b>`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Button, Card, Content, PostbackButton } from '../../src/model';
import { contentToText } from '../../src/model';
import type { ChannelLimits } from '../../src/core/adapter';
import type { KvRepo } from '../../src/store';
import { capabilities } from './capabilities';

/** Telegram's limits: the channel's one table (capabilities.ts; https://core.telegram.org/bots/api#sendmessage). */
const limits = capabilities.limits as ChannelLimits;
export const MAX_TEXT = limits.text;
export const MAX_CAPTION = limits.caption;
export const MAX_CALLBACK_DATA_BYTES = limits.payload;

/** One Bot API call. `fallback` replaces it when Telegram refuses a media file or URL. */
export interface TelegramCall {
  method: string;
  payload: Record<string, unknown>;
  fallback?: TelegramCall;
}

type InlineButton = { text: string; callback_data: string } | { text: string; url: string };

/**
 * `callback_data` is at most 64 bytes. Longer payloads (and payloads that look like our
 * keys) travel as a short key; the payload waits in the store under it. The key is a hash
 * of the payload, so re-sending the same button reuses the same entry.
 */
export class CallbackData {
  static readonly PREFIX = 'sb~';
  /** Buttons stay pressable for this long. */
  static readonly TTL_MS = 180 * 24 * 3600 * 1000;

  constructor(private readonly kv: KvRepo) {}

  async encode(payload: string): Promise<string> {
    // callback_data must be 1–64 bytes: an empty payload travels as a key too.
    const bytes = Buffer.byteLength(payload);
    if (bytes > 0 && bytes <= MAX_CALLBACK_DATA_BYTES && !payload.startsWith(CallbackData.PREFIX)) {
      return payload;
    }
    const key = CallbackData.PREFIX + createHash('sha256').update(payload).digest('base64url').slice(0, 24);
    await this.kv.set(`telegram:cb:${key}`, payload, CallbackData.TTL_MS);
    return key;
  }

  /** The payload behind `data`, or null when a key has expired. */
  async decode(data: string): Promise<string | null> {
    if (!data.startsWith(CallbackData.PREFIX)) return data;
    return this.kv.get<string>(`telegram:cb:${data}`);
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `tg-file:<file_id>` (how inbound media is stored) → the file id; URLs stay URLs. */
export function mediaRef(url: string): string {
  return url.startsWith('tg-file:') ? url.slice('tg-file:'.length) : url;
}

/** Splits plain text into pieces Telegram accepts, at paragraph, line or word breaks. */
export function splitText(text: string, max = MAX_TEXT): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'));
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut < max / 2) cut = max;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

const validButtonUrl = (url: string) => /^(https?|tg):\/\//i.test(url);

export class TelegramRenderer {
  constructor(private readonly callbackData: CallbackData) {}

  /** The calls that show `content` in `chatId` (and forum topic `threadId`). */
  async render(content: Content, chatId: number | string, threadId?: number): Promise<TelegramCall[]> {
    const base = { chat_id: chatId, ...(threadId !== undefined && { message_thread_id: threadId }) };
    switch (content.type) {
      case 'text':
        return this.text(base, content.text, content.buttons ?? [], content.quickReplies ?? []);
      case 'media': {
        const method = { image: 'sendPhoto', file: 'sendDocument', audio: 'sendAudio', video: 'sendVideo' }[
          content.kind
        ];
        const field = { image: 'photo', file: 'document', audio: 'audio', video: 'video' }[content.kind];
        const caption = content.caption ?? '';
        const fits = caption.length <= MAX_CAPTION;
        const calls: TelegramCall[] = [
          {
            method,
            payload: {
              ...base,
              [field]: mediaRef(content.url),
              ...(caption && fits && { caption: escapeHtml(caption), parse_mode: 'HTML' }),
            },
            fallback: this.linkFallback(
              base,
              content.caption ?? content.filename ?? content.kind,
              content.url,
            ),
          },
        ];
        if (caption && !fits) calls.push(...(await this.text(base, caption, [], [])));
        return calls;
      }
      case 'card': {
        const calls: TelegramCall[] = [];
        for (const card of content.cards) calls.push(...(await this.card(base, card)));
        return calls;
      }
      case 'location': {
        const { latitude, longitude, name, address } = content;
        if (name && address) {
          return [{ method: 'sendVenue', payload: { ...base, latitude, longitude, title: name, address } }];
        }
        const calls: TelegramCall[] = [{ method: 'sendLocation', payload: { ...base, latitude, longitude } }];
        if (name || address) calls.push(...(await this.text(base, (name ?? address) as string, [], [])));
        return calls;
      }
      case 'postback':
        return this.text(base, contentToText(content), [], []);
      case 'typing':
        return content.on ? [{ method: 'sendChatAction', payload: { ...base, action: 'typing' } }] : [];
    }
  }

  private async text(
    base: Record<string, unknown>,
    text: string,
    buttons: Button[],
    quickReplies: PostbackButton[],
  ): Promise<TelegramCall[]> {
    const { keyboard, extraLines } = await this.keyboard(buttons, quickReplies);
    let body = [text, ...extraLines].filter((t) => t.trim() !== '').join('\n\n');
    // Telegram refuses empty text; a keyboard still needs a message to hang on.
    if (body.trim() === '') body = keyboard ? '…' : '';
    if (body === '') return [];
    const pieces = splitText(body);
    return pieces.map((piece, i) => ({
      method: 'sendMessage',
      payload: {
        ...base,
        text: escapeHtml(piece),
        parse_mode: 'HTML',
        ...(keyboard && i === pieces.length - 1 && { reply_markup: keyboard }),
      },
    }));
  }

  private async card(base: Record<string, unknown>, card: Card): Promise<TelegramCall[]> {
    const { keyboard, extraLines } = await this.keyboard(card.buttons ?? [], []);
    const plain = [card.title, card.subtitle, ...extraLines].filter(Boolean).join('\n');
    const html = [
      `<b>${escapeHtml(card.title)}</b>`,
      ...[card.subtitle, ...extraLines].filter(Boolean).map((l) => escapeHtml(l as string)),
    ].join('\n');
    const markup = keyboard ? { reply_markup: keyboard } : {};
    const asText: TelegramCall = {
      method: 'sendMessage',
      payload: { ...base, text: html, parse_mode: 'HTML', ...markup },
    };
    if (!card.imageUrl)
      return plain.length <= MAX_TEXT ? [asText] : this.text(base, plain, card.buttons ?? [], []);
    if (plain.length > MAX_CAPTION) {
      return [
        { method: 'sendPhoto', payload: { ...base, photo: mediaRef(card.imageUrl) } },
        ...(await this.text(base, plain, card.buttons ?? [], [])),
      ];
    }
    return [
      {
        method: 'sendPhoto',
        payload: { ...base, photo: mediaRef(card.imageUrl), caption: html, parse_mode: 'HTML', ...markup },
        fallback: asText,
      },
    ];
  }

  /**
   * Buttons one per row (titles stay readable on phones); short quick replies three per
   * row. URL buttons Telegram would refuse (not http/https/tg) become text lines.
   */
  private async keyboard(
    buttons: Button[],
    quickReplies: PostbackButton[],
  ): Promise<{ keyboard: { inline_keyboard: InlineButton[][] } | undefined; extraLines: string[] }> {
    const rows: InlineButton[][] = [];
    const extraLines: string[] = [];
    for (const button of buttons) {
      if (button.type === 'url') {
        if (validButtonUrl(button.url)) rows.push([{ text: button.title, url: button.url }]);
        else extraLines.push(`${button.title}: ${button.url}`);
      } else {
        rows.push([{ text: button.title, callback_data: await this.callbackData.encode(button.payload) }]);
      }
    }
    const perRow = quickReplies.every((q) => q.title.length <= 12) ? 3 : 1;
    for (let i = 0; i < quickReplies.length; i += perRow) {
      const row: InlineButton[] = [];
      for (const q of quickReplies.slice(i, i + perRow)) {
        row.push({ text: q.title, callback_data: await this.callbackData.encode(q.payload) });
      }
      rows.push(row);
    }
    return { keyboard: rows.length > 0 ? { inline_keyboard: rows } : undefined, extraLines };
  }

  private linkFallback(base: Record<string, unknown>, label: string, url: string): TelegramCall {
    const link = url.startsWith('tg-file:') ? label : `${label}\n${url}`;
    return { method: 'sendMessage', payload: { ...base, text: escapeHtml(link), parse_mode: 'HTML' } };
  }
}
