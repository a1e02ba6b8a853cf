/**
 * What the messenger channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// Send API: text ≤ 2000, button template ≤ 3 buttons (title ≤ 20, payload ≤ 1000),
// ≤ 13 quick replies, generic template ≤ 10 elements; no caption (it follows as text).
export const capabilities: ChannelCapabilities = {
  maxButtons: 3,
  quickReplies: true,
  cards: true,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'plain',
  maxTextLength: 2000,
  typing: true,
  messageWindowHours: 24,
  limits: {
    text: 2000,
    buttons: 3,
    buttonTitle: 20,
    payload: 1000,
    quickReplies: 13,
    cards: 10,
    caption: 2000,
  },
};
