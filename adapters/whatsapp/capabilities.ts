/**
 * What the whatsapp channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// Cloud API interactive messages: ≤ 3 reply buttons (title ≤ 20, unique; id ≤ 256),
// lists ≤ 10 rows (title ≤ 24, id ≤ 200), body ≤ 1024, text ≤ 4096, caption ≤ 1024.
export const capabilities: ChannelCapabilities = {
  maxButtons: 3,
  quickReplies: false,
  cards: false,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'whatsapp',
  maxTextLength: 4096,
  typing: false,
  messageWindowHours: 24,
  limits: { text: 4096, buttons: 3, buttonTitle: 20, payload: 200, quickReplies: 0, cards: 1, caption: 1024 },
};
