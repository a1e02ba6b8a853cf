import type { ChannelDefinition } from '../../core/channel';
import path from 'node:path';
import { ConfigError } from '../../errors';
import { reportProblems } from '../../flows/cli';
import {
  formatResults,
  loadConversationTests,
  runConversationTests,
  runSucceeded,
  testFilesIn,
} from '../../flows/testing';
import { type CheckedSettings, checkedSettings, printConfigProblems } from '../settings';
import { resolveBotDir } from '../bot-dir';

/** `switchboard test [--dir DIR] [--filter TEXT] [FILE…]`: runs the conversation tests. */
export async function run(
  options: { dir?: string; filter?: string; channels: readonly ChannelDefinition[] },
  files: string[] = [],
): Promise<number> {
  const dir = resolveBotDir(options.dir);
  let settings: CheckedSettings;
  try {
    settings = checkedSettings(dir, options.channels);
  } catch (error) {
    if (error instanceof ConfigError) return printConfigProblems(error, dir, 'test');
    throw error;
  }
  try {
    const tests = loadConversationTests(
      files.length ? files.map((f) => path.resolve(f)) : testFilesIn(dir),
      options.channels,
    );
    if (tests.length === 0) {
      console.error(`switchboard test: no conversation tests (test/conversations/*.yml) in ${dir}`);
      return 1;
    }
    const results = await runConversationTests(dir, tests, {
      channels: options.channels,
      cacheDir: path.join(settings.config.dataDir, 'nlu'),
      ...(options.filter ? { filter: options.filter } : {}),
    });
    console.log(formatResults(results));
    return runSucceeded(results) ? 0 : 1;
  } catch (error) {
    return reportProblems(error, dir);
  }
}
