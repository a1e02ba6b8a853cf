/**
 * What the web channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// Our own widget: what it lays out well (a reply of 10,000 characters is accepted).
export const capabilities: ChannelCapabilities = {
  maxButtons: 10,
  quickReplies: true,
  cards: true,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'plain',
  maxTextLength: 10_000,
  typing: true,
  limits: {
    text: 10_000,
    buttons: 10,
    buttonTitle: 200,
    payload: 1000,
    quickReplies: 10,
    cards: 10,
    caption: 10_000,
  },
};
