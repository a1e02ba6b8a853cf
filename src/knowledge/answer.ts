/**
 * The passage answer: the best passage, cut to what a chat message should be (and what the
 * channel allows), with its source — title and link — always last.
 *
 * @module
 */
import type { KnowledgeHit } from './search';

/** The longest passage text the bot sends: a chat answer, not a page. */
export const PASSAGE_MAX_CHARS = 600;

/** Where an answer came from: shown to the customer, kept on the conversation and the envelope. */
export interface KnowledgeSource {
  document: string;
  title: string;
  url?: string;
}

export interface KnowledgeAnswer {
  text: string;
  sources: KnowledgeSource[];
  confidence: number;
  /** `passage`: the passage itself; `generated`: composed by the language model from passages. */
  mode: 'passage' | 'generated';
}

export function sourceOf(hit: KnowledgeHit): KnowledgeSource {
  return {
    document: hit.document.id,
    title: hit.document.title,
    ...(hit.document.url ? { url: hit.document.url } : {}),
  };
}

/** "Source: Returns policy — https://…", one line per source. */
export function sourceLines(sources: KnowledgeSource[]): string {
  const label = sources.length > 1 ? 'Sources' : 'Source';
  const items = sources.map((s) => (s.url ? `${s.title} — ${s.url}` : s.title));
  return sources.length > 1 ? `${label}:\n${items.map((i) => `• ${i}`).join('\n')}` : `${label}: ${items[0]}`;
}

/** Sentences of a passage (its blocks are lines; sentences end with . ! ? before a capital or digit). */
function sentences(text: string): string[] {
  return text
    .split('\n')
    .flatMap((block) => block.split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}€£$"“(])/u))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Cuts `text` to `max` characters at a word boundary, with an ellipsis. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, Math.max(0, max - 1));
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:–-]+$/, '')}…`;
}

/**
 * The answer from one passage: the whole passage when it is short enough, else the sentences
 * around the one that holds most of the question's terms, within `maxLength` (the channel's
 * limit) and {@link PASSAGE_MAX_CHARS}.
 */
export function passageAnswer(
  hit: KnowledgeHit,
  termsOf: (text: string) => string[],
  maxLength = Number.POSITIVE_INFINITY,
): KnowledgeAnswer {
  const source = sourceOf(hit);
  const footer = `\n\n${sourceLines([source])}`;
  const budget = Math.max(40, Math.min(PASSAGE_MAX_CHARS, maxLength - footer.length));
  const text = hit.passage.text.replace(/\n/g, '\n');
  let body: string;
  if (text.length <= budget) body = text;
  else {
    const list = sentences(text);
    const wanted = new Set(hit.matched);
    const scores = list.map((s) => new Set(termsOf(s).filter((t) => wanted.has(t))).size);
    let best = 0;
    scores.forEach((s, i) => {
      if (s > (scores[best] as number)) best = i;
    });
    // Start a sentence earlier when it fits: the sentence before often names the subject.
    let start = best;
    let end = best + 1;
    let size = (list[best] as string).length;
    while (end < list.length && size + 1 + (list[end] as string).length <= budget) {
      size += 1 + (list[end] as string).length;
      end++;
    }
    if (start > 0 && size + 1 + (list[start - 1] as string).length <= budget) {
      start--;
      size += 1 + (list[start] as string).length;
    }
    body = clip(list.slice(start, end).join(' '), budget);
  }
  const limit = Number.isFinite(maxLength) ? maxLength : Number.POSITIVE_INFINITY;
  const full = `${body}${footer}`;
  return {
    text: full.length <= limit ? full : clip(full, limit),
    sources: [source],
    confidence: hit.confidence,
    mode: 'passage',
  };
}
