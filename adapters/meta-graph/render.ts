/**
 * Degrading helpers both Meta renderers share.
 *
 * @module
 */
import type { Button, PostbackButton } from '../../src/model';

/** Cuts `text` to `max` characters (with an ellipsis), counting code points, not UTF-16 units. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, Math.max(0, max - 1))
        .join('')
        .trimEnd()}…`;
}

/**
 * Text plus a numbered menu of the postback buttons, numbered 1..n in the order of
 * `offeredButtons()`: the core maps a typed "2" back to the second one. Link buttons
 * follow as plain URLs (they are not numbered: the core only maps postbacks).
 */
export function numberedMenu(text: string, buttons: Button[]): string {
  const postbacks = buttons.filter((b): b is PostbackButton => b.type === 'postback');
  const links = buttons.filter((b) => b.type === 'url');
  const lines = [text];
  if (postbacks.length > 0) {
    lines.push('');
    postbacks.forEach((b, i) => {
      lines.push(`${i + 1}. ${b.title}`);
    });
    lines.push('', 'Reply with a number.');
  }
  for (const link of links) lines.push(`${link.title}: ${link.url}`);
  return lines.join('\n');
}

/** `text` followed by the link buttons' URLs (for renderings that only carry postbacks). */
export function withLinks(text: string, buttons: Button[]): string {
  const links = buttons.filter((b) => b.type === 'url');
  return links.length === 0 ? text : [text, ...links.map((l) => `${l.title}: ${l.url}`)].join('\n');
}

/** A map link for a location on channels without a native location message. */
export function mapLink(latitude: number, longitude: number): string {
  return `https://maps.google.com/?q=${latitude},${longitude}`;
}

/** Splits text into pieces of at most `size` characters, preferring line breaks. */
export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  let rest = text;
  while ([...rest].length > size) {
    const head = [...rest].slice(0, size).join('');
    const cut = head.lastIndexOf('\n') > size / 2 ? head.lastIndexOf('\n') : head.length;
    out.push(head.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, '');
  }
  out.push(rest);
  return out;
}
