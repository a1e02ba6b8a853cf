/**
 * TF-IDF featuriser: stemmed word unigrams and bigrams plus character n-grams of each word
 * (fastText-style, `<word>` padded), so typos and inflections still share most features.
 * Each group is L2-normalised on its own, weighted, and the whole vector is normalised again,
 * so neither group drowns the other whatever the utterance length.
 */
import { normalise, stemmerFor, tokenise } from './text';

export interface FeatureOptions {
  /** Word n-gram orders used, 1 = unigrams only. */
  wordNgrams: number;
  /** Character n-gram lengths, inclusive. `charMax: 0` disables them. */
  charMin: number;
  charMax: number;
  /** Character n-grams seen in fewer training utterances than this are dropped. */
  charMinDf: number;
  /** Relative weight of the character group against the word group. */
  charWeight: number;
}

export const DEFAULT_FEATURES: FeatureOptions = {
  wordNgrams: 2,
  charMin: 3,
  charMax: 4,
  charMinDf: 2,
  charWeight: 1,
};

/** A sparse vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
  /** Share of the utterance's words never seen in training (0 for training-time vectors). */
  unknown?: number;
}

/** Serialisable state of a fitted featuriser. */
export interface FeaturizerState {
  options: FeatureOptions;
  language: string;
  terms: string[];
  idf: number[];
}

const WORD = 0;
const CHAR = 1;

export class Featurizer {
  private readonly stem: (t: string) => string;
  private readonly vocab = new Map<string, number>();
  private idf: Float32Array = new Float32Array(0);
  private group: Uint8Array = new Uint8Array(0);
  // Scratch space for transform(); the engine is single-threaded so sharing it is safe.
  private acc: Float64Array = new Float64Array(0);
  private readonly touched: number[] = [];

  private constructor(
    readonly options: FeatureOptions,
    readonly language: string,
  ) {
    this.stem = stemmerFor(language);
  }

  get dimension(): number {
    return this.vocab.size;
  }

  /** Builds the vocabulary and IDF weights from training utterances. */
  static fit(
    texts: readonly string[],
    language: string,
    options: FeatureOptions = DEFAULT_FEATURES,
  ): Featurizer {
    const f = new Featurizer(options, language);
    const df = new Map<string, number>();
    const seen = new Set<string>();
    for (const text of texts) {
      seen.clear();
      f.terms(text, (term) => {
        if (!seen.has(term)) {
          seen.add(term);
          df.set(term, (df.get(term) ?? 0) + 1);
        }
      });
    }
    const terms: string[] = [];
    const idf: number[] = [];
    const n = texts.length;
    for (const [term, count] of df) {
      if (term.charCodeAt(0) === 99 /* 'c' */ && count < options.charMinDf) continue;
      terms.push(term);
      idf.push(Math.log((n + 1) / (count + 1)) + 1);
    }
    f.load(terms, idf);
    return f;
  }

  static fromState(state: FeaturizerState): Featurizer {
    const f = new Featurizer(state.options, state.language);
    f.load(state.terms, state.idf);
    return f;
  }

  toState(): FeaturizerState {
    return {
      options: this.options,
      language: this.language,
      terms: [...this.vocab.keys()],
      idf: [...this.idf],
    };
  }

  private load(terms: readonly string[], idf: readonly number[]): void {
    this.vocab.clear();
    terms.forEach((t, i) => {
      this.vocab.set(t, i);
    });
    this.idf = Float32Array.from(idf);
    this.group = Uint8Array.from(terms, (t) => (t.charCodeAt(0) === 99 ? CHAR : WORD));
    this.acc = new Float64Array(terms.length);
  }

  /** Calls `emit` for every feature occurrence of `text` (with repeats: term frequency). */
  private terms(text: string, emit: (term: string) => void): void {
    const { wordNgrams, charMin, charMax } = this.options;
    const tokens = tokenise(normalise(text));
    let prev = '^';
    for (const token of tokens) {
      const s = this.stem(token);
      emit(`w:${s}`);
      if (wordNgrams >= 2) emit(`b:${prev} ${s}`);
      prev = s;
      if (charMax > 0) {
        const padded = `<${token}>`;
        for (let n = charMin; n <= charMax; n++) {
          for (let i = 0; i + n <= padded.length; i++) emit(`c:${padded.slice(i, i + n)}`);
        }
      }
    }
    if (wordNgrams >= 2 && tokens.length > 0) emit(`b:${prev} $`);
  }

  /** The TF-IDF vector of `text`; unknown features are ignored. An all-unknown text gives an empty vector. */
  transform(text: string): SparseVector {
    const { acc, touched, vocab } = this;
    touched.length = 0;
    let words = 0;
    let unknownWords = 0;
    this.terms(text, (term) => {
      const i = vocab.get(term);
      if (term.charCodeAt(0) === 119 /* 'w' */) {
        words++;
        if (i === undefined) unknownWords++;
      }
      if (i === undefined) return;
      if (acc[i] === 0) touched.push(i);
      acc[i] = (acc[i] ?? 0) + 1;
    });
    const idx = new Int32Array(touched.length);
    const val = new Float32Array(touched.length);
    let wordNorm = 0;
    let charNorm = 0;
    for (let k = 0; k < touched.length; k++) {
      const i = touched[k] as number;
      const v = (1 + Math.log(acc[i] as number)) * (this.idf[i] as number);
      acc[i] = 0;
      idx[k] = i;
      val[k] = v;
      if (this.group[i] === CHAR) charNorm += v * v;
      else wordNorm += v * v;
    }
    const scale = [
      wordNorm ? 1 / Math.sqrt(wordNorm) : 0,
      charNorm ? this.options.charWeight / Math.sqrt(charNorm) : 0,
    ];
    let total = 0;
    for (let k = 0; k < val.length; k++) {
      const v = (val[k] as number) * (scale[this.group[idx[k] as number] as number] as number);
      val[k] = v;
      total += v * v;
    }
    if (total > 0) {
      const inv = 1 / Math.sqrt(total);
      for (let k = 0; k < val.length; k++) val[k] = (val[k] as number) * inv;
    }
    return { idx, val, unknown: words ? unknownWords / words : 0 };
  }
}
