/**
 * The sample shop bot (intents/, flows/, test/conversations/ at the repo root): it validates clean and
 * every conversation test in test/conversations/*.yml passes, run through the same API as `switchboard test`.
 */
import path from 'node:path';
import { loadBot } from '../../src/flows';
import {
  formatResults,
  loadConversationTests,
  runConversationTests,
  type TestResult,
  testFilesIn,
} from '../../src/flows/testing';
import { tempDir } from '../helpers/bot';
import { channels } from '../../adapters';

const root = path.resolve(__dirname, '../..');
const tests = loadConversationTests(testFilesIn(root), channels);
let results: Map<string, TestResult>;

beforeAll(async () => {
  const run = await runConversationTests(root, tests, {
    channels,
    cacheDir: tempDir('sb-nlu-'),
  });
  results = new Map(run.map((r) => [`${r.test.file}|${r.test.name}`, r]));
}, 120_000);

test('the sample bot validates clean, with at least 25 intents', async () => {
  const bot = await loadBot(root, { train: false });
  expect(bot.intents?.intents.length).toBeGreaterThanOrEqual(25);
  expect([...bot.flows.flows.keys()].sort()).toEqual([
    'change_address',
    'complaint',
    'order_status',
    'product_info',
    'returns',
    'talk_to_person',
  ]);
});

test('a relative bot folder works too (the CLI passes the current folder)', async () => {
  const bot = await loadBot(path.relative(process.cwd(), root) || '.', { train: false });
  expect(Object.keys(bot.actions).sort()).toEqual([
    'change_address',
    'create_return',
    'lookup_order',
    'lookup_product',
  ]);
});

test('there are conversation tests for every flow', async () => {
  const bot = await loadBot(root, { train: false });
  const started = new Set(tests.flatMap((t) => t.turns.map((turn) => turn.flow).filter(Boolean)));
  const intents = new Set(tests.flatMap((t) => t.turns.map((turn) => turn.intent)));
  for (const flow of bot.flows.flows.values()) {
    expect(flow.triggers.some((i) => intents.has(i)) || started.has(flow.id)).toBe(true);
  }
});

describe.each(testFilesIn(root).map((f) => [path.basename(f), f]))('%s', (_name, file) => {
  const inFile = tests.filter((t) => t.file === file);
  test.each(inFile.filter((t) => !t.awaits).map((t) => [t.name, t] as const))('%s', (_n, t) => {
    const result = results.get(`${t.file}|${t.name}`);
    if (!result?.passed) throw new Error(result ? formatResults([result], root) : 'not run');
  });
  // Tests marked `awaits:` describe behaviour another change brings (the NLU's out-of-scope
  // detection): they must fail until it lands, and this reports when one passes (unmark it).
  const awaited = inFile.filter((t) => t.awaits).map((t) => [t.name, t] as const);
  if (awaited.length)
    test.failing.each(awaited)('%s (awaits a change; fails until then)', (_n, t) => {
      const result = results.get(`${t.file}|${t.name}`);
      if (!result?.passed) throw new Error(result ? formatResults([result], root) : 'not run');
    });
});
