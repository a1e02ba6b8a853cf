/**
 * Telegram Update → the normalised inbound message, or the reason it is ignored.
 *
 * Dedupe keys do not use `update_id` (it restarts at random after a week of silence and
 * differs between webhook and polling): messages are `<chat id>:<message id>`, edits
 * `<chat id>:<message id>:edit:<edit_date>`, button presses `cb:<callback query id>`.
 *
 * @module
 */
import type { Update } from 'telegraf/types';
import type { InboundEvent } from '../../src/core/adapter';
import type { Content, CustomerProfile } from '../../src/model';

export const CHANNEL = 'telegram';
/** How a message keeps a Telegram file: fetching its bytes needs the bot token (see fetchMedia). */
export const FILE_REF = 'tg-file:';

export type ParsedUpdate =
  | { kind: 'message'; event: InboundEvent }
  | {
      kind: 'callback';
      event: InboundEvent;
      callbackQueryId: string;
      /** The raw callback_data, to be resolved (long payloads travel as keys). */
      data: string;
    }
  | { kind: 'ignored'; reason: string; updateType: string };

interface TgUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

interface TgMessage {
  message_id: number;
  message_thread_id?: number;
  is_topic_message?: boolean;
  from?: TgUser;
  chat: { id: number; type?: string };
  date?: number;
  edit_date?: number;
  text?: string;
  caption?: string;
  photo?: { file_id: string; width?: number; height?: number; file_size?: number }[];
  document?: { file_id: string; file_name?: string; mime_type?: string };
  audio?: { file_id: string; file_name?: string; mime_type?: string };
  voice?: { file_id: string; mime_type?: string };
  video?: { file_id: string; file_name?: string; mime_type?: string };
  video_note?: { file_id: string };
  animation?: { file_id: string; file_name?: string; mime_type?: string };
  sticker?: { file_id: string; emoji?: string };
  location?: { latitude: number; longitude: number };
  venue?: { location: { latitude: number; longitude: number }; title: string; address: string };
  contact?: { phone_number: string; first_name?: string; last_name?: string };
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
}

function profileOf(user: TgUser): CustomerProfile {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return {
    ...(name && { name }),
    ...(user.language_code && { locale: user.language_code }),
  };
}

function addressOf(message: TgMessage): Record<string, unknown> {
  return {
    chatId: message.chat.id,
    ...(message.is_topic_message && message.message_thread_id !== undefined
      ? { threadId: message.message_thread_id }
      : {}),
  };
}

/** What a message says, or null when it carries nothing a conversation can use. */
export function messageContent(message: TgMessage): Content | null {
  const caption = message.caption;
  const media = (
    kind: 'image' | 'file' | 'audio' | 'video',
    fileId: string,
    extra: { filename?: string | undefined; mimeType?: string | undefined } = {},
  ): Content => ({
    type: 'media',
    kind,
    // Kept as a reference: fetching the bytes needs the bot token (getFile), so it happens
    // only when someone needs them, never by putting the token in a stored URL.
    url: `${FILE_REF}${fileId}`,
    ...(caption && { caption }),
    ...(extra.filename && { filename: extra.filename }),
    ...(extra.mimeType && { mimeType: extra.mimeType }),
  });
  if (typeof message.text === 'string' && message.text.trim() !== '')
    return { type: 'text', text: message.text };
  if (message.photo && message.photo.length > 0) {
    // Sizes come smallest first; keep the largest.
    const largest = message.photo.reduce((a, b) =>
      (b.width ?? 0) * (b.height ?? 0) >= (a.width ?? 0) * (a.height ?? 0) ? b : a,
    );
    return media('image', largest.file_id);
  }
  if (message.document)
    return media('file', message.document.file_id, {
      filename: message.document.file_name,
      mimeType: message.document.mime_type,
    });
  if (message.audio)
    return media('audio', message.audio.file_id, {
      filename: message.audio.file_name,
      mimeType: message.audio.mime_type,
    });
  if (message.voice) return media('audio', message.voice.file_id, { mimeType: message.voice.mime_type });
  if (message.video)
    return media('video', message.video.file_id, {
      filename: message.video.file_name,
      mimeType: message.video.mime_type,
    });
  if (message.video_note) return media('video', message.video_note.file_id);
  if (message.animation)
    return media('video', message.animation.file_id, { mimeType: message.animation.mime_type });
  if (message.venue) {
    return {
      type: 'location',
      latitude: message.venue.location.latitude,
      longitude: message.venue.location.longitude,
      name: message.venue.title,
      address: message.venue.address,
    };
  }
  if (message.location)
    return { type: 'location', latitude: message.location.latitude, longitude: message.location.longitude };
  if (message.contact) {
    const name = [message.contact.first_name, message.contact.last_name].filter(Boolean).join(' ');
    return { type: 'text', text: `${name} ${message.contact.phone_number}`.trim() };
  }
  // A sticker is how many people say "thanks" or "ok": keep what it means.
  if (message.sticker?.emoji) return { type: 'text', text: message.sticker.emoji };
  if (caption) return { type: 'text', text: caption };
  return null;
}

/** Normalises one update. Pure: resolving long callback payloads happens in the adapter. */
export function parseUpdate(update: Update): ParsedUpdate {
  const u = update as unknown as Record<string, unknown>;
  const updateType = Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown';

  if (u.message || u.edited_message) {
    const edited = !u.message;
    const message = (u.message ?? u.edited_message) as TgMessage;
    const from = message.from;
    if (!from) return { kind: 'ignored', updateType, reason: 'message without a sender (anonymous admin)' };
    if (from.is_bot) return { kind: 'ignored', updateType, reason: 'message from a bot' };
    const content = messageContent(message);
    if (!content) {
      return {
        kind: 'ignored',
        updateType,
        reason: edited
          ? 'edit of a message without text or caption'
          : 'service message or a kind with no content (e.g. a member joined, a pinned message, a poll)',
      };
    }
    if (edited && content.type !== 'text') {
      return { kind: 'ignored', updateType, reason: 'edit that changed media, not text' };
    }
    // An edit is the customer correcting themselves ("order 1042" → "order 1043"): it is
    // stored as a new message with the corrected text, so the bot answers the correction
    // and the transcript keeps both versions. Each distinct edit is its own message.
    const platformMessageId = edited
      ? `${message.chat.id}:${message.message_id}:edit:${message.edit_date ?? 0}`
      : `${message.chat.id}:${message.message_id}`;
    return {
      kind: 'message',
      event: {
        channel: CHANNEL,
        platformMessageId,
        sender: { externalId: String(from.id), profile: profileOf(from) },
        address: addressOf(message),
        content,
        ...(message.date !== undefined && { sentAt: (message.edit_date ?? message.date) * 1000 }),
      },
    };
  }

  if (u.callback_query) {
    const query = u.callback_query as { id: string; from: TgUser; message?: TgMessage; data?: string };
    if (typeof query.data !== 'string') {
      return { kind: 'ignored', updateType, reason: 'callback query without data (a game button)' };
    }
    const title = query.message?.reply_markup?.inline_keyboard
      ?.flat()
      .find((b) => b.callback_data === query.data)?.text;
    // Inline-mode messages have no `message`; a private chat's id is the user's id.
    const address = query.message ? addressOf(query.message) : { chatId: query.from.id };
    return {
      kind: 'callback',
      callbackQueryId: query.id,
      data: query.data,
      event: {
        channel: CHANNEL,
        platformMessageId: `cb:${query.id}`,
        sender: { externalId: String(query.from.id), profile: profileOf(query.from) },
        address,
        content: { type: 'postback', payload: query.data, ...(title !== undefined && { title }) },
      },
    };
  }

  const reasons: Record<string, string> = {
    channel_post: 'channel posts are broadcasts, not customer conversations',
    edited_channel_post: 'channel posts are broadcasts, not customer conversations',
    my_chat_member: "the bot's own membership changed (blocked, unblocked, added to a group)",
    chat_member: 'a chat member changed',
    chat_join_request: 'join requests are not conversations',
    inline_query: 'inline mode is not used by Switchboard',
    chosen_inline_result: 'inline mode is not used by Switchboard',
    message_reaction: 'reactions are not messages',
    message_reaction_count: 'reactions are not messages',
    poll: 'polls are not used by Switchboard',
    poll_answer: 'polls are not used by Switchboard',
    shipping_query: 'payments are not used by Switchboard',
    pre_checkout_query: 'payments are not used by Switchboard',
  };
  return {
    kind: 'ignored',
    updateType,
    reason: reasons[updateType] ?? 'update type Switchboard does not use',
  };
}
