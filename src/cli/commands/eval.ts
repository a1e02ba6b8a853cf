/**
 * `switchboard eval --data FILE [--json] [--retention R]`: trains the NLU on a labelled data
 * set in the CLINC150 format, picks the operating point on its validation split and reports
 * test metrics.
 *
 * @module
 */
import { evaluateDataset, readDataset, type EvalReport } from '../../nlu/evaluate';

const USAGE = `Usage: switchboard eval --data FILE [--json] [--retention R]
       switchboard eval --knowledge [--dir DIR] [--questions FILE] [--json]   (see --knowledge --help)

FILE is one JSON object with "train", "test" and optionally "val", "oos_train", "oos_val",
"oos_test", each an array of [utterance, label] pairs; the out-of-scope label is "oos".
Trains on train, picks the confidence threshold on val (+ oos_val), reports on test (+ oos_test).

  --json          print one JSON object (rates are fractions 0–1)
  --retention R   share of correct validation answers the threshold keeps (default 0.98)`;

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

function table(report: EvalReport, file: string): string {
  const rows: [string, string][] = [
    ['data', `${file} (${report.intents} intents, ${report.trainExamples} training examples)`],
    ['in-scope accuracy', pct(report.inScopeAccuracy)],
    ['top-1 accuracy (no threshold)', pct(report.top1Accuracy)],
  ];
  if (report.outOfScope > 0) {
    rows.push(
      ['out-of-scope recall', pct(report.oosRecall)],
      ['out-of-scope precision', pct(report.oosPrecision)],
    );
  }
  rows.push(
    ['macro F1', report.macroF1.toFixed(3)],
    ['threshold', `${report.threshold.toFixed(3)} (chosen on ${report.calibratedOn})`],
    ['training', `${report.trainSeconds.toFixed(2)} s`],
    ['per utterance', `${report.msPerUtterance.toFixed(4)} ms`],
    ['test utterances', `${report.inScope} in scope, ${report.outOfScope} out of scope`],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--knowledge'))
    return (require('./eval-knowledge') as typeof import('./eval-knowledge')).run(argv);
  let file: string | undefined;
  let json = false;
  let retention: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (arg === '--json') json = true;
    else if (arg === '--data') file = argv[++i];
    else if (arg.startsWith('--data=')) file = arg.slice('--data='.length);
    else if (arg === '--retention' || arg.startsWith('--retention=')) {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      retention = Number(raw);
      if (!(retention > 0 && retention <= 1)) {
        console.error(`switchboard eval: --retention must be a number in (0, 1], got "${raw}"\n\n${USAGE}`);
        return 2;
      }
    } else {
      console.error(`switchboard eval: unknown option "${arg}"\n\n${USAGE}`);
      return 2;
    }
  }
  if (!file) {
    console.error(`switchboard eval: --data FILE is required\n\n${USAGE}`);
    return 2;
  }
  let report: EvalReport;
  try {
    report = await evaluateDataset(await readDataset(file), retention ? { retention } : {});
  } catch (error) {
    console.error(`switchboard eval: ${(error as Error).message}`);
    return 1;
  }
  if (json) {
    const { oosRecall, oosPrecision, outOfScope, ...rest } = report;
    // "A file without OOS keys reports accuracy only": drop the OOS rates rather than print nulls.
    console.log(
      JSON.stringify(
        outOfScope > 0 ? { ...rest, oosRecall, oosPrecision, outOfScope } : { ...rest, outOfScope },
        null,
        2,
      ),
    );
  } else {
    console.log(table(report, file));
  }
  return 0;
}
