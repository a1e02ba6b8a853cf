/**
 * `switchboard eval --knowledge`: a labelled question set against the bot's documents.
 * Source accuracy (top-1 document), how many answerable questions are answered from the right
 * document above the confidence, how many unanswerable ones are rejected, and the time to an
 * answer (retrieval and the passage answer, without a language model).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { type KnowledgeAnswer, passageAnswer } from './answer';
import type { KnowledgeBase, KnowledgeHit } from './search';

export interface KnowledgeQuestions {
  answerable: { q: string; source: string }[];
  unanswerable: string[];
}

export interface KnowledgeEvalReport {
  documents: number;
  passages: number;
  answerable: number;
  unanswerable: number;
  /** Answerable questions whose best passage is from the labelled document (no threshold). */
  sourceAccuracy: number;
  /** Answerable questions answered (above the confidence) from the labelled document. */
  answeredCorrectly: number;
  /** Answerable questions answered from another document. */
  answeredWrongly: number;
  /** Unanswerable questions not answered. */
  unanswerableRejected: number;
  minConfidence: number;
  /** Wall-clock time per answer (includes waiting for the CPU on a busy machine). */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** CPU time per answer (this process's own work: what a quiet machine's wall clock shows). */
  cpuMs: { p50: number; p95: number; p99: number; max: number };
  /** What went wrong, for authors: questions answered wrongly or not at all, unanswerable ones answered. */
  misses: { q: string; expected: string | null; got: string | null; confidence: number }[];
}

/** Reads a question set (YAML: `answerable: [{ q, source }]`, `unanswerable: [text]`). */
export async function readKnowledgeQuestions(file: string): Promise<KnowledgeQuestions> {
  const data = parse(await readFile(file, 'utf8')) as Partial<KnowledgeQuestions> | null;
  const answerable = Array.isArray(data?.answerable) ? data.answerable : [];
  const unanswerable = Array.isArray(data?.unanswerable) ? data.unanswerable : [];
  for (const a of answerable) {
    if (typeof a?.q !== 'string' || typeof a.source !== 'string') {
      throw new Error(
        `${file}: each answerable question needs \`q\` and \`source\` (got ${JSON.stringify(a)})`,
      );
    }
  }
  if (!unanswerable.every((u) => typeof u === 'string')) {
    throw new Error(`${file}: \`unanswerable\` is a list of questions (texts)`);
  }
  if (answerable.length + unanswerable.length === 0) {
    throw new Error(`${file}: no questions (expected \`answerable:\` and/or \`unanswerable:\`)`);
  }
  return { answerable, unanswerable };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Runs every question through retrieval and the passage answer, as the bot does. */
export function evaluateKnowledge(
  kb: KnowledgeBase,
  questions: KnowledgeQuestions,
  /** Times each question is timed (the answers are the same every time). */
  options: { runs?: number } = {},
): KnowledgeEvalReport {
  const runs = Math.max(1, options.runs ?? 1);
  for (const a of questions.answerable) {
    if (!kb.document(a.source)) throw new Error(`unknown source document '${a.source}' (question "${a.q}")`);
  }
  const times: number[] = [];
  const cpu: number[] = [];
  const misses: KnowledgeEvalReport['misses'] = [];
  const ask = (q: string) => {
    let outcome: { top: KnowledgeHit | undefined; answered: KnowledgeAnswer | null } | undefined;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const result = kb.search(q, { channel: 'web' });
      const top = result.hits[0];
      const answered =
        top && top.confidence >= kb.minConfidence
          ? passageAnswer(top, (t) => kb.termsOf(top.document.language, t))
          : null;
      times.push(performance.now() - started);
      const used = process.cpuUsage(cpuStarted);
      cpu.push((used.user + used.system) / 1000);
      outcome = { top, answered };
    }
    return outcome as { top: KnowledgeHit | undefined; answered: KnowledgeAnswer | null };
  };
  // Warm-up: the first searches compile the code paths; a bot has long done so.
  for (const a of questions.answerable.slice(0, 5)) kb.search(a.q);
  let sourceRight = 0;
  let answeredRight = 0;
  let answeredWrong = 0;
  for (const a of questions.answerable) {
    const { top, answered } = ask(a.q);
    const got = top?.document.id ?? null;
    if (got === a.source) sourceRight++;
    if (answered && got === a.source) answeredRight++;
    else {
      if (answered) answeredWrong++;
      misses.push({
        q: a.q,
        expected: a.source,
        got: answered ? got : null,
        confidence: top?.confidence ?? 0,
      });
    }
  }
  let rejected = 0;
  for (const q of questions.unanswerable) {
    const { top, answered } = ask(q);
    if (!answered) rejected++;
    else misses.push({ q, expected: null, got: top?.document.id ?? null, confidence: top?.confidence ?? 0 });
  }
  const spread = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? 0,
    };
  };
  const share = (n: number, of: number) => (of ? n / of : 0);
  return {
    documents: kb.size,
    passages: kb.documents.reduce((n, d) => n + d.passages.length, 0),
    answerable: questions.answerable.length,
    unanswerable: questions.unanswerable.length,
    sourceAccuracy: share(sourceRight, questions.answerable.length),
    answeredCorrectly: share(answeredRight, questions.answerable.length),
    answeredWrongly: share(answeredWrong, questions.answerable.length),
    unanswerableRejected: share(rejected, questions.unanswerable.length),
    minConfidence: kb.minConfidence,
    latencyMs: spread(times),
    cpuMs: spread(cpu),
    misses,
  };
}
