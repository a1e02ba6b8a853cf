/**
 * Analytics query times on a generated history (bench/analytics/history.ts) of at least
 * 100,000 messages, on SQLite and on PostgreSQL, each figure set measured `--runs` times:
 * the whole range, one day, one channel, one team. The peer figure, from the same run and
 * the same database, is the conversation search operators already use
 * (`GET /api/v1/conversations`, newest 20). The budget is 200 ms per query. The review
 * inbox's query (its candidates and their grouping) is measured the same way.
 *
 * Usage: npm run bench -- analytics [--conversations 20000] [--runs 7]
 * PostgreSQL: SB_BENCH_DATABASE_URL (or SB_TEST_DATABASE_URL), in a schema of its own that is dropped after.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { computeAnalytics } from '../src/analytics/figures';
import { ReviewInbox } from '../src/review/service';
import type { AnalyticsFilter } from '../src/analytics/types';
import { openStore, type SqlStore, type Store } from '../src/store';
import { generateHistory } from './analytics/history';
import { median, percentile, table } from './load';

const DAY = 86_400_000;
const BUDGET_MS = 200;
const START = Date.parse('2026-10-01T00:00:00Z');
const SPAN = 30 * DAY;

/** The queries measured, by name. */
export type Measured = Record<string, () => Promise<unknown>>;

async function time(fn: () => Promise<unknown>, runs: number): Promise<{ median: number; max: number }> {
  await fn(); // warm: statement caches, pages
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: median(times), max: percentile(times, 100) };
}

function analyticsQueries(store: Store): Measured {
  const db = (store as SqlStore).driver;
  const run = (filter: Partial<AnalyticsFilter>) => () =>
    computeAnalytics(db, { from: START, to: START + SPAN, ...filter });
  return {
    'analytics: 30 days': run({}),
    'analytics: one day': run({ from: START + 10 * DAY, to: START + 11 * DAY }),
    'analytics: channel=web': run({ channel: 'web' }),
    'analytics: team=billing': run({ team: 'billing' }),
    'review inbox: 30 days': () => new ReviewInbox(db).groups({ from: START, to: START + SPAN }),
  };
}

async function measure(label: string, store: Store, conversations: number, runs: number) {
  const t0 = performance.now();
  const db = (store as SqlStore).driver;
  await generateHistory(db, { conversations, start: START, spanMs: SPAN, seed: 1 });
  // PostgreSQL plans from statistics: analysed once written, as autovacuum would soon do.
  if (db.dialect === 'postgres') await db.exec('ANALYZE');
  const generatedIn = performance.now() - t0;
  const [counted] = await (store as SqlStore).driver.all('SELECT COUNT(*) AS n FROM messages');
  const messages = Number(counted?.n);
  console.log(
    `${label}: ${conversations} conversations, ${messages} messages (written in ${(generatedIn / 1000).toFixed(1)} s)`,
  );
  const peer = await time(() => store.conversations.search({ limit: 20 }), runs);
  const rows: (string | number)[][] = [];
  let worst = 0;
  const queries = analyticsQueries(store);
  for (const [name, fn] of Object.entries(queries)) {
    const t = await time(fn, runs);
    worst = Math.max(worst, t.max);
    rows.push([
      name,
      t.median.toFixed(1),
      t.max.toFixed(1),
      `${(t.median / peer.median).toFixed(1)}×`,
      t.max < BUDGET_MS ? 'yes' : 'NO',
    ]);
  }
  rows.push(['peer: search, newest 20', peer.median.toFixed(1), peer.max.toFixed(1), '1.0×', '']);
  console.log(table(['query', 'median ms', 'max ms', 'vs search', `< ${BUDGET_MS} ms`], rows));
  console.log('');
  return { messages, worst };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { conversations: { type: 'string', default: '20000' }, runs: { type: 'string', default: '7' } },
  });
  const conversations = Number(values.conversations);
  const runs = Number(values.runs);
  const results: { label: string; messages: number; worst: number }[] = [];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-analytics-'));
  const sqlite = await openStore({ dataDir: dir });
  try {
    results.push({ label: 'SQLite', ...(await measure('SQLite', sqlite, conversations, runs)) });
  } finally {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const url = process.env.SB_BENCH_DATABASE_URL ?? process.env.SB_TEST_DATABASE_URL;
  if (!url) console.log('PostgreSQL: skipped (set SB_BENCH_DATABASE_URL)');
  else {
    const schema = `sb_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const scoped = new URL(url);
    scoped.searchParams.set('options', `-c search_path=${schema}`);
    const postgres = await openStore({ databaseUrl: scoped.toString() });
    try {
      results.push({ label: 'PostgreSQL', ...(await measure('PostgreSQL', postgres, conversations, runs)) });
    } finally {
      await postgres.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  }
  for (const r of results)
    console.log(
      `${r.label}: ${r.messages} messages; slowest query ${r.worst.toFixed(1)} ms = ${(r.worst / BUDGET_MS).toFixed(2)}× the ${BUDGET_MS} ms budget`,
    );
}
