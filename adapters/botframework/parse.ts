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
import { messageContents } from '../bot-activity';

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
  const contents = messageContents(activity, text);
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
