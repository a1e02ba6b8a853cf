/**
 * What a question expects, in words, for re-prompts: "Sorry, I was expecting an order
 * number", "please choose one of: “Yes, go ahead” or “No”". A customer who answered off the
 * mark learns what would work instead of hearing "that doesn't look right" again.
 *
 * @module
 */
import type { EntityDefinition } from '../nlu';

import type { ChoiceOption } from './types';

const BUILTIN: Record<string, string> = {
  number: 'a number',
  email: 'an email address',
  phone: 'a phone number',
  url: 'a web address',
  datetime: 'a date or time (like “tomorrow at 3pm”)',
  money: 'an amount (like €20)',
};

/** "a, b or c" (quoted), for a few options; the first ones and "…" past `max`. */
export function listOf(items: string[], max = 6): string {
  const quoted = items.map((t) => `“${t}”`);
  if (quoted.length > max) return `${quoted.slice(0, max).join(', ')}, …`;
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** The answer a question with `entity` expects, e.g. "an order number" for `order_number`. */
export function expectedEntity(entity: string, definitions: readonly EntityDefinition[] = []): string {
  if (entity === 'text') return 'a few words';
  const def = definitions.find((d) => d.name === entity);
  if (def?.kind === 'builtin') return BUILTIN[def.builtin] ?? humanised(entity);
  // A list's values are often keys ("oak-chair"); its name says it better ("a product").
  return BUILTIN[entity] ?? humanised(entity);
}

/** What a choice expects: its options' titles. */
export function expectedChoice(options: ChoiceOption[], title: (o: ChoiceOption) => string): string {
  return listOf(options.map(title));
}

/** `order_number` → "an order number". */
function humanised(name: string): string {
  const words = name
    .replace(/[_.-]+/g, ' ')
    .trim()
    .toLowerCase();
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}
