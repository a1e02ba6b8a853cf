import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeAnalytics } from '../../analytics/figures';
import { parseInstant, parseSpan } from '../../analytics/range';
import { sqlOf } from '../../analytics/routes';
import { formatReport } from '../../analytics/text';
import { loadConfig, loadDotEnv } from '../../config';
import { ConfigError, SwitchboardError } from '../../errors';
import { openStore } from '../../store';

const USAGE = `Usage: switchboard report [--since 7d | --from DATE [--to DATE]] [--channel NAME] [--team NAME] [--json] [--dir DIR]

Prints the headline numbers of the conversations started in the range (default: the last
7 days): automation, handoff and out-of-scope rates, time to first human reply, resolution
time, CSAT, top intents, per channel, team and operator. Reads the bot's store
(DATABASE_URL, else SQLite in DATA_DIR). --json prints what GET /api/v1/analytics answers.`;

/** `switchboard report`: the analytics in a terminal. */
export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        channel: { type: 'string' },
        team: { type: 'string' },
        json: { type: 'boolean' },
        dir: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
    if (values.since !== undefined && values.from !== undefined)
      throw new Error('give --since or --from, not both');
  } catch (error) {
    console.error(`switchboard report: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  let range: { from: number; to: number };
  try {
    const to = str('to') ? parseInstant(str('to') as string, '--to', true) : Date.now();
    const from = str('from')
      ? parseInstant(str('from') as string, '--from')
      : to - parseSpan(str('since') ?? '7d', '--since');
    if (from >= to) throw new Error('--from must be before --to');
    range = { from, to };
  } catch (error) {
    console.error(`switchboard report: ${(error as Error).message}`);
    return 2;
  }
  const botDir = str('dir') ? path.resolve(str('dir') as string) : undefined;
  loadDotEnv(botDir);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(botDir ? { ...process.env, BOT_DIR: botDir } : process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir });
  try {
    const analytics = await computeAnalytics(sqlOf(store), {
      ...range,
      ...(str('channel') !== undefined && { channel: str('channel') as string }),
      ...(str('team') !== undefined && { team: str('team') as string }),
    });
    console.log(values.json ? JSON.stringify(analytics, null, 2) : formatReport(analytics));
    return 0;
  } catch (error) {
    if (error instanceof SwitchboardError) {
      console.error(`switchboard report: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await store.close();
  }
}
