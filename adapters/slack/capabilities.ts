/**
 * What the slack channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// Block Kit: section text ≤ 3000, button text ≤ 75, value ≤ 2000, 25 elements per
// actions block, 50 blocks; chat.postMessage text ≤ 40,000.
export const capabilities: ChannelCapabilities = {
  // 25 per actions block; more become further blocks.
  maxButtons: 25,
  quickReplies: true,
  cards: true,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'slack-mrkdwn',
  maxTextLength: 40_000,
  typing: false,
  limits: {
    text: 40_000,
    buttons: 25,
    buttonTitle: 75,
    payload: 2000,
    quickReplies: 25,
    cards: 10,
    caption: 2000,
  },
};
