import type { SourceProblem } from '../../errors';
import { isFileProblem, printProblems, reportProblemList } from '../../flows/cli';
import { sortProblems } from '../../flows/loader';
import { type BotContent, hasBotContent, loadBot } from '../../flows/runtime';
import type { ChannelDefinition } from '../../core/channel';
import { type ConversationTest, loadConversationTests, testFilesIn } from '../../flows/testing';
import { type HandoffConfig, loadHandoffConfig } from '../../handoff';
import { resolveBotDir } from '../bot-dir';

/**
 * `switchboard validate [--dir DIR]`: checks intents, flows, tests and handoff.yml; non-zero
 * exit on any problem. Warnings (a handoff step naming a team handoff.yml doesn't list) are
 * printed but don't fail it.
 */
export async function run(options: {
  dir?: string;
  channels: readonly ChannelDefinition[];
}): Promise<number> {
  const dir = resolveBotDir(options.dir);
  const content = hasBotContent(dir);
  const problems: SourceProblem[] = [];
  const warnings: SourceProblem[] = [];
  let handoff: HandoffConfig | null = null;
  try {
    handoff = await loadHandoffConfig(dir);
  } catch (error) {
    if (!isFileProblem(error)) throw error;
    problems.push(...error.problems);
  }
  let bot: BotContent | undefined;
  let tests: ConversationTest[] = [];
  if (content) {
    try {
      bot = await loadBot(dir, {
        train: false,
        ...(handoff && {
          teams: { names: Object.keys(handoff.teams), defaultTeam: handoff.defaultTeam, warnings },
        }),
      });
      tests = loadConversationTests(testFilesIn(dir), options.channels);
    } catch (error) {
      if (!isFileProblem(error)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) return reportProblemList(sortProblems(problems), sortProblems(warnings), dir);
  printProblems(sortProblems(warnings), dir);
  const parts = [
    ...(bot
      ? [
          count(bot.intents?.intents.length ?? 0, 'intent'),
          count(bot.flows.flows.size, 'flow'),
          count(Object.keys(bot.actions).length, 'action'),
          count(tests.length, 'conversation test'),
          ...(bot.knowledge ? [count(bot.knowledge.size, 'knowledge document')] : []),
        ]
      : []),
    ...(handoff ? [count(Object.keys(handoff.teams).length, 'handoff team')] : []),
  ];
  const noted = warnings.length ? ` (${count(warnings.length, 'warning')})` : '';
  if (warnings.length) console.error('');
  console.log(`✓ ${parts.join(', ')}: no problems${noted}`);
  return 0;
}

/** "1 action", "0 actions", "3 actions". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
