/**
 * The NLU engine: TF-IDF features → one-vs-rest linear SVM → calibrated out-of-scope decision,
 * plus entities and sentiment. See README.md for the design and the numbers behind it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type Calibration,
  type HeldOutScore,
  calibrate,
  DEFAULT_RETENTION,
  sigmoidConfidence,
} from './calibrate';
import { backgroundFor, filterBackground } from './background';
import { type Entity, EntityExtractor } from './entities';
import {
  DEFAULT_FEATURES,
  type FeatureOptions,
  Featurizer,
  type FeaturizerState,
  type SparseVector,
} from './features';
import { DEFAULT_LINEAR, type LinearModel, type LinearOptions, rng, scoreInto, trainLinear } from './linear';
import type { IntentSet } from './loader';
import { analyseSentiment, type Sentiment } from './sentiment';

/** Bump when features, training or the cache format change: old caches are then ignored. */
export const ENGINE_VERSION = 'sb-nlu-3';

/** What the engine understood from one message. */
export interface NluResult {
  text: string;
  /** The intent, or `null` when the message is out of scope: the bot must not answer confidently. */
  intent: string | null;
  /**
   * 0..1, the calibrated probability that the top intent is right (also set when `intent` is null).
   * When the bot's `out_of_scope:` examples win, it is lowered below the threshold.
   */
  confidence: number;
  /** The top few intents, best first. */
  ranking: { intent: string; confidence: number }[];
  entities: Entity[];
  sentiment: Sentiment;
}

/** A held-out utterance for choosing the operating point; `intent: null` marks out-of-scope. */
export interface LabelledUtterance {
  text: string;
  intent: string | null;
}

export interface TrainOptions {
  /** Directory for trained models, keyed by content hash + engine version + settings. */
  cacheDir?: string;
  /** Overrides the calibrated confidence threshold (0..1). */
  threshold?: number;
  /**
   * Held-out utterances to choose the operating point on (e.g. a validation split, with
   * out-of-scope ones as `intent: null`). Without them the engine cross-validates on the
   * training examples.
   */
  heldOut?: LabelledUtterance[];
  /**
   * Train the language's background corpus of generic off-topic messages into the negative class
   * (see `background/`). Default true; false leaves the bot's own `out_of_scope:` list alone.
   */
  background?: boolean;
  /** Share of correct held-out answers to keep when choosing the threshold. Default 0.98. */
  retention?: number;
  /** Called with `'cache'` or `'trained'`, for logs and tests. */
  onModel?: (source: 'cache' | 'trained') => void;
}

interface ModelHeader {
  version: string;
  intents: string[];
  /** True when the model has one more class after the intents: the out-of-scope examples. */
  negative: boolean;
  /** How far the negative class must lead the top intent to reject (see `NEGATIVE_CLASS`). */
  lead: number;
  featurizer: FeaturizerState;
  calibration: Calibration;
  dimension: number;
}

const RANKING_SIZE = 5;
/** Cross-validation stops once this many held-out predictions are in (one fold on big sets). */
const CV_MIN_HELD_OUT = 2000;
const CV_FOLDS = 5;

interface Trained {
  featurizer: Featurizer;
  model: LinearModel;
}

function fitModel(
  texts: string[],
  labels: Int32Array,
  classes: number,
  language: string,
  features: FeatureOptions,
  linear: LinearOptions,
  skip: readonly number[] = [],
): Trained {
  const featurizer = Featurizer.fit(texts, language, features);
  const xs = texts.map((t) => featurizer.transform(t));
  return { featurizer, model: trainLinear(xs, labels, classes, featurizer.dimension, linear, skip) };
}

/**
 * How the negative class (the bot's `out_of_scope:` examples and the background corpus) enters the
 * decision. Settings for measurements (README.md); the defaults are the measured choice. `hard`: a
 * message whose negative-class margin is at least the top intent's plus `lead` is rejected
 * whatever the threshold (a lead of 0, "the negative class wins", rejected 15 % of a 10-example
 * bot's right answers once the background corpus was in; README.md). Lowering the decision score by
 * the negative margin instead lowered AUROC. The threshold is chosen on held-out in-scope messages by their margin, as if the hard rule did not
 * exist, so the negatives only add rejections.
 */
export const NEGATIVE_CLASS: { hard: boolean; lead: number } = { hard: true, lead: 0.9 };

/**
 * Words never seen in training are evidence of "out of scope" that a linear model cannot see
 * (unknown features simply contribute nothing), so the decision score is the SVM margin minus
 * a penalty proportional to the share of unknown words. The same shift applies to every intent,
 * so the ranking is unchanged; only the accept/reject decision and the confidences move.
 */
export const OOV_PENALTY = { value: 0.5 };

/**
 * The background corpus (`background/`): generic off-topic messages added to every bot's negative
 * class, minus those whose word cosine to one of the bot's examples reaches `maxSimilarity`.
 * Settings for measurements (README.md); the defaults are the measured choice.
 */
export const BACKGROUND = { enabled: true, maxSimilarity: 0.5 };

/** The negative class of a bot: its own `out_of_scope:` examples, then the filtered background. */
export function negativeExamples(set: IntentSet, background = BACKGROUND.enabled): string[] {
  return negativeClass(set, background).examples;
}

function negativeClass(set: IntentSet, background: boolean): { examples: string[]; lead: number } {
  const own = set.outOfScope ?? [];
  if (!background) return { examples: [...own], lead: 0 };
  const examples = set.intents.flatMap((i) => i.examples);
  const taken = new Set([...own, ...examples]);
  const kept = filterBackground(
    backgroundFor(set.language),
    examples,
    set.language,
    BACKGROUND.maxSimilarity,
  );
  const added = kept.filter((line) => !taken.has(line));
  // The bot's own list alone is its author's word: the negative class need only win.
  return { examples: [...own, ...added], lead: added.length > 0 ? NEGATIVE_CLASS.lead : 0 };
}

function decisionScore(margin: number, x: SparseVector): number {
  return margin - OOV_PENALTY.value * (x.unknown ?? 0);
}

/** The best intent; `intents` excludes a trailing negative class. */
function top(scores: Float64Array, intents = scores.length): number {
  let best = 0;
  for (let c = 1; c < intents; c++) if ((scores[c] as number) > (scores[best] as number)) best = c;
  return best;
}

/**
 * One held-out prediction for the operating point. `label` is the right intent, or -1 for an
 * out-of-scope message; `negative` is the negative class's index, or -1 without one.
 */
function heldOutScore(
  scores: Float64Array,
  x: SparseVector,
  label: number,
  negative: number,
  /** Count a message with no known feature as rejected (val data; cross-validation never did). */
  emptyRejected: boolean,
): HeldOutScore {
  const inScope = label >= 0;
  // A message with no known feature is always rejected, so it can never count as correct.
  if (emptyRejected && x.idx.length === 0)
    return { margin: Number.NEGATIVE_INFINITY, correct: false, inScope };
  const intents = negative < 0 ? scores.length : negative;
  const best = top(scores, intents);
  return {
    margin: decisionScore(scores[best] as number, x),
    correct: best === label,
    inScope,
  };
}

/** Stratified k-fold held-out margins on the training examples themselves. */
function crossValidate(
  texts: string[],
  labels: Int32Array,
  classes: number,
  language: string,
  /** Index of the negative class (the out-of-scope examples), or -1. */
  negative: number,
): HeldOutScore[] {
  const fold = new Int32Array(texts.length);
  const random = rng(7);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((l, i) => {
    byClass[l]?.push(i);
  });
  for (const members of byClass) {
    for (let k = members.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [members[k], members[j]] = [members[j] as number, members[k] as number];
    }
    members.forEach((i, k) => {
      fold[i] = k % CV_FOLDS;
    });
  }
  const out: HeldOutScore[] = [];
  const scores = new Float64Array(classes);
  const inScope = negative < 0 ? texts.length : labels.filter((l) => l !== negative).length;
  for (let f = 0; f < CV_FOLDS && out.length < Math.min(CV_MIN_HELD_OUT, inScope); f++) {
    const trainIdx: number[] = [];
    const testIdx: number[] = [];
    fold.forEach((k, i) => {
      (k === f ? testIdx : trainIdx).push(i);
    });
    if (testIdx.length === 0 || trainIdx.length === 0) continue;
    const trained = fitModel(
      trainIdx.map((i) => texts[i] as string),
      Int32Array.from(trainIdx, (i) => labels[i] as number),
      classes,
      language,
      DEFAULT_FEATURES,
      DEFAULT_LINEAR,
      // The held-out scores use the intents' margins only: the negative class's own weights
      // (the costliest class, with the background corpus) are only needed by the final model.
      negative >= 0 ? [negative] : [],
    );
    for (const i of testIdx) {
      // Held-out negatives only train the folds: the operating point is chosen on in-scope
      // predictions alone, as without negatives.
      if (labels[i] === negative) continue;
      const x = trained.featurizer.transform(texts[i] as string);
      scoreInto(trained.model, x, scores);
      out.push(heldOutScore(scores, x, labels[i] as number, negative, false));
    }
  }
  return out;
}

function cacheKey(set: IntentSet, options: TrainOptions): string {
  const h = createHash('sha256');
  h.update(ENGINE_VERSION);
  h.update(set.hash);
  h.update(JSON.stringify(set.outOfScope ?? []));
  const background = options.background ?? BACKGROUND.enabled;
  if (background) h.update(JSON.stringify(backgroundFor(set.language)));
  h.update(
    JSON.stringify({
      background: background && BACKGROUND,
      features: DEFAULT_FEATURES,
      linear: DEFAULT_LINEAR,
      retention: options.retention ?? DEFAULT_RETENTION,
    }),
  );
  if (options.heldOut) h.update(JSON.stringify(options.heldOut));
  return h.digest('hex').slice(0, 32);
}

async function readCache(file: string): Promise<{ header: ModelHeader; weights: Float32Array } | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch {
    return null;
  }
  try {
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as ModelHeader;
    if (header.version !== ENGINE_VERSION) return null;
    const offset = 4 + headerLength;
    const bytes = buf.subarray(offset);
    // Copy into an aligned buffer: the weights follow a variable-length header.
    const weights = new Float32Array(bytes.length / 4);
    new Uint8Array(weights.buffer).set(bytes);
    const classes = header.intents.length + (header.negative ? 1 : 0);
    if (weights.length !== (header.dimension + 1) * classes) return null;
    return { header, weights };
  } catch {
    return null; // a corrupt cache is just a cache miss
  }
}

async function writeCache(file: string, header: ModelHeader, weights: Float32Array): Promise<void> {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    Buffer.concat([len, json, Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)]),
  );
  await rename(tmp, file); // atomic: a crashed writer never leaves a half model behind
}

/**
 * A trained intent classifier with entity extraction and sentiment.
 *
 * @example
 * const engine = await NluEngine.train(await loadIntents('intents'), { cacheDir: '.switchboard/nlu' });
 * engine.parse('where is my order ORD-12345?'); // { intent: 'order_status', entities: [{ entity: 'order_number', … }], … }
 */
export class NluEngine {
  private readonly scores: Float64Array;
  private readonly extractor: EntityExtractor;

  private constructor(
    private readonly intentNames: string[],
    private readonly featurizer: Featurizer,
    private readonly model: LinearModel,
    /** The calibration chosen on held-out data (before any threshold override). */
    readonly calibration: Calibration,
    /** Confidence below which `parse` returns `intent: null`. */
    readonly threshold: number,
    readonly language: string,
    set: IntentSet,
    /** How far the negative class must lead the top intent for a rejection. */
    private readonly lead = 0,
  ) {
    this.scores = new Float64Array(model.classes);
    this.extractor = new EntityExtractor(set.entities, { language });
  }

  /** The intent names the engine can return. */
  get intents(): readonly string[] {
    return this.intentNames;
  }

  /** Whether the model has a negative class (the set's `outOfScope` examples and/or the background corpus). */
  get hasNegativeClass(): boolean {
    return this.model.classes > this.intentNames.length;
  }

  /**
   * Trains on `intents` (or loads the model from `cacheDir` when this exact content, engine
   * version and settings were trained before) and calibrates the out-of-scope threshold.
   */
  static async train(intents: IntentSet, options: TrainOptions = {}): Promise<NluEngine> {
    const names = intents.intents.map((i) => i.name);
    const language = intents.language;
    const cacheFile = options.cacheDir
      ? path.join(options.cacheDir, `${cacheKey(intents, options)}.model`)
      : null;
    if (cacheFile) {
      const cached = await readCache(cacheFile);
      if (cached && cached.header.intents.join('\n') === names.join('\n')) {
        options.onModel?.('cache');
        const { header, weights } = cached;
        const model: LinearModel = {
          classes: names.length + (header.negative ? 1 : 0),
          dimension: header.dimension,
          weights,
        };
        const threshold = options.threshold ?? header.calibration.threshold;
        return new NluEngine(
          names,
          Featurizer.fromState(header.featurizer),
          model,
          header.calibration,
          threshold,
          language,
          intents,
          header.lead,
        );
      }
    }
    if (names.length === 0) throw new RangeError('NluEngine.train: the intent set has no intents');
    const { examples: negatives, lead } = negativeClass(intents, options.background ?? BACKGROUND.enabled);

    const texts: string[] = [];
    const labelList: number[] = [];
    intents.intents.forEach((intent, c) => {
      for (const example of intent.examples) {
        texts.push(example);
        labelList.push(c);
      }
    });
    // The out-of-scope examples are one more class after the intents (one-vs-rest like the others).
    const negative = negatives.length > 0 ? names.length : -1;
    for (const example of negatives) {
      texts.push(example);
      labelList.push(negative);
    }
    const classes = names.length + (negative >= 0 ? 1 : 0);
    const labels = Int32Array.from(labelList);
    const { featurizer, model } = fitModel(
      texts,
      labels,
      classes,
      language,
      DEFAULT_FEATURES,
      DEFAULT_LINEAR,
    );
    const engine = new NluEngine(names, featurizer, model, calibrate([]), 0, language, intents);
    const heldOut = options.heldOut
      ? engine.heldOutScores(options.heldOut)
      : names.length > 1
        ? crossValidate(texts, labels, classes, language, negative)
        : [];
    const calibration = calibrate(heldOut, options.retention ?? DEFAULT_RETENTION);
    if (cacheFile) {
      const header: ModelHeader = {
        version: ENGINE_VERSION,
        intents: names,
        negative: negative >= 0,
        lead,
        featurizer: featurizer.toState(),
        calibration,
        dimension: model.dimension,
      };
      await writeCache(cacheFile, header, model.weights);
    }
    options.onModel?.('trained');
    return new NluEngine(
      names,
      featurizer,
      model,
      calibration,
      options.threshold ?? calibration.threshold,
      language,
      intents,
      lead,
    );
  }

  private heldOutScores(utterances: readonly LabelledUtterance[]): HeldOutScore[] {
    const index = new Map(this.intentNames.map((n, i) => [n, i]));
    const negative = this.hasNegativeClass ? this.intentNames.length : -1;
    return utterances.map(({ text, intent }) => {
      const x = this.featurizer.transform(text);
      scoreInto(this.model, x, this.scores);
      // An in-scope label the model does not know can never be right (label -2, not -1 = OOS).
      const label = intent === null ? -1 : (index.get(intent) ?? -2);
      const score = heldOutScore(this.scores, x, label, negative, true);
      return label === -2 ? { ...score, inScope: true } : score;
    });
  }

  /** Classifies one message and extracts its entities and sentiment. */
  parse(text: string, options: { referenceDate?: Date } = {}): NluResult {
    const classified = this.classify(text);
    return {
      text,
      ...classified,
      entities: this.extractor.extract(text, undefined, options.referenceDate),
      sentiment: analyseSentiment(text, this.language),
    };
  }

  /** The intent decision alone (no entities, no sentiment): what `eval` and the benchmark time. */
  classify(text: string): Pick<NluResult, 'intent' | 'confidence' | 'ranking'> {
    const x = this.featurizer.transform(text);
    if (x.idx.length === 0) return { intent: null, confidence: 0, ranking: [] };
    const scores = scoreInto(this.model, x, this.scores);
    const intents = this.intentNames.length;
    const shift = decisionScore(0, x);
    for (let c = 0; c < intents; c++) scores[c] = (scores[c] as number) + shift;
    const { a, b } = this.calibration;
    const ranking: { intent: string; confidence: number }[] = [];
    // Partial selection of the top few: cheaper than sorting 150 scores per message.
    const taken = new Set<number>();
    let topScore = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < Math.min(RANKING_SIZE, intents); r++) {
      let best = -1;
      for (let c = 0; c < intents; c++) {
        if (taken.has(c)) continue;
        if (best < 0 || (scores[c] as number) > (scores[best] as number)) best = c;
      }
      taken.add(best);
      if (r === 0) topScore = scores[best] as number;
      ranking.push({
        intent: this.intentNames[best] as string,
        confidence: sigmoidConfidence(scores[best] as number, a, b),
      });
    }
    const first = ranking[0] as { intent: string; confidence: number };
    if (intents < scores.length) {
      // The negative class (unshifted: unknown words are no evidence for it) beats every intent:
      // out of scope whatever the threshold. The confidence drops below the operating point by
      // as much as the negative class won, so rankings by confidence agree with the decision.
      const lead = (scores[intents] as number) - (topScore - shift);
      if (NEGATIVE_CLASS.hard && lead >= this.lead) {
        const margin = Math.min(topScore, this.calibration.marginThreshold) - lead - 1e-6;
        return {
          intent: null,
          confidence: Math.min(first.confidence, sigmoidConfidence(margin, a, b)),
          ranking,
        };
      }
    }
    return {
      intent: first.confidence >= this.threshold ? first.intent : null,
      confidence: first.confidence,
      ranking,
    };
  }

  /** Entities in `text`, optionally only those named. */
  extractEntities(text: string, names?: string[], options: { referenceDate?: Date } = {}): Entity[] {
    return this.extractor.extract(text, names, options.referenceDate);
  }
}
