/**
 * Text → search terms, with the NLU's own normalisation, tokeniser and stemmers, and
 * natural's stopword lists (imported by submodule). Documents and questions go through the
 * same analyzer, so "shipping", "shipped" and "Ships" meet as one term.
 *
 * @module
 */
import stopEn from 'natural/lib/natural/util/stopwords';
import stopEs from 'natural/lib/natural/util/stopwords_es';
import stopFr from 'natural/lib/natural/util/stopwords_fr';
import stopIt from 'natural/lib/natural/util/stopwords_it';
import stopNl from 'natural/lib/natural/util/stopwords_nl';
import stopNo from 'natural/lib/natural/util/stopwords_no';
import stopPt from 'natural/lib/natural/util/stopwords_pt';
import stopRu from 'natural/lib/natural/util/stopwords_ru';
import stopSv from 'natural/lib/natural/util/stopwords_sv';
import stopUk from 'natural/lib/natural/util/stopwords_uk';
import { normalise, stemmerFor, tokenise } from '../nlu/text';

const STOPWORDS: Record<string, readonly string[]> = {
  en: stopEn.words,
  es: stopEs.words,
  fr: stopFr.words,
  it: stopIt.words,
  nl: stopNl.words,
  no: stopNo.words,
  pt: stopPt.words,
  ru: stopRu.words,
  sv: stopSv.words,
  uk: stopUk.words,
};

/**
 * Words customers wrap a question in ("hi, quick question, can you tell me…") that say nothing
 * about what they ask. natural's list is written for documents; without these, a polite
 * question would look like one about things the documents never mention.
 */
const CHAT_WORDS: Record<string, readonly string[]> = {
  en: [
    'hi',
    'hello',
    'hey',
    'hiya',
    'thanks',
    'thank',
    'thx',
    'please',
    'pls',
    'plz',
    'question',
    'questions',
    'quick',
    'wondering',
    'wonder',
    'wondered',
    'know',
    'tell',
    'want',
    'wanted',
    'wanna',
    'need',
    'needs',
    'help',
    'guys',
    'ok',
    'okay',
    'just',
    'really',
    'actually',
    'anyone',
    'someone',
    'anything',
    'something',
    'possible',
    'able',
    'let',
    'thing',
    'things',
    'stuff',
    'also',
    'ever',
    'even',
    'yes',
    'no',
    'not',
    'dont',
    'doesnt',
    'cant',
    'im',
    'ive',
    'id',
    'u',
    'ur',
    'ya',
    'yo',
    'will',
    'shall',
    'may',
    'us',
    'does',
    'there',
    'any',
    'ask',
    'asking',
    'find',
    'info',
    'information',
    'hoping',
    'hope',
    'idea',
    'sure',
    'exactly',
    'currently',
    'anyway',
    'though',
    'maybe',
    'perhaps',
    'kind',
    'sort',
    'bit',
    'lot',
    'lots',
    'mean',
    'right',
    'good',
    'great',
    'much',
    'many',
    'one',
    'ones',
    'get',
    'gets',
    'getting',
    'go',
    'going',
    'say',
    'says',
    'think',
    'use',
    'using',
    'work',
    'works',
    'happen',
    'happens',
    'else',
    'still',
    'yet',
    'already',
    'today',
    'now',
  ],
};

const CONTRACTION = /'(s|t|re|ll|ve|d|m)$/;
const NEGATIVE_CONTRACTIONS: Record<string, string> = { "can't": 'can', "won't": 'will', "shan't": 'shall' };

/** Turns text into terms for one language. */
export class Analyzer {
  private readonly stem: (token: string) => string;
  private readonly stop: Set<string>;

  constructor(readonly language: string) {
    this.stem = stemmerFor(language);
    this.stop = new Set([...(STOPWORDS[language] ?? []), ...(CHAT_WORDS[language] ?? [])]);
  }

  /** The words of `text` worth searching for, lower-cased and without accents, before stemming. */
  words(text: string): string[] {
    const out: string[] = [];
    // "26cm" and "3pm" are a number and a unit, as "26 cm" is.
    for (const raw of tokenise(normalise(text)).flatMap((t) =>
      t.split(/(?<=\d)(?=\p{L})|(?<=\p{L})(?=\d)/u),
    )) {
      const token = NEGATIVE_CONTRACTIONS[raw] ?? raw.replace(/n't$/, '').replace(CONTRACTION, '');
      if (token.length < 2 && !/\d/.test(token)) continue;
      if (this.stop.has(token) || this.casual(token)) continue;
      out.push(token);
    }
    return out;
  }

  /** A contraction typed without its apostrophe ("whats", "isnt", "dont") of a stopword. */
  private casual(token: string): boolean {
    return (
      (token.endsWith('s') && this.stop.has(token.slice(0, -1))) ||
      (token.endsWith('nt') && this.stop.has(token.slice(0, -2)))
    );
  }

  /** A word's term (its stem). */
  term(word: string): string {
    return /^\d/.test(word) ? word : this.stem(word);
  }

  terms(text: string): string[] {
    return this.words(text).map((w) => this.term(w));
  }
}

/**
 * The closest known word to a misspelt one: within 1 edit for words of 4–9 letters, 2 from 10,
 * with the same first letter (as the NLU's lists do). Undefined when there is none.
 */
export function nearestWord(word: string, byInitial: Map<string, string[]>): string | undefined {
  if (word.length < 4 || /\d/.test(word)) return undefined;
  const limit = word.length >= 10 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of byInitial.get(word[0] as string) ?? []) {
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const d = editDistance(word, candidate, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

const rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/**
 * Optimal-string-alignment distance (a transposition counts 1), stopping early once it must
 * exceed `limit`. Typo correction compares a word with a whole vocabulary per message, so
 * this one allocates nothing.
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (a.length > 62 || b.length > 62) return limit + 1;
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length] as number;
}
