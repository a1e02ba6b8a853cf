/**
 * `npm run bench -- knowledge [--dir DIR] [--runs N]`
 *
 * The bot's knowledge documents (default: the sample shop's knowledge/ and evals/knowledge.yml)
 * answered three ways in one run, on the same questions and machine:
 * - **Switchboard**: MiniSearch on the NLU's terms (stopwords, stems, typo correction) with the
 *   IDF-coverage confidence, plus the passage answer (what the bot sends);
 * - **MiniSearch defaults**: the same library, passages and fields, its own tokenizer, no
 *   stemming, BM25 score only;
 * - **natural TfIdf**: natural's tf-idf over whole documents (its tokenizer and stopwords).
 * The peers have no calibrated confidence, so only Switchboard rejects; their rejection column
 * is "—". Time is per question (wall clock and CPU), N runs of every question.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import MiniSearch from 'minisearch';
import TfIdf from 'natural/lib/natural/tfidf/tfidf';
import {
  evaluateKnowledge,
  type KnowledgeQuestions,
  loadKnowledge,
  readKnowledgeQuestions,
} from '../src/knowledge';

interface Row {
  system: string;
  buildMs: number;
  sourceAccuracy: number;
  rejected: number | null;
  p50: number;
  p99: number;
  cpuP99: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Times `answer` on every answerable question, `runs` times; the first run's answers are scored. */
function measure(questions: KnowledgeQuestions, runs: number, answer: (q: string) => string | undefined) {
  const wall: number[] = [];
  const cpu: number[] = [];
  let right = 0;
  for (let run = 0; run < runs; run++) {
    for (const { q, source } of questions.answerable) {
      const started = performance.now();
      const used = process.cpuUsage();
      const got = answer(q);
      const spent = process.cpuUsage(used);
      wall.push(performance.now() - started);
      cpu.push((spent.user + spent.system) / 1000);
      if (run === 0 && got === source) right++;
    }
  }
  return {
    sourceAccuracy: right / questions.answerable.length,
    p50: percentile(wall, 50),
    p99: percentile(wall, 99),
    cpuP99: percentile(cpu, 99),
  };
}

export async function run(argv: string[]): Promise<void> {
  const dirIndex = argv.indexOf('--dir');
  const dir = path.resolve(dirIndex >= 0 ? (argv[dirIndex + 1] as string) : path.join(__dirname, '../..'));
  const runsIndex = argv.indexOf('--runs');
  const runs = runsIndex >= 0 ? Number(argv[runsIndex + 1]) : 5;
  const questions = await readKnowledgeQuestions(path.join(dir, 'evals', 'knowledge.yml'));
  const rows: Row[] = [];

  let started = performance.now();
  const kb = await loadKnowledge(path.join(dir, 'knowledge'));
  if (!kb) throw new Error(`no documents in ${dir}/knowledge`);
  const buildMs = performance.now() - started;
  const ours = evaluateKnowledge(kb, questions, { runs });
  rows.push({
    system: 'Switchboard (MiniSearch + NLU terms + confidence)',
    buildMs,
    sourceAccuracy: ours.sourceAccuracy,
    rejected: ours.unanswerableRejected,
    p50: ours.latencyMs.p50,
    p99: ours.latencyMs.p99,
    cpuP99: ours.cpuMs.p99,
  });

  started = performance.now();
  const plain = new MiniSearch<{ id: string; title: string; heading: string; text: string; doc: string }>({
    fields: ['title', 'heading', 'text'],
    storeFields: ['doc'],
  });
  plain.addAll(
    kb.documents.flatMap((d) =>
      d.passages.map((p) => ({ id: p.id, title: d.title, heading: p.heading, text: p.text, doc: d.id })),
    ),
  );
  const plainBuild = performance.now() - started;
  rows.push({
    system: 'MiniSearch 7 defaults (BM25, no stemming)',
    buildMs: plainBuild,
    rejected: null,
    ...measure(questions, runs, (q) => plain.search(q)[0]?.doc as string | undefined),
  });

  started = performance.now();
  const tfidf = new TfIdf();
  for (const d of kb.documents)
    tfidf.addDocument(`${d.title}\n${d.passages.map((p) => `${p.heading}\n${p.text}`).join('\n')}`);
  const tfidfBuild = performance.now() - started;
  rows.push({
    system: 'natural 8 TfIdf (whole documents)',
    buildMs: tfidfBuild,
    rejected: null,
    ...measure(questions, runs, (q) => {
      let best = -1;
      let bestScore = 0;
      tfidf.tfidfs(q, (i, measure) => {
        if (measure > bestScore) {
          bestScore = measure;
          best = i;
        }
      });
      return best >= 0 ? kb.documents[best]?.id : undefined;
    }),
  });

  const base = rows[0] as Row;
  console.log(
    `${kb.size} documents (${ours.passages} passages), ${questions.answerable.length} answerable and ${questions.unanswerable.length} unanswerable questions, ${runs} runs each; load average ${(await import('node:os')).loadavg()[0]?.toFixed(1)}\n`,
  );
  const header = [
    'system',
    'build ms',
    'top-1 source %',
    'rejected %',
    'p50 ms',
    'p99 ms',
    'CPU p99 ms',
    'accuracy × ours',
    'p50 × ours',
  ];
  const table = rows.map((r) => [
    r.system,
    r.buildMs.toFixed(1),
    (r.sourceAccuracy * 100).toFixed(1),
    r.rejected === null ? '—' : (r.rejected * 100).toFixed(1),
    r.p50.toFixed(3),
    r.p99.toFixed(3),
    r.cpuP99.toFixed(3),
    (r.sourceAccuracy / base.sourceAccuracy).toFixed(2),
    (r.p50 / base.p50).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log(
    `\nSwitchboard: answered from the right source ${(ours.answeredCorrectly * 100).toFixed(1)} %, from a wrong one ${(ours.answeredWrongly * 100).toFixed(1)} % (confidence ≥ ${ours.minConfidence}).`,
  );
}
