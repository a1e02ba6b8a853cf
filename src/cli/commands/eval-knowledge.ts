/**
 * `switchboard eval --knowledge [--dir DIR] [--questions FILE] [--json]`: the bot's knowledge
 * documents against a labelled question set (default `evals/knowledge.yml` in the bot folder).
 *
 * @module
 */
import path from 'node:path';
import { SourceFileError } from '../../errors';
import { botDirFrom, option, reportProblems } from '../../flows/cli';
import {
  evaluateKnowledge,
  type KnowledgeEvalReport,
  loadKnowledge,
  readKnowledgeQuestions,
} from '../../knowledge';
import { loadIntents } from '../../nlu';

const USAGE = `Usage: switchboard eval --knowledge [--dir DIR] [--questions FILE] [--json]

Runs the questions of FILE (default DIR/evals/knowledge.yml) against DIR/knowledge/ as the bot
answers them, without a language model. FILE is YAML:

  answerable:                # questions and the document that answers them
    - { q: "how long do refunds take", source: refunds }   # source: file name under knowledge/, no extension
  unanswerable:              # on-topic questions no document answers: the bot must not answer them
    - do you ship to australia

Reports top-1 source accuracy, answers given from the right / a wrong document above the
confidence, unanswerable questions rejected, and the time per answer (5 runs of each question).

  --json     one JSON object (rates are fractions 0–1), with every miss`;

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

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const known = new Set(['--knowledge', '--json', '--dir', '--questions']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!known.has(arg)) {
      console.error(`switchboard eval: unknown option "${arg}"\n\n${USAGE}`);
      return 2;
    }
    if (arg === '--dir' || arg === '--questions') i++;
  }
  const dir = botDirFrom(argv);
  const file = path.resolve(option(argv, '--questions') ?? path.join(dir, 'evals', 'knowledge.yml'));
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
    if (error instanceof SourceFileError) return reportProblems(error);
    console.error(`switchboard eval: ${(error as Error).message}`);
    return 1;
  }
  console.log(
    argv.includes('--json')
      ? JSON.stringify(report, null, 2)
      : table(report, path.relative(process.cwd(), file) || file),
  );
  return 0;
}
