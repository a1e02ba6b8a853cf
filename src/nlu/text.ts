/**
 * Normalisation and tokenisation shared by the classifier, the entity extractor and sentiment.
 * Stemming uses natural's Porter stemmers (imported by submodule, never the package root).
 */
import stemEn from 'natural/lib/natural/stemmers/porter_stemmer';
import stemDe from 'natural/lib/natural/stemmers/porter_stemmer_de';
import stemEs from 'natural/lib/natural/stemmers/porter_stemmer_es';
import stemFa from 'natural/lib/natural/stemmers/porter_stemmer_fa';
import stemFr from 'natural/lib/natural/stemmers/porter_stemmer_fr';
import stemIt from 'natural/lib/natural/stemmers/porter_stemmer_it';
import stemNl from 'natural/lib/natural/stemmers/porter_stemmer_nl';
import stemNo from 'natural/lib/natural/stemmers/porter_stemmer_no';
import stemPt from 'natural/lib/natural/stemmers/porter_stemmer_pt';
import stemRu from 'natural/lib/natural/stemmers/porter_stemmer_ru';
import stemSv from 'natural/lib/natural/stemmers/porter_stemmer_sv';
import stemUk from 'natural/lib/natural/stemmers/porter_stemmer_uk';

type StemFn = (token: string) => string;

const STEMMERS: Record<string, { stem(token: string): string }> = {
  en: stemEn,
  de: stemDe,
  es: stemEs,
  fa: stemFa,
  fr: stemFr,
  it: stemIt,
  nl: stemNl,
  no: stemNo,
  pt: stemPt,
  ru: stemRu,
  sv: stemSv,
  uk: stemUk,
};

/** Languages with a stemmer. Any other language code still works, without stemming. */
export const STEMMED_LANGUAGES: readonly string[] = Object.keys(STEMMERS);

/** Returns a memoising stemmer for `language` (ISO 639-1), or the identity when natural has none. */
export function stemmerFor(language: string): StemFn {
  const stemmer = STEMMERS[language.toLowerCase().slice(0, 2)];
  if (!stemmer) return (t) => t;
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
