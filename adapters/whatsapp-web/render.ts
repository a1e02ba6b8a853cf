/**
 * Content → the text messages whatsapp-web.js sends. WhatsApp Web offers bots no
 * buttons, so every button offer becomes a numbered menu (1..n in `offeredButtons()`
 * order: the core maps a typed "2" back to the second button).
 *
 * @module
 */
import type { ChannelLimits } from '../../src/core/adapter';
import type { Content } from '../../src/model';
import { chunks, mapLink, numberedMenu } from '../meta-graph/render';
import { capabilities } from './capabilities';

/** From the channel's one limits table (capabilities.ts). */
const MAX_TEXT = (capabilities.limits as ChannelLimits).text;

export function renderWaWeb(content: Content): string[] {
  switch (content.type) {
    case 'text':
      return chunks(
        numberedMenu(content.text, [...(content.buttons ?? []), ...(content.quickReplies ?? [])]),
        MAX_TEXT,
      );
    case 'media':
      return [[content.caption, content.url].filter(Boolean).join('\n')];
    case 'card': {
      const text = content.cards
        .map((c) => [c.title, c.subtitle, c.imageUrl].filter(Boolean).join('\n'))
        .join('\n\n');
      return chunks(
        numberedMenu(
          text,
          content.cards.flatMap((c) => c.buttons ?? []),
        ),
        MAX_TEXT,
      );
    }
    case 'location': {
      const label = [content.name, content.address].filter(Boolean).join(', ');
      return [[label, mapLink(content.latitude, content.longitude)].filter(Boolean).join('\n')];
    }
    case 'postback':
      return [content.title ?? content.payload];
    case 'typing':
      return [];
  }
}
