import path from 'node:path';
import { botDirFrom, configFor, option, reportProblems } from '../../flows/cli';
import {
  formatResults,
  loadConversationTests,
  runConversationTests,
  runSucceeded,
  testFilesIn,
} from '../../flows/testing';

/** `switchboard test [--dir DIR] [--filter TEXT] [FILE…]`: runs the conversation tests. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: switchboard test [--dir DIR] [--filter TEXT] [tests/FILE.yml …]\n\nRuns the conversation tests (tests/*.yml) against the bot, in-process, with a throwaway store.\nExits with 1 if any test fails, printing its transcript (- expected, + actual).',
    );
    return 0;
  }
  const dir = botDirFrom(argv);
  const filter = option(argv, '--filter');
  const files = argv
    .filter((a, i) => /\.ya?ml$/.test(a) && argv[i - 1] !== '--dir')
    .map((f) => path.resolve(f));
  let config: ReturnType<typeof configFor>;
  try {
    config = configFor(dir);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  try {
    const tests = loadConversationTests(files.length ? files : testFilesIn(dir));
    if (tests.length === 0) {
      console.error('switchboard test: no conversation tests (tests/*.yml)');
      return 1;
    }
    const results = await runConversationTests(dir, tests, {
      cacheDir: path.join(config.dataDir, 'nlu'),
      ...(filter ? { filter } : {}),
    });
    console.log(formatResults(results));
    return runSucceeded(results) ? 0 : 1;
  } catch (error) {
    return reportProblems(error);
  }
}
