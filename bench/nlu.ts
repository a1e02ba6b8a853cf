/**
 * `npm run bench -- nlu [--data FILE] [--systems switchboard,nlpjs,bayes] [--small | --small-only] [--seeds N] [--per-seed] [--negatives N]`
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
 * `--small` adds (and `--small-only` runs only) the small-bot check: bots of the `SHAPES` (K CLINC150
 * intents from one or several domains × 10 training examples), `--seeds N` (default 5) per shape,
 * each calibrated exactly as a real bot is (5-fold cross-validation on its own examples, no val).
 * Out of scope = `oos_test` + the test utterances of the domains the bot does not cover; reported:
 * in-scope accuracy, OOS recall, confident-wrong rate (a wrong intent answered, over all test
 * messages) and AUROC, per shape and averaged (`--per-seed` for every bot), then the older
 * near-domain check (25 random intents, the other 125 out of scope). `--negatives N` gives each bot
 * N random `oos_train` utterances as its `out_of_scope:` list (never `oos_test`). Nothing in the
 * engine is tuned on it. `SB_BACKGROUND=0`, `SB_BACKGROUND_SIMILARITY`, `SB_NEGATIVE_HARD=0`,
 * `SB_NEGATIVE_LEAD` and `SB_OOV_PENALTY` change the engine's settings for measurements.
 *
 * In the CLINC150 table Switchboard trains `oos_train` as its negative class (the issue allows
 * "+ oos_train if the model uses it"); `SB_NO_NEGATIVES=1` measures it without.
 */
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { calibrate, type HeldOutScore } from '../src/nlu/calibrate';
import { BACKGROUND, NEGATIVE_CLASS, NluEngine, OOV_PENALTY, type TrainOptions } from '../src/nlu/engine';
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

// Measurement switches for the engine's settings (README.md), read by the parent and the children.
if (process.env.SB_BACKGROUND === '0') BACKGROUND.enabled = false;
if (process.env.SB_BACKGROUND_SIMILARITY)
  BACKGROUND.maxSimilarity = Number(process.env.SB_BACKGROUND_SIMILARITY);
if (process.env.SB_NEGATIVE_HARD === '0') NEGATIVE_CLASS.hard = false;
if (process.env.SB_NEGATIVE_LEAD) NEGATIVE_CLASS.lead = Number(process.env.SB_NEGATIVE_LEAD);
if (process.env.SB_OOV_PENALTY) OOV_PENALTY.value = Number(process.env.SB_OOV_PENALTY);

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

/** A small-bot shape: `domains` random CLINC150 domains, `perDomain` random intents of each. */
export interface Shape {
  name: string;
  domains: number;
  perDomain: number;
}

/**
 * The shapes of `--small`. Out of scope for a bot is `oos_test` plus every test utterance of the
 * domains it does not cover; the other intents of its own domains are neither (a bot about
 * banking would be asked about them, but whether it should answer is the author's call).
 */
export const SHAPES: readonly Shape[] = [
  { name: '1 domain × 15 intents', domains: 1, perDomain: 15 },
  { name: '1 domain × 8 intents', domains: 1, perDomain: 8 },
  { name: '3 domains × 5 intents', domains: 3, perDomain: 5 },
  { name: '5 domains × 5 intents', domains: 5, perDomain: 5 },
];

export interface SmallBotResult {
  seed: number;
  threshold: number;
  top1: number;
  inScopeAccuracy: number;
  /** Rejected share of CLINC150's `oos_test`. */
  oosRecall: number;
  /** Rejected share of the other domains' test utterances. */
  otherRecall: number;
  /** Rejected share of both together. */
  allRecall: number;
  /**
   * Answered with an intent that is not the right one (in-scope messages given another intent
   * and out-of-scope messages given any), over all test messages of the bot.
   */
  confidentWrong: number;
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

/**
 * One small bot of `shape` with `examples` random training utterances per intent, calibrated as a
 * real bot is (no val). With `shape: null` it is the older near-domain check: 25 random intents,
 * out of scope = `oos_test` and the test utterances of the other 125 intents.
 */
export async function smallBot(
  data: Data,
  domains: Record<string, string[]>,
  shape: Shape | null,
  seed: number,
  examples = 10,
  options: TrainOptions = {},
  /** How many `oos_train` utterances (drawn per seed; never `oos_test`) the bot gets as `out_of_scope:`. */
  negativeCount = 0,
): Promise<SmallBotResult> {
  const random = rng(1000 + seed);
  const chosen = new Set<string>();
  /** Intents that are neither in scope nor out of scope for this bot. */
  const skipped = new Set<string>();
  if (shape) {
    const names = Object.keys(domains).sort();
    for (const domain of shuffled(names, random).slice(0, shape.domains)) {
      const intents = shuffled([...(domains[domain] ?? [])].sort(), random);
      for (const i of intents.slice(0, shape.perDomain)) chosen.add(i);
      for (const i of intents.slice(shape.perDomain)) skipped.add(i);
    }
  } else {
    const labels = [...new Set(data.train.map(([, l]) => l))].sort();
    for (const label of shuffled(labels, random).slice(0, 25)) chosen.add(label);
  }
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
  let wrong = 0;
  let top = 0;
  let other = 0;
  let otherRejected = 0;
  for (const [text, label] of data.test) {
    if (skipped.has(label)) continue;
    const r = engine.classify(text);
    if (chosen.has(label)) {
      inScope++;
      if (r.intent === label) correct++;
      else if (r.intent !== null) wrong++;
      if (r.ranking[0]?.intent === label) {
        top++;
        positives.push(r.confidence);
      }
    } else {
      other++;
      negatives.push(r.confidence);
      if (r.intent === null) otherRejected++;
      else wrong++;
    }
  }
  let oosRejected = 0;
  for (const [text] of data.oos_test) {
    const r = engine.classify(text);
    negatives.push(r.confidence);
    if (r.intent === null) oosRejected++;
    else wrong++;
  }
  const oos = data.oos_test.length + other;
  return {
    seed,
    threshold: engine.threshold,
    top1: top / inScope,
    inScopeAccuracy: correct / inScope,
    oosRecall: oosRejected / data.oos_test.length,
    otherRecall: otherRejected / other,
    allRecall: (oosRejected + otherRejected) / oos,
    confidentWrong: wrong / (inScope + oos),
    auroc: auroc(positives, negatives),
    trainSeconds,
  };
}

export async function smallBots(
  dataFile: string,
  shape: Shape | null,
  seeds: number,
  negatives = 0,
): Promise<SmallBotResult[]> {
  const data = JSON.parse(await readFile(dataFile, 'utf8')) as Data;
  const domains = JSON.parse(
    await readFile(path.join(path.dirname(dataFile), 'domains.json'), 'utf8'),
  ) as Record<string, string[]>;
  const out: SmallBotResult[] = [];
  for (let seed = 1; seed <= seeds; seed++)
    out.push(await smallBot(data, domains, shape, seed, 10, {}, negatives));
  return out;
}

type SmallSummary = Omit<SmallBotResult, 'seed'>;

function meanOf(results: readonly SmallSummary[]): SmallSummary {
  const mean = (key: keyof SmallSummary) =>
    results.reduce((sum, r) => sum + (r[key] as number), 0) / results.length;
  return {
    threshold: mean('threshold'),
    top1: mean('top1'),
    inScopeAccuracy: mean('inScopeAccuracy'),
    oosRecall: mean('oosRecall'),
    otherRecall: mean('otherRecall'),
    allRecall: mean('allRecall'),
    confidentWrong: mean('confidentWrong'),
    auroc: mean('auroc'),
    trainSeconds: mean('trainSeconds'),
  };
}

function smallTable(rows: readonly [string, SmallSummary][], otherLabel: string): string {
  const head = [
    'bot',
    'threshold',
    'top-1 %',
    'in-scope %',
    'OOS recall: oos_test %',
    `${otherLabel} %`,
    'both %',
    'confident-wrong %',
    'AUROC',
    'train s',
  ];
  const row = (name: string, r: SmallSummary) => [
    name,
    r.threshold.toFixed(3),
    pct(r.top1),
    pct(r.inScopeAccuracy),
    pct(r.oosRecall),
    pct(r.otherRecall),
    pct(r.allRecall),
    pct(r.confidentWrong),
    r.auroc.toFixed(3),
    r.trainSeconds.toFixed(2),
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(([name, r]) => line(row(name, r)))].join('\n');
}

async function smallReport(dataFile: string, seeds: number, negatives: number, perSeed: boolean) {
  const means: [string, SmallSummary][] = [];
  const everything: SmallBotResult[] = [];
  for (const shape of SHAPES) {
    const results = await smallBots(dataFile, shape, seeds, negatives);
    everything.push(...results);
    means.push([shape.name, meanOf(results)]);
    if (perSeed) {
      console.log(`\n${shape.name}\n`);
      console.log(
        smallTable(
          results.map((r) => [`seed ${r.seed}`, r]),
          'other domains',
        ),
      );
    }
  }
  means.push(['**mean of all bots**', meanOf(everything)]);
  console.log(`\nMeans over ${seeds} seeds per shape:\n`);
  console.log(smallTable(means, 'other domains'));
  const near = await smallBots(dataFile, null, seeds, negatives);
  console.log(
    `\nNear-domain check (the older --small): 25 random intents, OOS = oos_test and the other 125 intents' test utterances.\n`,
  );
  console.log(
    smallTable(
      [...near.map((r): [string, SmallSummary] => [`seed ${r.seed}`, r]), ['**mean**', meanOf(near)]],
      'other intents',
    ),
  );
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
  let seeds = 5;
  let negatives = 0;
  let perSeed = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--data') dataFile = path.resolve(argv[++i] ?? '');
    else if (arg === '--small') small = true;
    else if (arg === '--small-only') smallOnly = true;
    else if (arg === '--seeds') seeds = Math.max(1, Number(argv[++i]) || 5);
    else if (arg === '--per-seed') perSeed = true;
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
      `\nSmall bots (Switchboard): per shape, ${seeds} seeds; 10 training examples per intent, threshold from ` +
        `5-fold CV on them (no val); OOS = oos_test and the test utterances of the domains the bot does not cover` +
        (negatives > 0
          ? `; ${negatives} random oos_train utterances as each bot's out_of_scope: list.`
          : '.'),
    );
    await smallReport(dataFile, seeds, negatives, perSeed);
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
