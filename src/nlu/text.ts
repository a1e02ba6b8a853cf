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
const STEMMERS: Record<string, () => { stem(token: string): string }> = {
  en: () => require('natural/lib/natural/stemmers/porter_stemmer'),
  de: () => require('natural/lib/natural/stemmers/porter_stemmer_de'),
  es: () => require('natural/lib/natural/stemmers/porter_stemmer_es'),
  fa: () => require('natural/lib/natural/stemmers/porter_stemmer_fa'),
  fr: () => require('natural/lib/natural/stemmers/porter_stemmer_fr'),
  it: () => require('natural/lib/natural/stemmers/porter_stemmer_it'),
  nl: () => require('natural/lib/natural/stemmers/porter_stemmer_nl'),
  no: () => require('natural/lib/natural/stemmers/porter_stemmer_no'),
  pt: () => require('natural/lib/natural/stemmers/porter_stemmer_pt'),
  ru: () => require('natural/lib/natural/stemmers/porter_stemmer_ru'),
  sv: () => require('natural/lib/natural/stemmers/porter_stemmer_sv'),
  uk: () => require('natural/lib/natural/stemmers/porter_stemmer_uk'),
};

/** Languages with a stemmer. Any other language code still works, without stemming. */
export const STEMMED_LANGUAGES: readonly string[] = Object.keys(STEMMERS);

/** Returns a memoising stemmer for `language` (ISO 639-1), or the identity when natural has none. */
export function stemmerFor(language: string): StemFn {
  const load = STEMMERS[language.toLowerCase().slice(0, 2)];
  if (!load) return (t) => t;
  const stemmer = load();
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
