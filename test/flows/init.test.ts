/** `switchboard init DIR` scaffolds a bot that validates, passes its tests and starts. */
import path from 'node:path';
import { run as init } from '../../src/cli/commands/init';
import { run as validate } from '../../src/cli/commands/validate';
import { loadConversationTests, runConversationTests, testFilesIn } from '../../src/flows/testing';
import { startTestBot, tempDir } from '../helpers/bot';

test('a new bot validates, passes its conversation tests and starts', async () => {
  const dir = path.join(tempDir('sb-init-'), 'my-bot');
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await init([dir])).toBe(0);
    expect(await validate(['--dir', dir])).toBe(0);
    expect(await init([dir])).toBe(1); // not over an existing bot
  } finally {
    log.mockRestore();
  }
  const tests = loadConversationTests(testFilesIn(dir));
  expect(tests.length).toBeGreaterThanOrEqual(3);
  const results = await runConversationTests(dir, tests, { cacheDir: tempDir('sb-nlu-') });
  expect(results.filter((r) => !r.passed).map((r) => r.transcript.join('\n'))).toEqual([]);
  const bot = await startTestBot({ env: { BOT_DIR: dir } });
  await bot.stop();
}, 60_000);
