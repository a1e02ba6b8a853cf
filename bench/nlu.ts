/**
 * `npm run bench -- nlu [--data FILE] [--systems switchboard,nlpjs,bayes] [--small | --small-only] [--seeds N] [--negatives N]`
 *
 * CLINC150 through Switchboard's engine, NLP.js and natural's BayesClassifier in one run, each
 * in its own child process so peak RSS is per system. Every system is trained on `train`, its
 * confidences on `val` + `oos_val` pick the operating point, and `test` + `oos_test` are scored.
 * Two operating-point rules, applied identically to every system's confidence:
 * - **keep 98 %**: Switchboard's own rule (reject below the 2nd percentile of the confidences of
 *   correct val answers);
 * - **balanced**: maximise the mean of val in-scope accuracy and val OOS recall
 *   (the rule in shared/research/nlu.md).
 *
 * `--small` adds (and `--small-only` runs only) the small-bot check: bots of 25 random CLINC150
 * intents × 10 training examples, one per seed (10 seeds unless `--seeds N`), each calibrated
 * exactly as a real bot is (5-fold cross-validation on its own 250 examples, no val and no
 * out-of-scope data). In-scope accuracy is scored on those intents' test utterances; out-of-scope
 * recall on `oos_test` and on the test utterances of the other 125 intents (out of scope for that
 * bot). Nothing in the engine is tuned on it: it checks that the settings generalise to bots far
 * smaller than CLINC150. The same bots are then run again, each with `--negatives N` (default 30;
 * 0 skips it) random `oos_train` utterances as its `out_of_scope:` list, the negative class.
 * They never come from `oos_test`, which is what out-of-scope recall is measured on.
 *
 * In the CLINC150 table Switchboard trains `oos_train` as its negative class (the issue allows
 * "+ oos_train if the model uses it"); `SB_NO_NEGATIVES=1` measures it without.
 */
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { calibrate, type HeldOutScore } from '../src/nlu/calibrate';
import { NluEngine, type TrainOptions } from '../src/nlu/engine';
import { rng } from '../src/nlu/linear';
import { createIntentSet } from '../src/nlu/loader';

type Rows = [string, string][];
interface Data {
  train: Rows;
  val: Rows;
  test: Rows;
  oos_train: Rows;
  oos_val: Rows;
  oos_test: Rows;
}

const SYSTEMS = ['switchboard', 'nlpjs', 'bayes'] as const;
type System = (typeof SYSTEMS)[number];
const LABELS: Record<System, string> = {
  switchboard: 'Switchboard (SVM + calibrated threshold)',
  nlpjs: 'NLP.js 4 (Nlp, NluNeural)',
  bayes: 'natural 8 BayesClassifier',
};

/** What a system says about one utterance: its top intent (null = it rejected by itself) and a confidence. */
interface Guess {
  intent: string | null;
  confidence: number;
}

interface Classifier {
  train(rows: Rows): Promise<void>;
  classify(text: string): Promise<Guess> | Guess;
}

interface PointResult {
  threshold: number;
  inScopeAccuracy: number;
  oosRecall: number;
  oosPrecision: number;
}

interface SystemResult {
  system: System;
  trainSeconds: number;
  msPerUtterance: number;
  peakRssMb: number;
  top1: number;
  keep98: PointResult;
  balanced: PointResult;
}

// --- the three systems ---------------------------------------------------------------------

function switchboard(data: Data): Classifier {
  let engine: NluEngine | undefined;
  return {
    async train(rows) {
      const outOfScope =
        process.env.SB_NO_NEGATIVES === '1' ? [] : (data.oos_train ?? []).map(([text]) => text);
      const set = createIntentSet(
        rows.map(([text, intent]) => ({ text, intent })),
        { outOfScope },
      );
      // The operating point is chosen below from val confidences by the same code path as the
      // other systems; calibrating on val here only fixes the confidence scale.
      const heldOut = [
        ...data.val.map(([text, intent]) => ({ text, intent })),
        ...data.oos_val.map(([text]) => ({ text, intent: null })),
      ];
      engine = await NluEngine.train(set, { heldOut });
    },
    classify(text) {
      // With a negative class, a message it wins comes back with a confidence below the engine's
      // operating point, so the rules below see it as a weak answer.
      const r = (engine as NluEngine).classify(text);
      return { intent: r.ranking[0]?.intent ?? null, confidence: r.confidence };
    },
  };
}

interface NlpJs {
  settings: { autoSave: boolean; threshold: number; calculateSentiment: boolean };
  addLanguage(lang: string): void;
  addDocument(lang: string, text: string, intent: string): void;
  train(): Promise<void>;
  process(lang: string, text: string): Promise<{ intent: string; score: number }>;
}

function nlpjs(): Classifier {
  let nlp: NlpJs | undefined;
  return {
    async train(rows) {
      const { containerBootstrap } = require('@nlpjs/core') as {
        containerBootstrap(): Promise<{ use(x: unknown): void; get(name: string): unknown }>;
      };
      const { Nlp } = require('@nlpjs/nlp') as { Nlp: unknown };
      const { LangEn } = require('@nlpjs/lang-en') as { LangEn: unknown };
      const container = await containerBootstrap();
      container.use(Nlp);
      container.use(LangEn);
      nlp = container.get('nlp') as NlpJs;
      nlp.settings.autoSave = false;
      nlp.settings.threshold = 0; // raw top intent and score; the threshold is applied below
      nlp.settings.calculateSentiment = false;
      nlp.addLanguage('en');
      for (const [text, intent] of rows) nlp.addDocument('en', text, intent);
      await nlp.train();
    },
    async classify(text) {
      const r = await (nlp as NlpJs).process('en', text);
      return r.intent === 'None'
        ? { intent: null, confidence: 0 }
        : { intent: r.intent, confidence: r.score };
    },
  };
}

interface Bayes {
  addDocument(text: string, label: string): void;
  train(): void;
  getClassifications(text: string): { label: string; value: number }[];
}

function bayes(): Classifier {
  let classifier: Bayes | undefined;
  return {
    async train(rows) {
      // The classifier submodule, not the package root (which loads database drivers).
      const BayesClassifier = require('natural/lib/natural/classifiers/bayes_classifier') as new () => Bayes;
      classifier = new BayesClassifier();
      for (const [text, intent] of rows) classifier.addDocument(text, intent);
      classifier.train();
    },
    classify(text) {
      const all = (classifier as Bayes).getClassifications(text);
      let sum = 0;
      for (const c of all) sum += c.value;
      const best = all[0];
      // natural returns unnormalised scores; the posterior of the top class is the confidence.
      return best && sum > 0
        ? { intent: best.label, confidence: best.value / sum }
        : { intent: null, confidence: 0 };
    },
  };
}

// --- measurement (child process) -----------------------------------------------------------

interface Scored {
  gold: string | null;
  guess: Guess;
}

async function score(classifier: Classifier, rows: Rows, oos: boolean): Promise<Scored[]> {
  const out: Scored[] = [];
  for (const [text, label] of rows)
    out.push({ gold: oos ? null : label, guess: await classifier.classify(text) });
  return out;
}

function at(scored: readonly Scored[], threshold: number): PointResult {
  let inScope = 0;
  let correct = 0;
  let oos = 0;
  let oosRejected = 0;
  let rejected = 0;
  for (const { gold, guess } of scored) {
    const answered = guess.intent !== null && guess.confidence >= threshold;
    if (!answered) rejected++;
    if (gold === null) {
      oos++;
      if (!answered) oosRejected++;
    } else {
      inScope++;
      if (answered && guess.intent === gold) correct++;
    }
  }
  return {
    threshold,
    inScopeAccuracy: inScope ? correct / inScope : 0,
    oosRecall: oos ? oosRejected / oos : 0,
    oosPrecision: rejected ? oosRejected / rejected : 0,
  };
}

function balancedThreshold(val: readonly Scored[]): number {
  const candidates = [...new Set(val.map((s) => s.guess.confidence))].sort((a, b) => a - b);
  let best = { value: -1, threshold: 0 };
  for (const t of candidates) {
    const p = at(val, t);
    const value = (p.inScopeAccuracy + p.oosRecall) / 2;
    if (value > best.value) best = { value, threshold: t };
  }
  return best.threshold;
}

async function measure(system: System, dataFile: string): Promise<SystemResult> {
  const data = JSON.parse(await readFile(dataFile, 'utf8')) as Data;
  const classifier = system === 'switchboard' ? switchboard(data) : system === 'nlpjs' ? nlpjs() : bayes();
  const t0 = performance.now();
  await classifier.train(data.train);
  const trainSeconds = (performance.now() - t0) / 1000;
  const val = [
    ...(await score(classifier, data.val, false)),
    ...(await score(classifier, data.oos_val, true)),
  ];
  const t1 = performance.now();
  const test = [
    ...(await score(classifier, data.test, false)),
    ...(await score(classifier, data.oos_test, true)),
  ];
  const msPerUtterance = (performance.now() - t1) / test.length;
  const heldOut: HeldOutScore[] = val.map(({ gold, guess }) => ({
    margin: guess.intent === null ? Number.NEGATIVE_INFINITY : guess.confidence,
    correct: gold !== null && guess.intent === gold,
    inScope: gold !== null,
  }));
  const keep = calibrate(heldOut).marginThreshold;
  const inScopeTest = test.filter((s) => s.gold !== null);
  return {
    system,
    trainSeconds,
    msPerUtterance,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    top1: inScopeTest.filter((s) => s.guess.intent === s.gold).length / inScopeTest.length,
    keep98: at(test, keep),
    balanced: at(test, balancedThreshold(val)),
  };
}

function runChild(system: System, dataFile: string): Promise<SystemResult> {
  return new Promise((resolve, reject) => {
    // fork() reuses this file and the parent's execArgv, so it works from dist/ and from ts loaders.
    const child = fork(__filename, ['--child', system, dataFile], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: SystemResult | undefined;
    child.on('message', (m) => {
      result = m as SystemResult;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`${system}: child exited with ${code}`)),
    );
  });
}

// --- small-bot check (in process: each bot trains in well under a second) ------------------

export interface SmallBotResult {
  seed: number;
  threshold: number;
  top1: number;
  inScopeAccuracy: number;
  /** Rejected share of CLINC150's `oos_test`. */
  oosRecall: number;
  /** Rejected share of the other intents' test utterances. */
  otherRecall: number;
  /** Rejected share of both together. */
  allRecall: number;
  /**
   * Threshold-free separation: the probability that a right in-scope answer has a higher
   * confidence than an out-of-scope message (either kind).
   */
  auroc: number;
  trainSeconds: number;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [out[k], out[j]] = [out[j] as T, out[k] as T];
  }
  return out;
}

/** Mann-Whitney estimate of P(positive > negative), ties counting half. */
function auroc(positives: readonly number[], negatives: readonly number[]): number {
  const all = [...positives.map((v) => ({ v, p: 1 })), ...negatives.map((v) => ({ v, p: 0 }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && (all[j] as { v: number }).v === (all[i] as { v: number }).v) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if ((all[k] as { p: number }).p) rankSum += rank;
    i = j;
  }
  const n = positives.length;
  return (rankSum - (n * (n + 1)) / 2) / (n * negatives.length);
}

/** One small bot: `intents` random intents with `examples` random training utterances each. */
export async function smallBot(
  data: Data,
  seed: number,
  intents = 25,
  examples = 10,
  options: TrainOptions = {},
  /** How many `oos_train` utterances (drawn per seed; never `oos_test`) the bot gets as `out_of_scope:`. */
  negativeCount = 0,
): Promise<SmallBotResult> {
  const random = rng(1000 + seed);
  const labels = [...new Set(data.train.map(([, l]) => l))].sort();
  const chosen = new Set(shuffled(labels, random).slice(0, intents));
  const byIntent = new Map<string, string[]>();
  for (const [text, label] of data.train) {
    if (chosen.has(label)) byIntent.set(label, [...(byIntent.get(label) ?? []), text]);
  }
  const rows: { text: string; intent: string }[] = [];
  for (const label of [...chosen].sort()) {
    for (const text of shuffled(byIntent.get(label) ?? [], random).slice(0, examples))
      rows.push({ text, intent: label });
  }
  const outOfScope = shuffled(
    data.oos_train.map(([text]) => text),
    rng(5000 + seed),
  ).slice(0, negativeCount);
  const t0 = performance.now();
  const engine = await NluEngine.train(createIntentSet(rows, { outOfScope }), options);
  const trainSeconds = (performance.now() - t0) / 1000;
  const positives: number[] = [];
  const negatives: number[] = [];
  let inScope = 0;
  let correct = 0;
  let top = 0;
  let other = 0;
  let otherRejected = 0;
  for (const [text, label] of data.test) {
    const r = engine.classify(text);
    if (chosen.has(label)) {
      inScope++;
      if (r.intent === label) correct++;
      if (r.ranking[0]?.intent === label) {
        top++;
        positives.push(r.confidence);
      }
    } else {
      other++;
      negatives.push(r.confidence);
      if (r.intent === null) otherRejected++;
    }
  }
  let oosRejected = 0;
  for (const [text] of data.oos_test) {
    const r = engine.classify(text);
    negatives.push(r.confidence);
    if (r.intent === null) oosRejected++;
  }
  return {
    seed,
    threshold: engine.threshold,
    top1: top / inScope,
    inScopeAccuracy: correct / inScope,
    oosRecall: oosRejected / data.oos_test.length,
    otherRecall: otherRejected / other,
    allRecall: (oosRejected + otherRejected) / (data.oos_test.length + other),
    auroc: auroc(positives, negatives),
    trainSeconds,
  };
}

export async function smallBots(dataFile: string, seeds: number, negatives = 0): Promise<SmallBotResult[]> {
  const data = JSON.parse(await readFile(dataFile, 'utf8')) as Data;
  const out: SmallBotResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) out.push(await smallBot(data, seed, 25, 10, {}, negatives));
  return out;
}

function smallTable(results: readonly SmallBotResult[]): string {
  const head = [
    'seed',
    'threshold',
    'top-1 %',
    'in-scope %',
    'OOS recall: oos_test %',
    'other intents %',
    'both %',
    'AUROC',
    'train s',
  ];
  const row = (name: string, r: Omit<SmallBotResult, 'seed'>) => [
    name,
    r.threshold.toFixed(3),
    pct(r.top1),
    pct(r.inScopeAccuracy),
    pct(r.oosRecall),
    pct(r.otherRecall),
    pct(r.allRecall),
    r.auroc.toFixed(3),
    r.trainSeconds.toFixed(2),
  ];
  const mean = (key: keyof SmallBotResult) =>
    results.reduce((sum, r) => sum + (r[key] as number), 0) / results.length;
  const avg = {
    threshold: mean('threshold'),
    top1: mean('top1'),
    inScopeAccuracy: mean('inScopeAccuracy'),
    oosRecall: mean('oosRecall'),
    otherRecall: mean('otherRecall'),
    allRecall: mean('allRecall'),
    auroc: mean('auroc'),
    trainSeconds: mean('trainSeconds'),
  };
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...results.map((r) => line(row(String(r.seed), r))),
    line(row('**mean**', avg)),
  ].join('\n');
}

// --- report --------------------------------------------------------------------------------

const pct = (v: number) => `${(v * 100).toFixed(1)}`;

function table(results: readonly SystemResult[]): string {
  const head = [
    'system',
    'train s',
    'ms/utt',
    'peak RSS MB',
    'top-1 %',
    'keep-98%: thr.',
    'in-scope %',
    'OOS recall %',
    'OOS prec. %',
    'balanced: thr.',
    'in-scope %',
    'OOS recall %',
  ];
  const rows = results.map((r) => [
    LABELS[r.system],
    r.trainSeconds.toFixed(2),
    r.msPerUtterance.toFixed(4),
    r.peakRssMb.toFixed(0),
    pct(r.top1),
    r.keep98.threshold.toFixed(3),
    pct(r.keep98.inScopeAccuracy),
    pct(r.keep98.oosRecall),
    pct(r.keep98.oosPrecision),
    r.balanced.threshold.toFixed(3),
    pct(r.balanced.inScopeAccuracy),
    pct(r.balanced.oosRecall),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export async function run(argv: string[]): Promise<void> {
  let dataFile = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'clinc150', 'data_full.json');
  if (!dataFile.includes(`${path.sep}shared${path.sep}`) || !require('node:fs').existsSync(dataFile)) {
    dataFile = path.resolve(process.cwd(), '..', 'shared', 'data', 'clinc150', 'data_full.json');
  }
  let systems: System[] = [...SYSTEMS];
  let small = false;
  let smallOnly = false;
  let seeds = 10;
  let negatives = 30;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') dataFile = path.resolve(argv[++i] ?? '');
    else if (arg === '--small') small = true;
    else if (arg === '--small-only') smallOnly = true;
    else if (arg === '--seeds') seeds = Math.max(1, Number(argv[++i]) || 10);
    else if (arg === '--negatives') negatives = Math.max(0, Number(argv[++i]) || 0);
    else if (arg === '--systems')
      systems = (argv[++i] ?? '')
        .split(',')
        .filter((s): s is System => (SYSTEMS as readonly string[]).includes(s));
  }
  if (!smallOnly) {
    console.log(
      `NLU benchmark: ${dataFile}\nNode ${process.version}; train on train, operating point from val + oos_val, scored on test + oos_test.\n`,
    );
    const results: SystemResult[] = [];
    for (const system of systems) {
      process.stderr.write(`  ${system}…\n`);
      results.push(await runChild(system, dataFile)); // one at a time: they would compete for 2 cores
    }
    console.log(table(results));
  }
  if (small || smallOnly) {
    console.log(
      `\nSmall bots (Switchboard): 25 random intents × 10 training examples, threshold from 5-fold CV on them; ` +
        `OOS = oos_test and the other 125 intents' test utterances. ${seeds} seeds.\n`,
    );
    console.log(smallTable(await smallBots(dataFile, seeds)));
    if (negatives > 0) {
      console.log(
        `\nSame bots, each with ${negatives} random \`oos_train\` utterances as its \`out_of_scope:\` list ` +
          `(the negative class; never oos_test).\n`,
      );
      console.log(smallTable(await smallBots(dataFile, seeds, negatives)));
    }
  }
}

if (require.main === module && process.argv[2] === '--child') {
  const [, , , system, dataFile] = process.argv;
  measure(system as System, dataFile as string).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
