/**
 * Normalisation and tokenisation shared by the classifier, the entity extractor and sentiment.
 * Stemming uses natural's Porter stemmers (imported by submodule, never the package root).
 */
type StemFn = (token: string) => string;

/**
 * natural's Porter stemmers by language, each loaded when a bot first needs it (each is a
 * stemmer, a tokenizer and a stop-word list: loading all twelve for an English bot cost 47
 * modules at start-up).
 */
const STEMMERS = ['en', 'de', 'es', 'fa', 'fr', 'it', 'nl', 'no', 'pt', 'ru', 'sv', 'uk'] as const;
const loadStemmer = (language: (typeof STEMMERS)[number]): { stem(token: string): string } =>
  require(`natural/lib/natural/stemmers/porter_stemmer${language === 'en' ? '' : `_${language}`}`);

/** Languages with a stemmer. Any other language code still works, without stemming. */
export const STEMMED_LANGUAGES: readonly string[] = STEMMERS;

/** Returns a memoising stemmer for `language` (ISO 639-1), or the identity when natural has none. */
export function stemmerFor(language: string): StemFn {
  const code = language.toLowerCase().slice(0, 2);
  if (!STEMMED_LANGUAGES.includes(code)) return (t) => t;
  const stemmer = loadStemmer(code as (typeof STEMMERS)[number]);
  // Stemming is the costliest step per token; chat vocabularies are small, so a bounded memo pays.
  const memo = new Map<string, string>();
  return (token) => {
    let s = memo.get(token);
    if (s === undefined) {
      s = stemmer.stem(token);
      if (memo.size < 200_000) memo.set(token, s);
    }
    return s;
  };
}

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Lower-cases, strips accents (café → cafe) and unifies apostrophes. Keeps string length stable-ish. */
export function normalise(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase().replace(/’/g, "'");
}

/** Word tokens of already-normalised text; contractions stay whole ("what's", "don't"). */
export function tokenise(normalised: string): string[] {
  return normalised.match(TOKEN) ?? [];
}
