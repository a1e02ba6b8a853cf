/**
 * What the botframework channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// Teams (the strictest Bot Framework channel): hero card ≤ 6 buttons, carousel ≤ 10
// cards, suggested actions ≤ 3 shown (imBack), message ≈ 28 KB (text kept well under).
export const capabilities: ChannelCapabilities = {
  maxButtons: 6,
  quickReplies: true,
  cards: true,
  media: ['image', 'file', 'audio', 'video'],
  markdown: 'plain',
  maxTextLength: 20_000,
  typing: true,
  limits: {
    text: 20_000,
    buttons: 6,
    buttonTitle: 256,
    payload: 1000,
    quickReplies: 3,
    cards: 10,
    caption: 20_000,
  },
};
