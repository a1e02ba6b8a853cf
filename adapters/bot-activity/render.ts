/**
 * Content → a Bot Framework activity, for both channels that speak activities: the Azure
 * Bot Service (`adapters/botframework`) and Switchboard's own Direct Line server
 * (`adapters/directline`). Buttons become hero cards, quick replies suggested actions,
 * media attachments, cards a hero card carousel; nothing is dropped.
 *
 * Postback buttons are `messageBack` actions carrying `value: { payload }`, which Web
 * Chat and Teams both send back with the value (and show the title as the customer's
 * message); see parse.ts for the way back.
 *
 * @module
 */
// Types only: the Direct Line channel uses this module without loading botbuilder.
import type { Activity, Attachment, CardAction } from 'botbuilder';
import type { Button, Card, Content, MediaContent, PostbackButton } from '../../src/model';
import type { ChannelLimits } from '../../src/core/adapter';
import { contentToText } from '../../src/model';
import { capabilities } from '../botframework/capabilities';

/** Hero card content type (botbuilder's `CardFactory.contentTypes.heroCard`). */
export const HERO_CARD = 'application/vnd.microsoft.card.hero';

/** The Bot Framework's limits table (botframework/capabilities.ts, which Direct Line shares). */
const limits = capabilities.limits as ChannelLimits;
/** Teams shows at most six buttons on a hero card; more go onto further cards. */
export const MAX_CARD_BUTTONS = limits.buttons;
/** Teams' carousel limit. */
export const MAX_CAROUSEL_CARDS = limits.cards;

export function cardAction(button: Button | PostbackButton): CardAction {
  if (button.type === 'url') return { type: 'openUrl', title: button.title, value: button.url };
  return {
    type: 'messageBack',
    title: button.title,
    text: button.title,
    displayText: button.title,
    value: { payload: button.payload },
  };
}

/** Clients fetch these themselves: web URLs, and inline `data:` images. */
const isRenderableUrl = (url: string) => /^https?:\/\//i.test(url) || /^data:/i.test(url);

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  webm: 'video/webm',
};

export function mediaContentType(media: MediaContent): string {
  if (media.mimeType) return media.mimeType;
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(media.url)?.[1]?.toLowerCase();
  if (ext && EXTENSION_TYPES[ext]) return EXTENSION_TYPES[ext] as string;
  return { image: 'image/*', audio: 'audio/*', video: 'video/*', file: 'application/octet-stream' }[
    media.kind
  ];
}

function heroCard(card: Card): Attachment {
  return {
    contentType: HERO_CARD,
    content: {
      title: card.title,
      ...(card.subtitle && { subtitle: card.subtitle }),
      images: card.imageUrl && isRenderableUrl(card.imageUrl) ? [{ url: card.imageUrl }] : [],
      buttons: (card.buttons ?? []).map(cardAction),
    },
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The activity that shows `content` (conversation, from and recipient are added when sent). */
export function renderActivity(content: Content): Partial<Activity> {
  switch (content.type) {
    case 'text': {
      const activity: Partial<Activity> = { type: 'message', textFormat: 'plain' };
      const buttons = content.buttons ?? [];
      if (buttons.length > 0) {
        // The text rides in the first card, so it is not shown twice.
        activity.attachments = chunks(buttons, MAX_CARD_BUTTONS).map(
          (group, i): Attachment => ({
            contentType: HERO_CARD,
            content: {
              ...(i === 0 && content.text && { text: content.text }),
              images: [],
              buttons: group.map(cardAction),
            },
          }),
        );
        if (activity.attachments.length > 1) activity.attachmentLayout = 'list';
      } else {
        activity.text = content.text;
      }
      if (content.quickReplies && content.quickReplies.length > 0) {
        // imBack is the action Teams documents for suggested actions (it posts the title as
        // the customer's message; the flow engine takes a typed title as the press). No
        // `to`: an empty list would show them to nobody on channels that honour it.
        activity.suggestedActions = {
          actions: content.quickReplies.map((q) => ({ type: 'imBack', title: q.title, value: q.title })),
        } as Activity['suggestedActions'];
      }
      return activity;
    }
    case 'media': {
      if (!isRenderableUrl(content.url)) {
        // A file only another platform can serve (a Telegram file id): say what it was.
        return { type: 'message', textFormat: 'plain', text: contentToText(content) };
      }
      return {
        type: 'message',
        textFormat: 'plain',
        ...(content.caption && { text: content.caption }),
        attachments: [
          {
            contentType: mediaContentType(content),
            contentUrl: content.url,
            ...(content.filename && { name: content.filename }),
          },
        ],
      };
    }
    case 'card':
      return {
        type: 'message',
        attachments: content.cards.map(heroCard),
        // Teams shows at most 10 cards in a carousel; more are laid out as a list (all shown).
        ...(content.cards.length > 1 && {
          attachmentLayout: content.cards.length <= MAX_CAROUSEL_CARDS ? 'carousel' : 'list',
        }),
      };
    case 'location': {
      const { latitude, longitude, name, address } = content;
      const map = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;
      const card = heroCard({
        title: name ?? 'Location',
        subtitle: address ?? `${latitude}, ${longitude}`,
        buttons: [{ type: 'url', title: 'Open map', url: map }],
      });
      return { type: 'message', attachments: [card] };
    }
    case 'postback':
      return { type: 'message', textFormat: 'plain', text: contentToText(content) };
    case 'typing':
      return { type: 'typing' };
  }
}
