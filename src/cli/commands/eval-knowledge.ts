/**
 * `switchboard eval --knowledge [--dir DIR] [--questions FILE] [--json]`: the bot's knowledge
 * documents against a labelled question set (default `evals/knowledge.yml` in the bot folder).
 *
 * @module
 */
import path from 'node:path';
import { SourceFileError } from '../../errors';
import { reportProblems } from '../../flows/cli';
import { resolveBotDir } from '../bot-dir';
import { UsageError } from '../usage';
import {
  evaluateKnowledge,
  type KnowledgeEvalReport,
  loadKnowledge,
  readKnowledgeQuestions,
} from '../../knowledge';
import { loadIntents } from '../../nlu';

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
const spread = (t: KnowledgeEvalReport['cpuMs']) =>
  `p50 ${ms(t.p50)} · p95 ${ms(t.p95)} · p99 ${ms(t.p99)} · max ${ms(t.max)}`;

function table(r: KnowledgeEvalReport, file: string): string {
  const rows: [string, string][] = [
    ['questions', `${file}: ${r.answerable} answerable, ${r.unanswerable} unanswerable`],
    ['documents', `${r.documents} (${r.passages} passages)`],
    ['top-1 source accuracy', pct(r.sourceAccuracy)],
    ['answered from the right source', pct(r.answeredCorrectly)],
    ['answered from a wrong source', pct(r.answeredWrongly)],
    ['unanswerable rejected', pct(r.unanswerableRejected)],
    ['confidence threshold', r.minConfidence.toFixed(2)],
    ['time per answer (wall)', spread(r.latencyMs)],
    ['time per answer (CPU)', spread(r.cpuMs)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  if (r.misses.length) {
    lines.push('', 'misses (expected → answered from, confidence):');
    for (const m of r.misses) {
      lines.push(
        `  ${m.expected ?? '(unanswerable)'} → ${m.got ?? '(no answer)'}  ${m.confidence.toFixed(2)}  "${m.q}"`,
      );
    }
  }
  return lines.join('\n');
}

/** `options` as the CLI parsed them (see `switchboard eval --help`). */
export async function run(options: {
  dir?: string;
  questions?: string;
  json?: boolean;
  data?: string;
}): Promise<number> {
  if (options.data !== undefined) throw new UsageError('--data and --knowledge go separately');
  const dir = resolveBotDir(options.dir);
  const file = path.resolve(options.questions ?? path.join(dir, 'evals', 'knowledge.yml'));
  let report: KnowledgeEvalReport;
  try {
    let language = 'en';
    try {
      language = (await loadIntents(path.join(dir, 'intents'))).language;
    } catch {
      // No (valid) intents: documents without `language:` are taken as English.
    }
    const kb = await loadKnowledge(path.join(dir, 'knowledge'), { language });
    if (!kb) {
      console.error(`switchboard eval: no documents in ${path.join(dir, 'knowledge')}`);
      return 1;
    }
    report = evaluateKnowledge(kb, await readKnowledgeQuestions(file), { runs: 5 });
  } catch (error) {
    if (error instanceof SourceFileError) return reportProblems(error, dir);
    console.error(`switchboard eval: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    options.json
      ? JSON.stringify(report, null, 2)
      : table(report, path.relative(process.cwd(), file) || file),
  );
  return 0;
}
