/**
 * What the whatsapp-web channel can show, with its limits: the one table its renderer, `switchboard
 * test`'s channel checks and proactive rules read.
 *
 * @module
 */
import type { ChannelCapabilities } from '../../src/core/adapter';

// WhatsApp Web offers no buttons to bots: every offer is a numbered menu.
export const capabilities: ChannelCapabilities = {
  maxButtons: 0,
  quickReplies: false,
  cards: false,
  media: [],
  markdown: 'whatsapp',
  maxTextLength: 4096,
  typing: false,
  limits: { text: 4096, buttons: 0, buttonTitle: 4096, payload: 0, quickReplies: 0, cards: 0, caption: 4096 },
};
