/**
 * Bot Framework activity → normalised inbound messages, or the reason it is ignored.
 *
 * - Dedupe key: `<channelId>:<conversation id>:<activity id>` (`:a<n>` for the n-th
 *   extra attachment). Activity ids are only unique within a conversation.
 * - Sender: `<channelId>:<from.id>`: the same user id on two Azure channels is two people.
 * - Address: the activity's ConversationReference (serviceUrl included): what
 *   `continueConversationAsync` needs to reply later.
 *
 * @module
 */
import { type Activity, TurnContext } from 'botbuilder';
import type { InboundEvent } from '../../src/core/adapter';
import type { Content } from '../../src/model';

export const CHANNEL = 'botframework';

export type ParsedActivity =
  | { kind: 'messages'; events: InboundEvent[] }
  | { kind: 'ignored'; reason: string };

const IGNORED: Record<string, string> = {
  conversationUpdate: 'members joined or left; the bot greets when the customer first writes',
  typing: 'typing indicators are not stored',
  messageReaction: 'reactions are not messages',
  messageUpdate: 'edits on Bot Framework channels are not used',
  messageDelete: 'deletes on Bot Framework channels are not used',
  installationUpdate: 'the app was installed or removed',
  endOfConversation: 'the channel ended the conversation',
  event: 'events (Web Chat back-channel, Teams meeting events) are not used',
  invoke: 'invoke activities (Teams card actions, sign-in, task modules) are not used',
  contactRelationUpdate: 'contact list changes are not conversations',
  deleteUserData: 'the channel asked to delete user data; handled by data retention, not the inbox',
};

const isWebUrl = (url: unknown): url is string => typeof url === 'string' && /^https?:\/\//i.test(url);

function mediaKind(contentType: string): 'image' | 'audio' | 'video' | 'file' {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'file';
}

export function parseActivity(activity: Activity): ParsedActivity {
  if (activity.type !== 'message') {
    return {
      kind: 'ignored',
      reason: IGNORED[activity.type] ?? `activity type "${activity.type}" is not used`,
    };
  }
  if (
    activity.from?.role === 'bot' ||
    (activity.recipient?.id !== undefined && activity.from?.id === activity.recipient.id)
  ) {
    return { kind: 'ignored', reason: "the bot's own activity" };
  }
  if (!activity.from?.id || !activity.conversation?.id) {
    return { kind: 'ignored', reason: 'message without from.id or conversation.id' };
  }

  // In Teams channels the text starts with "<at>Bot</at>": keep what the customer said.
  const text = (
    activity.recipient ? TurnContext.removeRecipientMention({ ...activity }) : (activity.text ?? '')
  )?.trim();
  const contents: Content[] = [];
  const value = activity.value as unknown;
  const channelData = activity.channelData as { postBack?: unknown } | undefined;
  if (value !== undefined && value !== null && typeof value === 'object') {
    // messageBack / postBack with an object value, or an Adaptive Card submit.
    const payload = (value as { payload?: unknown }).payload;
    contents.push({
      type: 'postback',
      payload: typeof payload === 'string' ? payload : JSON.stringify(value),
      ...(text && { title: text }),
    });
  } else if (channelData?.postBack === true && text) {
    // A postBack with a string value arrives as hidden text.
    contents.push({ type: 'postback', payload: text });
  } else {
    const files = (activity.attachments ?? []).filter((a) => isWebUrl(a.contentUrl));
    files.forEach((file, i) => {
      contents.push({
        type: 'media',
        kind: mediaKind(file.contentType ?? ''),
        url: file.contentUrl as string,
        ...(i === 0 && text && { caption: text }),
        ...(file.name && { filename: file.name }),
        ...(file.contentType && { mimeType: file.contentType }),
      });
    });
    if (files.length === 0 && text) contents.push({ type: 'text', text });
  }
  if (contents.length === 0) {
    return {
      kind: 'ignored',
      reason: 'message with no text, value or downloadable attachment (e.g. a card)',
    };
  }

  const reference = TurnContext.getConversationReference(activity);
  const address = JSON.parse(JSON.stringify(reference)) as Record<string, unknown>;
  const base = activity.id ? `${activity.channelId}:${activity.conversation.id}:${activity.id}` : undefined;
  const sentAt = activity.timestamp ? new Date(activity.timestamp).getTime() : undefined;
  return {
    kind: 'messages',
    events: contents.map((content, i) => ({
      channel: CHANNEL,
      ...(base !== undefined && { platformMessageId: i === 0 ? base : `${base}:a${i}` }),
      sender: {
        externalId: `${activity.channelId}:${activity.from.id}`,
        profile: {
          ...(activity.from.name && { name: activity.from.name }),
          ...(activity.locale && { locale: activity.locale }),
        },
      },
      address,
      content,
      ...(sentAt !== undefined && !Number.isNaN(sentAt) && { sentAt }),
    })),
  };
}
