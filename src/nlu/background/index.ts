/**
 * The background corpus: generic, off-topic messages trained as the negative class of every bot
 * (with the bot's own `out_of_scope:` examples), so a small bot learns which words say nothing about
 * its intents ("what", "how do i", "tell me about") without its author writing negatives.
 *
 * A background message that says what one of the bot's examples says would teach the bot to reject
 * its own intent (a travel bot's "do i need a visa"), so lines too similar to any example are dropped
 * first: cosine of stemmed-word TF-IDF vectors, IDF over the bot's examples and the corpus together.
 */
import { normalise, stemmerFor, tokenise } from '../text';
import { EN_BACKGROUND } from './en';

const CORPORA: Record<string, readonly string[]> = { en: EN_BACKGROUND };

/** The background corpus for `language` (ISO 639-1); empty for languages without one. */
export function backgroundFor(language: string): readonly string[] {
  return CORPORA[language.toLowerCase().slice(0, 2)] ?? [];
}

/** Languages that have a background corpus. */
export const BACKGROUND_LANGUAGES: readonly string[] = Object.keys(CORPORA);

interface WordVector {
  terms: number[];
  weights: number[];
}

/**
 * The lines of `background` whose word cosine to every one of `examples` is below `maxSimilarity`,
 * in their order. Deterministic; about linear in the sizes (an inverted index over the examples).
 */
export function filterBackground(
  background: readonly string[],
  examples: readonly string[],
  language: string,
  maxSimilarity: number,
): string[] {
  if (background.length === 0) return [];
  const stem = stemmerFor(language);
  const ids = new Map<string, number>();
  const docs = [...examples, ...background].map((text) => {
    const counts = new Map<number, number>();
    for (const token of tokenise(normalise(text))) {
      const s = stem(token);
      let id = ids.get(s);
      if (id === undefined) {
        id = ids.size;
        ids.set(s, id);
      }
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  });
  const df = new Float64Array(ids.size);
  for (const counts of docs) for (const id of counts.keys()) df[id] = (df[id] as number) + 1;
  const n = docs.length;
  const vectors: WordVector[] = docs.map((counts) => {
    const terms: number[] = [];
    const weights: number[] = [];
    let norm = 0;
    for (const [id, count] of counts) {
      const w = (1 + Math.log(count)) * (Math.log((n + 1) / ((df[id] as number) + 1)) + 1);
      terms.push(id);
      weights.push(w);
      norm += w * w;
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return { terms, weights: weights.map((w) => w * inv) };
  });
  // Postings of the examples only: the question is "is this line close to some example".
  const postings: { doc: number; weight: number }[][] = Array.from({ length: ids.size }, () => []);
  for (let d = 0; d < examples.length; d++) {
    const v = vectors[d] as WordVector;
    v.terms.forEach((t, k) => {
      postings[t]?.push({ doc: d, weight: v.weights[k] as number });
    });
  }
  const dots = new Float64Array(examples.length);
  const touched: number[] = [];
  const kept: string[] = [];
  background.forEach((line, b) => {
    const v = vectors[examples.length + b] as WordVector;
    let best = 0;
    v.terms.forEach((t, k) => {
      const w = v.weights[k] as number;
      for (const { doc, weight } of postings[t] ?? []) {
        if (dots[doc] === 0) touched.push(doc);
        const dot = (dots[doc] as number) + w * weight;
        dots[doc] = dot;
        if (dot > best) best = dot;
      }
    });
    for (const d of touched) dots[d] = 0;
    touched.length = 0;
    if (best < maxSimilarity && v.terms.length > 0) kept.push(line);
  });
  return kept;
}
