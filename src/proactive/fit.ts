/**
 * How a channel will show a message, read from its limits table (`capabilities.limits`, the
 * table its renderer degrades by): each way the message departs from what was written. The
 * renderer loses nothing (long text is split, extra buttons become a list or a numbered menu),
 * but a proactive sender may want to know, or to require the message as written.
 *
 * @module
 */
import type { ChannelCapabilities, ChannelLimits } from '../core/adapter';
import { type Content, toContent, type ContentInput } from '../model';

/** One departure: which limit, what the message has, what the channel takes. */
export interface Adjustment {
  limit: keyof ChannelLimits | 'media';
  /** The message's count or length (for `media`: its kind). */
  value: number | string;
  /** The channel's limit (for `media`: the kinds it shows natively). */
  max: number | string;
}

/** The channel's limits, from its table or, for a channel without one, its coarse capabilities. */
function limitsOf(capabilities: ChannelCapabilities): ChannelLimits {
  return (
    capabilities.limits ?? {
      text: capabilities.maxTextLength,
      buttons: capabilities.maxButtons,
      buttonTitle: Number.POSITIVE_INFINITY,
      payload: Number.POSITIVE_INFINITY,
      quickReplies: capabilities.quickReplies ? Number.POSITIVE_INFINITY : 0,
      cards: capabilities.cards ? Number.POSITIVE_INFINITY : 0,
      caption: capabilities.maxTextLength,
    }
  );
}

/** Every way `input` departs from what was written on a channel with `capabilities` (empty: as written). */
export function adjustmentsFor(input: ContentInput, capabilities: ChannelCapabilities): Adjustment[] {
  const content: Content = toContent(input);
  const limits = limitsOf(capabilities);
  const found: Adjustment[] = [];
  const over = (limit: keyof ChannelLimits, value: number) => {
    if (value > limits[limit]) found.push({ limit, value, max: limits[limit] });
  };
  const buttons = (list: { title: string; type: string; payload?: string }[] | undefined) => {
    if (!list?.length) return;
    over('buttons', list.length);
    over('buttonTitle', Math.max(...list.map((b) => b.title.length)));
    const payloads = list.flatMap((b) =>
      b.type === 'postback' && b.payload !== undefined ? [b.payload] : [],
    );
    if (payloads.length) over('payload', Math.max(...payloads.map((p) => Buffer.byteLength(p))));
  };
  switch (content.type) {
    case 'text':
      over('text', content.text.length);
      buttons(content.buttons);
      if (content.quickReplies?.length) over('quickReplies', content.quickReplies.length);
      break;
    case 'media':
      if (!capabilities.media.includes(content.kind))
        found.push({ limit: 'media', value: content.kind, max: capabilities.media.join(', ') || 'none' });
      if (content.caption) over('caption', content.caption.length);
      break;
    case 'card':
      over('cards', content.cards.length);
      for (const card of content.cards) buttons(card.buttons);
      break;
    default:
      break;
  }
  // One entry per limit: the largest departure.
  const byLimit = new Map<string, Adjustment>();
  for (const a of found) {
    const seen = byLimit.get(a.limit);
    if (!seen || (typeof a.value === 'number' && typeof seen.value === 'number' && a.value > seen.value))
      byLimit.set(a.limit, a);
  }
  return [...byLimit.values()];
}

/** `buttons: 11 > 3` — an adjustment as a person reads it. */
export function describeAdjustment(a: Adjustment): string {
  return a.limit === 'media'
    ? `media: ${a.value} is not shown natively (${a.max})`
    : `${a.limit}: ${a.value} > ${a.max}`;
}
