/**
 * Content → Send API `message` objects. One Switchboard message may need several
 * Send API calls (a long text, a picture with a caption).
 *
 * Buttons, in the order `offeredButtons()` gives them (what a typed "2" refers to):
 * up to 3 buttons → a button template; more postbacks (up to 13 with the quick
 * replies) → quick replies; beyond that → a numbered text menu.
 *
 * @module
 */
import type { Button, Card, Content, PostbackButton, TextContent } from '../../src/model';
import { chunks as splitText, clip, mapLink, numberedMenu, withLinks } from '../meta-graph/render';

export const LIMITS = {
  text: 2000,
  buttonTemplateText: 640,
  buttons: 3,
  quickReplies: 13,
  title: 20,
  payload: 1000,
  cards: 10,
  cardText: 80,
} as const;

/** A Send API `message` object (text or attachment, optional quick replies). */
export type SendApiMessage = Record<string, unknown>;

export function renderMessenger(content: Content): SendApiMessage[] {
  switch (content.type) {
    case 'text':
      return renderText(content);
    case 'media': {
      const message: SendApiMessage = {
        attachment: { type: content.kind, payload: { url: content.url, is_reusable: true } },
      };
      // The Send API has no caption: it follows as text.
      return content.caption ? [message, ...chunks(content.caption).map((text) => ({ text }))] : [message];
    }
    case 'card':
      return renderCards(content.cards);
    case 'location': {
      const label = [content.name, content.address].filter(Boolean).join(', ');
      return [{ text: [label, mapLink(content.latitude, content.longitude)].filter(Boolean).join('\n') }];
    }
    case 'postback':
      return [{ text: content.title ?? content.payload }];
    case 'typing':
      return [];
  }
}

function renderText(content: TextContent): SendApiMessage[] {
  const buttons = content.buttons ?? [];
  const quick = content.quickReplies ?? [];
  const all: Button[] = [...buttons, ...quick];
  const postbacks = all.filter((b): b is PostbackButton => b.type === 'postback');
  if (all.length === 0) return chunks(content.text).map((text) => ({ text }));

  if (
    buttons.length > 0 &&
    buttons.length <= LIMITS.buttons &&
    content.text.length <= LIMITS.buttonTemplateText
  ) {
    if (quick.length <= LIMITS.quickReplies) {
      const template: SendApiMessage = {
        attachment: {
          type: 'template',
          payload: { template_type: 'button', text: content.text, buttons: buttons.map(templateButton) },
        },
      };
      if (quick.length > 0) template.quick_replies = quick.map(quickReply);
      return [template];
    }
  }
  if (postbacks.length <= LIMITS.quickReplies) {
    const parts = chunks(withLinks(content.text, all)).map((text): SendApiMessage => ({ text }));
    const last = parts.at(-1);
    if (last && postbacks.length > 0) last.quick_replies = postbacks.map(quickReply);
    return parts;
  }
  return chunks(numberedMenu(content.text, all)).map((text) => ({ text }));
}

function renderCards(cards: Card[]): SendApiMessage[] {
  const fits =
    cards.length > 0 &&
    cards.length <= LIMITS.cards &&
    cards.every((c) => (c.buttons ?? []).length <= LIMITS.buttons);
  if (!fits) {
    const text = cards.map((c) => [c.title, c.subtitle].filter(Boolean).join(' — ')).join('\n');
    // A text menu carries no picture: each card's picture goes first, as its own message.
    const images: SendApiMessage[] = cards
      .filter((c) => c.imageUrl)
      .map((c) => ({ attachment: { type: 'image', payload: { url: c.imageUrl, is_reusable: true } } }));
    return [
      ...images,
      ...chunks(
        numberedMenu(
          text,
          cards.flatMap((c) => c.buttons ?? []),
        ),
      ).map((t) => ({ text: t })),
    ];
  }
  return [
    {
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: cards.map((card) => ({
            title: clip(card.title, LIMITS.cardText),
            ...(card.subtitle && { subtitle: clip(card.subtitle, LIMITS.cardText) }),
            ...(card.imageUrl && { image_url: card.imageUrl }),
            ...(card.buttons?.length && { buttons: card.buttons.map(templateButton) }),
          })),
        },
      },
    },
  ];
}

function templateButton(button: Button): Record<string, string> {
  return button.type === 'url'
    ? { type: 'web_url', url: button.url, title: clip(button.title, LIMITS.title) }
    : {
        type: 'postback',
        title: clip(button.title, LIMITS.title),
        payload: clip(button.payload, LIMITS.payload),
      };
}

function quickReply(button: PostbackButton): Record<string, string> {
  return {
    content_type: 'text',
    title: clip(button.title, LIMITS.title),
    payload: clip(button.payload, LIMITS.payload),
  };
}

function chunks(text: string): string[] {
  return splitText(text, LIMITS.text);
}
