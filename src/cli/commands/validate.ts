import { botDirFrom, reportProblems } from '../../flows/cli';
import { hasBotContent, loadBot } from '../../flows/runtime';
import { loadConversationTests, testFilesIn } from '../../flows/testing';

/** `switchboard validate [--dir DIR]`: checks intents, flows and tests; non-zero exit on any problem. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: switchboard validate [--dir DIR]\n\nChecks the bot in DIR (default: the current folder): intents/, flows/ and tests/.\nEach problem is printed as file:line:column with a hint; exits with 1 if there is any.',
    );
    return 0;
  }
  const dir = botDirFrom(argv);
  if (!hasBotContent(dir)) {
    console.error(`switchboard validate: no intents/ or flows/ folder in ${dir} (try \`switchboard init\`)`);
    return 1;
  }
  try {
    const bot = await loadBot(dir, { train: false });
    const tests = loadConversationTests(testFilesIn(dir));
    console.log(
      `✓ ${count(bot.intents?.intents.length ?? 0, 'intent')}, ${count(bot.flows.flows.size, 'flow')}, ${count(Object.keys(bot.actions).length, 'action')}, ${count(tests.length, 'conversation test')}: no problems`,
    );
    return 0;
  } catch (error) {
    return reportProblems(error);
  }
}

/** "1 action", "0 actions", "3 actions". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
