/**
 * What the telegram channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// https://core.telegram.org/bots/api: sendMessage text 1–4096, caption 0–1024,
// InlineKeyboardButton callback_data 1–64 bytes; no carousel (each card is a message).
export const capabilities: ChannelCapabilities = {
  // Inline keyboards take up to 100 buttons; one per row keeps them readable.
  maxButtons: 100,
  quickReplies: true,
  cards: true,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'telegram-html',
  maxTextLength: 4096,
  typing: true,
  limits: {
    text: 4096,
    buttons: 100,
    buttonTitle: 64,
    payload: 64,
    quickReplies: 100,
    cards: 100,
    caption: 1024,
  },
};
