/**
 * Content → `chat.postMessage` arguments. Text becomes Slack mrkdwn (escaped); buttons
 * and quick replies become Block Kit buttons in an `actions` block; media becomes an
 * image block or a file link; cards become a section with an image accessory plus their
 * buttons. The top-level `text` is always set: it is what notifications, screen readers
 * and clients without Block Kit show.
 *
 * Limits (https://docs.slack.dev/reference/block-kit): section text ≤ 3000 characters,
 * button text ≤ 75, button value ≤ 2000, ≤ 25 elements per actions block, ≤ 50 blocks.
 *
 * @module
 */
import type { types } from '@slack/bolt';
import type { ChannelLimits } from '../../src/core/adapter';
import { type Button, type Card, type Content, contentToText, offeredButtons } from '../../src/model';
import { capabilities } from './capabilities';

type KnownBlock = types.KnownBlock;
type ButtonElement = types.Button;

/** What {@link renderContent} produces; `null` for content Slack has no message for (typing). */
export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

/** `action_id` prefix of the buttons the customer side renders (clicks come back to the inbox). */
export const CUSTOMER_ACTION_PREFIX = 'sb:';
/** A postback button whose payload fits in the button value. */
export const POSTBACK_ACTION = `${CUSTOMER_ACTION_PREFIX}postback:`;
/**
 * A postback button whose payload does not fit (value ≤ 2000 characters): the value is
 * its number among the message's buttons, and a click arrives as that number, which the
 * built-in numbered-replies middleware maps back to the button's payload.
 */
export const NUMBERED_ACTION = `${CUSTOMER_ACTION_PREFIX}number:`;
/** Link buttons also report clicks; there is nothing to do with them. */
export const LINK_ACTION = `${CUSTOMER_ACTION_PREFIX}link:`;

/** `block_id` prefix of the actions blocks holding quick replies (removed after a press). */
export const QUICK_REPLIES_BLOCK = `${CUSTOMER_ACTION_PREFIX}quick:`;

/** The channel's one limits table (capabilities.ts), plus Block Kit's own structure limits. */
const limits = capabilities.limits as ChannelLimits;
export const MAX_VALUE_LENGTH = limits.payload;
const MAX_SECTION_TEXT = 3000;
const MAX_BUTTON_TEXT = limits.buttonTitle;
const MAX_ACTIONS_PER_BLOCK = limits.buttons;
const MAX_BLOCKS = 50;
const MAX_MESSAGE_TEXT = limits.text;

/**
 * Escapes text for mrkdwn: Slack reads `<…>` as links and mentions and `&` as an entity,
 * so exactly these three characters are escaped (Slack's documented rule).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>`: a link with an escaped label (a `|` or `>` in the URL is percent-encoded). */
export function mrkdwnLink(url: string, label?: string): string {
  const safeUrl = url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
  return label ? `<${safeUrl}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>` : `<${safeUrl}>`;
}

/** Renders any content; `null` for transient content Slack cannot show (typing). */
export function renderContent(content: Content): SlackMessage | null {
  switch (content.type) {
    case 'text': {
      const text = escapeMrkdwn(content.text);
      const buttons = content.buttons ?? [];
      const quickReplies = content.quickReplies ?? [];
      if (buttons.length + quickReplies.length === 0) return { text: clip(text, MAX_MESSAGE_TEXT) };
      return {
        text: clip(text, MAX_MESSAGE_TEXT),
        blocks: capBlocks([
          ...sections(text),
          ...actionBlocks(buttons, content),
          // Quick replies get blocks of their own, so they can be taken away once one is pressed.
          ...actionBlocks(quickReplies, content, buttons.length, QUICK_REPLIES_BLOCK),
        ]),
      };
    }
    case 'media': {
      const label = content.caption ?? content.filename ?? content.kind;
      if (content.kind === 'image') {
        return {
          text: escapeMrkdwn(content.caption ?? content.filename ?? 'image'),
          blocks: [
            {
              type: 'image',
              image_url: content.url,
              alt_text: clip(content.caption ?? content.filename ?? 'image', 2000),
              ...(content.caption && { title: { type: 'plain_text', text: clip(content.caption, 2000) } }),
            },
          ],
        };
      }
      // Audio, video and files: Slack cannot play a URL inline without an upload; a link always works.
      const line = `${kindEmoji(content.kind)} ${mrkdwnLink(content.url, content.filename ?? content.url)}`;
      const text = content.caption ? `${escapeMrkdwn(content.caption)}\n${line}` : line;
      return { text: escapeMrkdwn(label), blocks: sections(text) };
    }
    case 'card': {
      const blocks: KnownBlock[] = [];
      content.cards.forEach((card, index) => {
        if (index > 0) blocks.push({ type: 'divider' });
        blocks.push(cardSection(card));
        if (card.buttons?.length)
          blocks.push(...actionBlocks(card.buttons, content, cardOffset(content, index)));
      });
      return {
        text: clip(escapeMrkdwn(contentToText(content)), MAX_MESSAGE_TEXT),
        blocks: capBlocks(blocks),
      };
    }
    case 'location': {
      const place = [content.name, content.address].filter(Boolean).join(', ');
      const url = `https://www.openstreetmap.org/?mlat=${content.latitude}&mlon=${content.longitude}#map=17/${content.latitude}/${content.longitude}`;
      const label = place || `${content.latitude}, ${content.longitude}`;
      return { text: `:round_pushpin: ${mrkdwnLink(url, label)}` };
    }
    case 'postback':
      return { text: escapeMrkdwn(content.title ?? content.payload) };
    case 'typing':
      return null;
  }
}

function cardSection(card: Card): KnownBlock {
  const text = [`*${escapeMrkdwn(card.title)}*`, card.subtitle ? escapeMrkdwn(card.subtitle) : '']
    .filter(Boolean)
    .join('\n');
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: clip(text, MAX_SECTION_TEXT) },
    ...(card.imageUrl && {
      accessory: { type: 'image', image_url: card.imageUrl, alt_text: clip(card.title, 2000) },
    }),
  };
}

/** Index of a card's first button among all of the content's offered buttons. */
function cardOffset(content: Content & { type: 'card' }, cardIndex: number): number {
  return content.cards.slice(0, cardIndex).reduce((n, c) => n + (c.buttons?.length ?? 0), 0);
}

/** Text longer than a section allows is split over several sections, at line breaks when possible. */
function sections(text: string): KnownBlock[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > MAX_SECTION_TEXT) {
    let cut = rest.lastIndexOf('\n', MAX_SECTION_TEXT);
    if (cut < MAX_SECTION_TEXT / 2) cut = MAX_SECTION_TEXT;
    // Never cut an escape (`&amp;`) in half.
    const amp = rest.lastIndexOf('&', cut);
    if (amp > cut - 5 && rest.indexOf(';', amp) >= cut) cut = amp;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest || ' ');
  return parts.map((part) => ({ type: 'section', text: { type: 'mrkdwn', text: part } }));
}

/**
 * Buttons as Block Kit, 25 per actions block. `offset` is the position of the first
 * button among everything the content offers (numbers must match numbered replies).
 */
function actionBlocks(buttons: Button[], content: Content, offset = 0, blockIdPrefix?: string): KnownBlock[] {
  const postbacks = offeredButtons(content).filter((b) => b.type === 'postback');
  const elements: ButtonElement[] = buttons.map((button, i) => {
    const text = {
      type: 'plain_text' as const,
      text: clip(button.title || ' ', MAX_BUTTON_TEXT),
      emoji: true,
    };
    const position = offset + i;
    if (button.type === 'url') {
      return { type: 'button', action_id: `${LINK_ACTION}${position}`, text, url: button.url };
    }
    if (button.payload.length <= MAX_VALUE_LENGTH) {
      return { type: 'button', action_id: `${POSTBACK_ACTION}${position}`, text, value: button.payload };
    }
    const number = postbacks.indexOf(button) + 1;
    return { type: 'button', action_id: `${NUMBERED_ACTION}${position}`, text, value: String(number) };
  });
  const blocks: KnownBlock[] = [];
  for (let i = 0; i < elements.length; i += MAX_ACTIONS_PER_BLOCK) {
    blocks.push({
      type: 'actions',
      ...(blockIdPrefix && { block_id: `${blockIdPrefix}${i / MAX_ACTIONS_PER_BLOCK}` }),
      elements: elements.slice(i, i + MAX_ACTIONS_PER_BLOCK),
    });
  }
  return blocks;
}

function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  return blocks.length <= MAX_BLOCKS ? blocks : blocks.slice(0, MAX_BLOCKS);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function kindEmoji(kind: string): string {
  return kind === 'audio' ? ':sound:' : kind === 'video' ? ':film_frames:' : ':page_facing_up:';
}
