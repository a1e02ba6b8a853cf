/**
 * Evaluation on a labelled data set in the CLINC150 format: the numbers behind `switchboard eval`
 * and `npm run bench -- nlu`.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { NluEngine, type LabelledUtterance, type TrainOptions } from './engine';
import { createIntentSet } from './loader';

/** The label CLINC150 uses for out-of-scope utterances. */
export const OOS_LABEL = 'oos';

/** A data set: `train`, `val`, `test` and optionally `oos_train`, `oos_val`, `oos_test`, each `[utterance, label][]`. */
export interface IntentDataset {
  train: [string, string][];
  val?: [string, string][];
  test: [string, string][];
  oos_train?: [string, string][];
  oos_val?: [string, string][];
  oos_test?: [string, string][];
}

/** One test prediction; `null` means "out of scope" for both. */
export interface Prediction {
  gold: string | null;
  predicted: string | null;
}

export interface EvalMetrics {
  /** In-scope test utterances given the right intent (rejections count as wrong). */
  inScopeAccuracy: number;
  /** Out-of-scope test utterances rejected; null without OOS data. */
  oosRecall: number | null;
  /** Rejections that were really out of scope; null without OOS data or rejections. */
  oosPrecision: number | null;
  /** Macro F1 over the intents, plus out-of-scope as one more class when there is OOS data. */
  macroF1: number;
  inScope: number;
  outOfScope: number;
}

export interface EvalReport extends EvalMetrics {
  /** In-scope accuracy of the top intent, ignoring the threshold. */
  top1Accuracy: number;
  /** The confidence threshold chosen on held-out data. */
  threshold: number;
  /** What the threshold was chosen on. */
  calibratedOn: 'val' | 'cross-validation';
  trainSeconds: number;
  /** Mean wall time of one intent decision (classification, no entities/sentiment). */
  msPerUtterance: number;
  intents: number;
  trainExamples: number;
  /** Out-of-scope training examples used as the negative class (`oos_train`). */
  negativeExamples: number;
}

function isPairs(value: unknown): value is [string, string][] {
  return (
    Array.isArray(value) &&
    value.every((r) => Array.isArray(r) && typeof r[0] === 'string' && typeof r[1] === 'string')
  );
}

/** Reads and checks a CLINC150-format file. Throws an Error naming the bad key. */
export async function readDataset(file: string): Promise<IntentDataset> {
  const data: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (typeof data !== 'object' || data === null)
    throw new Error(`${file}: expected one JSON object with train/val/test keys`);
  const record = data as Record<string, unknown>;
  for (const key of ['train', 'test']) {
    if (!(key in record)) throw new Error(`${file}: missing key "${key}"`);
  }
  for (const key of ['train', 'val', 'test', 'oos_train', 'oos_val', 'oos_test']) {
    if (key in record && !isPairs(record[key]))
      throw new Error(`${file}: "${key}" must be an array of [utterance, label] pairs`);
  }
  return record as unknown as IntentDataset;
}

/** Metrics of a list of predictions. */
export function scorePredictions(predictions: readonly Prediction[]): EvalMetrics {
  let inScope = 0;
  let correct = 0;
  let outOfScope = 0;
  let rejectedOos = 0;
  let rejected = 0;
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const { gold, predicted } of predictions) {
    if (predicted === null) rejected++;
    if (gold === null) {
      outOfScope++;
      if (predicted === null) rejectedOos++;
    } else {
      inScope++;
      if (predicted === gold) correct++;
    }
    const g = gold ?? OOS_LABEL;
    const p = predicted ?? OOS_LABEL;
    if (g === p) bump(tp, g);
    else {
      bump(fn, g);
      bump(fp, p);
    }
  }
  const classes = new Set<string>();
  for (const { gold } of predictions) classes.add(gold ?? OOS_LABEL);
  let f1Sum = 0;
  for (const c of classes) {
    const t = tp.get(c) ?? 0;
    const denominator = 2 * t + (fp.get(c) ?? 0) + (fn.get(c) ?? 0);
    f1Sum += denominator === 0 ? 0 : (2 * t) / denominator;
  }
  return {
    inScopeAccuracy: inScope ? correct / inScope : 0,
    oosRecall: outOfScope ? rejectedOos / outOfScope : null,
    oosPrecision: outOfScope && rejected ? rejectedOos / rejected : null,
    macroF1: classes.size ? f1Sum / classes.size : 0,
    inScope,
    outOfScope,
  };
}

const toUtterances = (rows: [string, string][] | undefined, oos: boolean): LabelledUtterance[] =>
  (rows ?? []).map(([text, label]) => ({ text, intent: oos || label === OOS_LABEL ? null : label }));

/**
 * Trains on `train` (+ `oos_train` as the negative class, like a bot's `out_of_scope:` list),
 * picks the operating point on `val` + `oos_val` (cross-validation on `train` when there is no
 * `val`), and scores `test` + `oos_test`.
 */
export async function evaluateDataset(
  data: IntentDataset,
  options: Pick<TrainOptions, 'retention'> & {
    language?: string;
    /** Train `oos_train` (and `oos`-labelled `train` rows) as the negative class. Default true. */
    negatives?: boolean;
  } = {},
): Promise<EvalReport> {
  const train = data.train.filter(([, label]) => label !== OOS_LABEL);
  const negatives =
    options.negatives === false
      ? []
      : [...data.train.filter(([, label]) => label === OOS_LABEL), ...(data.oos_train ?? [])].map(
          ([text]) => text,
        );
  const set = createIntentSet(
    train.map(([text, intent]) => ({ text, intent })),
    { language: options.language ?? 'en', outOfScope: negatives },
  );
  const heldOut = data.val
    ? [...toUtterances(data.val, false), ...toUtterances(data.oos_val, true)]
    : undefined;
  const t0 = performance.now();
  const engine = await NluEngine.train(set, {
    ...(heldOut ? { heldOut } : {}),
    ...(options.retention ? { retention: options.retention } : {}),
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  const test = [...toUtterances(data.test, false), ...toUtterances(data.oos_test, true)];
  const predictions: Prediction[] = [];
  let top1 = 0;
  const t1 = performance.now();
  for (const { text, intent } of test) {
    const result = engine.classify(text);
    predictions.push({ gold: intent, predicted: result.intent });
    if (intent !== null && result.ranking[0]?.intent === intent) top1++;
  }
  const msPerUtterance = test.length ? (performance.now() - t1) / test.length : 0;
  const metrics = scorePredictions(predictions);
  return {
    ...metrics,
    top1Accuracy: metrics.inScope ? top1 / metrics.inScope : 0,
    threshold: engine.threshold,
    calibratedOn: heldOut ? 'val' : 'cross-validation',
    trainSeconds,
    msPerUtterance,
    intents: set.intents.length,
    trainExamples: train.length,
    negativeExamples: negatives.length,
  };
}
