/**
 * Stored messages → Direct Line activities, and the watermark.
 *
 * The bot's, operators' and system messages are rendered by the mapping shared with the
 * Azure Bot Service channel (`adapters/bot-activity`). The customer's own messages are
 * echoed back, as Direct Line does: Web Chat marks a message sent only when its echo,
 * with the same `channelData.clientActivityID`, arrives (`research/webchat.md` §3).
 *
 * Activity ids are the stored messages' ids, so a reply's `replyToId` names the echoed
 * activity the client has already seen (an unknown one makes Web Chat hold replies 5 s).
 *
 * @module
 */
import type { Message } from '../../src/model';
import { renderActivity } from '../bot-activity';

export const CHANNEL = 'directline';
/** The bot's `from.id`. Different from its name: Web Chat calls a bot whose name equals its id "Bot". */
export const BOT_ID = 'switchboard-bot';

/** How the customer's activity looked, so that its echo looks the same. */
export type ActivityKind = 'message' | 'postBack' | 'event';
const KIND_CODE: Record<ActivityKind, string> = { message: 'm', postBack: 'p', event: 'e' };
const CODE_KIND: Record<string, ActivityKind> = { m: 'message', p: 'postBack', e: 'event' };

/**
 * Inbound platform ids (the dedupe key) are `<conversation>:<kind>:<clientActivityID>`: a
 * client retrying a POST with the same clientActivityID gets the first activity's id back.
 */
export function platformId(conversationId: string, kind: ActivityKind, clientActivityId: string): string {
  return `${conversationId}:${KIND_CODE[kind]}:${clientActivityId}`;
}

export function parsePlatformId(
  id: string | undefined,
): { kind: ActivityKind; clientActivityId: string } | null {
  const match = /^[^:]+:([mpe]):(.+)$/.exec(id ?? '');
  const kind = match && CODE_KIND[match[1] as string];
  return kind ? { kind, clientActivityId: match[2] as string } : null;
}

/** Who the activities are addressed between. */
export interface ActivityParties {
  conversationId: string;
  userId: string;
  userName?: string;
  botName: string;
}

/** An activity as JSON on the wire (botbuilder's `Activity` type is the bot side's, with Date fields). */
export type ActivityJson = Record<string, unknown>;

/** The activity Direct Line clients receive for a stored message. */
export function toActivity(message: Message, parties: ActivityParties): ActivityJson {
  const common = {
    id: message.id,
    timestamp: new Date(message.createdAt).toISOString(),
    channelId: CHANNEL,
    conversation: { id: parties.conversationId },
  };
  if (message.direction === 'in') return { ...echo(message, parties), ...common };
  return {
    ...renderActivity(message.content),
    ...common,
    from: { id: BOT_ID, name: message.authorName ?? parties.botName, role: 'bot' },
    recipient: { id: parties.userId, role: 'user' },
    ...(message.replyToId !== undefined && { replyToId: message.replyToId }),
  };
}

/** The customer's activity as they sent it (on Direct Line), or as a message (from another channel). */
function echo(message: Message, parties: ActivityParties): ActivityJson {
  const from = { id: parties.userId, ...(parties.userName && { name: parties.userName }), role: 'user' };
  const origin = message.channel === CHANNEL ? parsePlatformId(message.platformMessageId) : null;
  const channelData = origin ? { clientActivityID: origin.clientActivityId } : {};
  const content = message.content;
  if (content.type === 'postback') {
    if (origin?.kind === 'event') {
      const space = content.payload.indexOf(' ');
      return {
        type: 'event',
        from,
        name: space < 0 ? content.payload : content.payload.slice(0, space),
        channelData,
      };
    }
    if (origin?.kind === 'postBack' || content.title === undefined) {
      // A postBack is hidden in Web Chat: echo it hidden too.
      return {
        type: 'message',
        from,
        value: content.payload,
        channelData: { ...channelData, postBack: true },
      };
    }
    return { type: 'message', from, text: content.title, value: { payload: content.payload }, channelData };
  }
  if (content.type === 'media') {
    return {
      type: 'message',
      from,
      ...(content.caption && { text: content.caption }),
      attachments: [
        {
          contentType: content.mimeType ?? 'application/octet-stream',
          contentUrl: content.url,
          ...(content.filename && { name: content.filename }),
        },
      ],
      channelData,
    };
  }
  return { type: 'message', from, text: message.text, textFormat: 'plain', channelData };
}

/**
 * Watermarks are opaque to clients: `<Switchboard conversation id>.<seq>`. A watermark from
 * a conversation that has since closed means "from the start" of the current one.
 */
export function encodeWatermark(conversationId: string, seq: number): string {
  return `${conversationId}.${seq}`;
}

/** Null for a watermark this server never gave out; `{seq: 0}` for none (empty: from the start). */
export function decodeWatermark(
  watermark: string | undefined,
): { conversationId: string; seq: number } | null {
  if (watermark === undefined || watermark === '') return { conversationId: '', seq: 0 };
  const match = /^([A-Za-z0-9_-]{1,64})\.(\d{1,9})$/.exec(watermark);
  if (!match) return null;
  return { conversationId: match[1] as string, seq: Number(match[2]) };
}
