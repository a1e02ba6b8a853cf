import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { sqlOf } from '../../analytics/routes';
import { parseSpan } from '../../analytics/range';
import { ConfigError, SwitchboardError } from '../../errors';
import { isFileProblem, reportProblems } from '../../flows/cli';
import { type BotContent, loadBot } from '../../flows/runtime';
import type { ReviewGroup } from '../../review/inbox';
import { type ReviewContent, ReviewInbox } from '../../review/service';
import { openStore } from '../../store';
import { resolveBotDir } from '../bot-dir';
import type { ChannelDefinition } from '../../core/channel';
import { type CheckedSettings, checkedSettings, printConfigProblems } from '../settings';
import { UsageError } from '../usage';

/** `switchboard review`: decide the review inbox's groups from a terminal (options as the CLI parsed them). */
export async function run(values: {
  since?: string;
  dir?: string;
  patch?: boolean;
  channels: readonly ChannelDefinition[];
}): Promise<number> {
  let range: { from: number; to: number };
  try {
    const to = Date.now();
    range = { from: to - parseSpan(values.since ?? '30d', '--since'), to };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const dir = resolveBotDir(values.dir);
  let config: CheckedSettings['config'];
  try {
    ({ config } = checkedSettings(dir, values.channels));
  } catch (error) {
    if (error instanceof ConfigError) return printConfigProblems(error, dir, 'review');
    throw error;
  }
  let bot: BotContent;
  const cacheDir = path.join(config.dataDir, 'nlu');
  try {
    bot = await loadBot(dir, { cacheDir });
  } catch (error) {
    if (isFileProblem(error)) return reportProblems(error, dir);
    throw error;
  }
  const content: ReviewContent = {
    botDir: dir,
    reload: async () => {
      bot = await loadBot(dir, { cacheDir });
    },
    parse: (text) => bot.nlu?.parse(text) ?? null,
  };
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir });
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string | null> => {
    process.stdout.write(question);
    const next = await lines.next();
    return next.done ? null : String(next.value).trim();
  };
  try {
    const inbox = new ReviewInbox(sqlOf(store), content);
    const groups = await inbox.groups(range);
    if (groups.length === 0) {
      console.log('The review inbox is empty.');
      return 0;
    }
    console.log(`${groups.length} groups, ${groups.reduce((n, g) => n + g.count, 0)} messages to review.\n`);
    let decided = 0;
    for (const [i, group] of groups.entries()) {
      console.log(describe(group, i + 1, groups.length));
      const choice = await ask(
        `Intent, - for out of scope, Enter to skip, q to quit${group.suggestedIntent ? ` [NLU leaned to ${group.suggestedIntent}]` : ''}: `,
      );
      if (choice === null || choice === 'q') break;
      if (choice === '') {
        console.log('');
        continue;
      }
      const known = bot.intents?.intents.some((intent) => intent.name === choice) ?? false;
      let answer: string | undefined;
      if (choice !== '-' && !known) {
        answer = (await ask(`"${choice}" is a new intent. Its answer (Enter for none): `)) || undefined;
      }
      try {
        const result = await inbox.decide(
          group.id,
          choice === '-'
            ? { action: 'out_of_scope', mode: values.patch ? 'patch' : 'write', decidedBy: 'cli' }
            : {
                action: 'intent',
                intent: choice,
                ...(answer && { answer }),
                mode: values.patch ? 'patch' : 'write',
                decidedBy: 'cli',
              },
          range,
        );
        decided++;
        if (!result.applied) console.log(`Not written; the patch:\n${result.patch}`);
        else {
          console.log(`✓ ${result.file}: ${result.added.length} example(s) added; retrained.`);
          for (const a of result.nowAnswers)
            console.log(
              `  ${a.answered ? '✓' : '✗'} "${a.text}" → ${a.intent ?? 'out of scope'} (${a.confidence.toFixed(2)})`,
            );
        }
      } catch (error) {
        if (!(error instanceof SwitchboardError)) throw error;
        console.error(`✗ ${error.message}`);
      }
      console.log('');
    }
    console.log(`${decided} group(s) decided.`);
    return 0;
  } finally {
    rl.close();
    await store.close();
  }
}

function describe(group: ReviewGroup, n: number, of: number): string {
  const reasons = Object.entries(group.reasons)
    .map(([reason, count]) => `${reason.replace(/_/g, ' ')} ${count}`)
    .join(', ');
  return [
    `[${n}/${of}] "${group.text}" — ${group.count} message(s): ${reasons}`,
    ...group.texts.slice(0, 8).map((t) => `    ${t.count}× ${t.text}`),
  ].join('\n');
}
