/** `switchboard init DIR` scaffolds a bot that validates, passes its tests and starts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { loadConversationTests, runConversationTests, testFilesIn } from '../../src/flows/testing';
import { startTestBot, tempDir } from '../helpers/bot';
import { channels } from '../../adapters';

test('a new bot validates, passes its conversation tests and starts', async () => {
  const dir = path.join(tempDir('sb-init-'), 'my-bot');
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await cli(['init', dir])).toBe(0);
    // Next steps install Switchboard before any `npx switchboard` (which would otherwise fetch
    // whatever the registry has under that name).
    const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
    expect(printed).toMatch(/npm install .*\n.*npm test/);
    expect(await cli(['validate', '--dir', dir])).toBe(0);
    expect(await cli(['init', dir], { out: () => {}, err: () => {} })).toBe(2); // not over an existing bot
  } finally {
    log.mockRestore();
  }
  // A package.json, so `npm test` / `npx switchboard` run this Switchboard, not a registry lookup.
  const ours = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
  const source = `file:${path.relative(dir, path.resolve(__dirname, '../..'))}`;
  expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))).toEqual({
    name: 'my-bot',
    version: '0.1.0',
    private: true,
    description: expect.any(String),
    scripts: {
      start: 'switchboard start',
      dev: 'switchboard dev',
      test: 'switchboard test',
      validate: 'switchboard validate',
      chat: 'switchboard chat',
    },
    // This copy of Switchboard (not on the registry), by its path.
    dependencies: { [ours.name]: source },
    // npm 11 installs it quietly: Switchboard's `prepare` (named by its file: spec, as npm does)
    // and its dependencies' install scripts are allowed.
    allowScripts: expect.objectContaining({ [source]: true, 'better-sqlite3': true, puppeteer: false }),
  });
  const tests = loadConversationTests(testFilesIn(dir), channels);
  expect(tests.length).toBeGreaterThanOrEqual(3);
  const results = await runConversationTests(dir, tests, {
    channels,
    cacheDir: tempDir('sb-nlu-'),
  });
  expect(results.filter((r) => !r.passed).map((r) => r.transcript.join('\n'))).toEqual([]);
  const bot = await startTestBot({ env: { BOT_DIR: dir } });
  await bot.stop();
}, 60_000);
