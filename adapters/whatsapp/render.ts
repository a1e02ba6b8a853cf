/**
 * Content → Cloud API message objects (the `type` plus its field; the adapter adds
 * `messaging_product`, `to` and `context`).
 *
 * Postback buttons, in the order `offeredButtons()` gives them (what a typed "2" refers
 * to): up to 3 → interactive reply buttons; 4–10 → an interactive list; more → a
 * numbered text menu. Link buttons become URLs in the text.
 *
 * @module
 */
import type { Button, Card, Content, PostbackButton, TextContent } from '../../src/model';
import { chunks as splitText, clip, numberedMenu, withLinks } from '../meta/render';

export const LIMITS = {
  text: 4096,
  interactiveBody: 1024,
  buttons: 3,
  buttonTitle: 20,
  listRows: 10,
  rowTitle: 24,
  id: 256,
  caption: 1024,
} as const;

export type CloudMessage = Record<string, unknown> & { type: string };

export function renderWhatsApp(content: Content): CloudMessage[] {
  switch (content.type) {
    case 'text':
      return renderText(content);
    case 'media': {
      const caption = content.caption ? clip(content.caption, LIMITS.caption) : undefined;
      if (content.kind === 'audio') {
        // Audio messages carry no caption: it follows as text.
        const audio: CloudMessage = { type: 'audio', audio: { link: content.url } };
        return caption ? [audio, textMessage(caption)] : [audio];
      }
      const type = content.kind === 'file' ? 'document' : content.kind;
      return [
        {
          type,
          [type]: {
            link: content.url,
            ...(caption && { caption }),
            ...(type === 'document' && content.filename && { filename: content.filename }),
          },
        },
      ];
    }
    case 'card':
      return renderCards(content.cards);
    case 'location':
      return [
        {
          type: 'location',
          location: {
            latitude: content.latitude,
            longitude: content.longitude,
            ...(content.name && { name: content.name }),
            ...(content.address && { address: content.address }),
          },
        },
      ];
    case 'postback':
      return [textMessage(content.title ?? content.payload)];
    case 'typing':
      return [];
  }
}

function renderText(content: TextContent, header?: Record<string, unknown>): CloudMessage[] {
  const all: Button[] = [...(content.buttons ?? []), ...(content.quickReplies ?? [])];
  const postbacks = all.filter((b): b is PostbackButton => b.type === 'postback');
  const body = withLinks(content.text, all);
  if (postbacks.length === 0) return chunks(body).map(textMessage);
  if (postbacks.length <= LIMITS.buttons && body.length <= LIMITS.interactiveBody) {
    return [
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          ...(header && { header }),
          body: { text: body },
          action: {
            buttons: postbacks.map((b) => ({
              type: 'reply',
              reply: { id: clip(b.payload, LIMITS.id), title: clip(b.title, LIMITS.buttonTitle) },
            })),
          },
        },
      },
    ];
  }
  if (postbacks.length <= LIMITS.listRows && body.length <= LIMITS.text) {
    return [
      {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: body },
          action: {
            button: 'Choose',
            sections: [
              {
                rows: postbacks.map((b) => ({
                  id: clip(b.payload, LIMITS.id),
                  title: clip(b.title, LIMITS.rowTitle),
                })),
              },
            ],
          },
        },
      },
    ];
  }
  return chunks(numberedMenu(content.text, all)).map(textMessage);
}

function renderCards(cards: Card[]): CloudMessage[] {
  const text = cards.map((c) => [c.title, c.subtitle].filter(Boolean).join('\n')).join('\n\n');
  const buttons = cards.flatMap((c) => c.buttons ?? []);
  const first = cards[0];
  // One card with a picture: the picture becomes the interactive message's header.
  const header =
    cards.length === 1 && first?.imageUrl ? { type: 'image', image: { link: first.imageUrl } } : undefined;
  const rendered = renderText({ type: 'text', text, buttons }, header);
  if (header && rendered[0]?.type !== 'interactive') {
    return [{ type: 'image', image: { link: first?.imageUrl } }, ...rendered];
  }
  return rendered;
}

function textMessage(body: string): CloudMessage {
  return { type: 'text', text: { preview_url: /https?:\/\//.test(body), body } };
}

function chunks(text: string): string[] {
  return splitText(text, LIMITS.text);
}
