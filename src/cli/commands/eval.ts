/**
 * `switchboard eval --data FILE [--json] [--retention R]`: trains the NLU on a labelled data
 * set in the CLINC150 format, picks the operating point on its validation split and reports
 * test metrics.
 *
 * @module
 */
import { evaluateDataset, readDataset, type EvalReport } from '../../nlu/evaluate';
import { UsageError } from '../usage';

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

/** Options as the CLI parsed them (`--retention` checked there); `--knowledge` hands over to eval-knowledge. */
export async function run(options: {
  data?: string;
  json?: boolean;
  retention?: number;
  knowledge?: boolean;
  dir?: string;
  questions?: string;
}): Promise<number> {
  if (options.knowledge)
    return (require('./eval-knowledge') as typeof import('./eval-knowledge')).run(options);
  const { data: file, json, retention } = options;
  if (!file) throw new UsageError('--data FILE is required (or --knowledge for knowledge answers)');
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
