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
import type { ChannelLimits } from '../../src/core/adapter';
import type { Button, Card, Content, PostbackButton, TextContent } from '../../src/model';
import { capabilities } from './capabilities';
import { chunks as splitText, clip, numberedMenu, withLinks } from '../meta-graph/render';

const limits = capabilities.limits as ChannelLimits;

/** The Cloud API's limits: the channel's table, plus the interactive message's own. */
export const LIMITS = {
  text: limits.text,
  interactiveBody: 1024,
  buttons: limits.buttons,
  buttonTitle: limits.buttonTitle,
  listRows: 10,
  rowTitle: 24,
  /** A reply button's id. */
  id: 256,
  /** A list row's id. */
  rowId: limits.payload,
  caption: limits.caption,
} as const;

/**
 * The id a reply button or list row carries: the payload itself when it fits and is
 * unique, else `sb#<n>` (n = its place among the offered buttons), which parse.ts turns
 * back into the typed number "n" that the core maps to the n-th button. Never clipped: a
 * clipped payload would come back as a different one.
 */
export const NUMBERED_ID = /^sb#(\d{1,2})$/;

function replyIds(postbacks: PostbackButton[], max: number): string[] {
  const seen = new Set<string>();
  return postbacks.map((b, i) => {
    const fits = b.payload.length > 0 && b.payload.length <= max && !NUMBERED_ID.test(b.payload);
    const id = fits && !seen.has(b.payload) ? b.payload : `sb#${i + 1}`;
    seen.add(id);
    return id;
  });
}

/** Titles clipped to `max` and unique (WhatsApp refuses two reply buttons with one title). */
function uniqueTitles(postbacks: PostbackButton[], max: number): string[] {
  const clipped = postbacks.map((b, i) => clip(b.title.trim() || String(i + 1), max));
  if (new Set(clipped).size === clipped.length) return clipped;
  return postbacks.map((b, i) => {
    const prefix = `${i + 1}. `;
    return prefix + clip(b.title.trim() || String(i + 1), max - prefix.length);
  });
}

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
            buttons: ((ids, titles) =>
              postbacks.map((_b, i) => ({ type: 'reply', reply: { id: ids[i], title: titles[i] } })))(
              replyIds(postbacks, LIMITS.id),
              uniqueTitles(postbacks, LIMITS.buttonTitle),
            ),
          },
        },
      },
    ];
  }
  if (postbacks.length <= LIMITS.listRows && body.length <= LIMITS.interactiveBody) {
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
                rows: ((ids, titles) => postbacks.map((_b, i) => ({ id: ids[i], title: titles[i] })))(
                  replyIds(postbacks, LIMITS.rowId),
                  uniqueTitles(postbacks, LIMITS.rowTitle),
                ),
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
  // One card with a picture: the picture becomes the reply-button message's header.
  const header =
    cards.length === 1 && first?.imageUrl ? { type: 'image', image: { link: first.imageUrl } } : undefined;
  const rendered = renderText({ type: 'text', text, buttons }, header);
  const headed =
    rendered[0]?.type === 'interactive' && (rendered[0].interactive as { type?: string }).type === 'button';
  if (header && headed) return rendered;
  // Lists and text carry no picture: each card's picture goes first, as its own message.
  const images: CloudMessage[] = cards
    .filter((c) => c.imageUrl)
    .map((c) => ({ type: 'image', image: { link: c.imageUrl, caption: clip(c.title, LIMITS.caption) } }));
  return [...images, ...rendered];
}

function textMessage(body: string): CloudMessage {
  return { type: 'text', text: { preview_url: /https?:\/\//.test(body), body } };
}

function chunks(text: string): string[] {
  return splitText(text, LIMITS.text);
}
