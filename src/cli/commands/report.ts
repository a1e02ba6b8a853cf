import path from 'node:path';
import { computeAnalytics } from '../../analytics/figures';
import { parseInstant, parseSpan } from '../../analytics/range';
import { sqlOf } from '../../analytics/routes';
import { formatReport } from '../../analytics/text';
import { loadConfig, loadDotEnv } from '../../config';
import { ConfigError, SwitchboardError } from '../../errors';
import { openStore } from '../../store';
import { UsageError } from '../usage';

/** Options as the CLI parsed them (see `switchboard report --help`). */
export interface ReportOptions {
  since?: string;
  from?: string;
  to?: string;
  channel?: string;
  team?: string;
  json?: boolean;
  dir?: string;
}

/** `switchboard report`: the analytics in a terminal. */
export async function run(options: ReportOptions): Promise<number> {
  if (options.since !== undefined && options.from !== undefined)
    throw new UsageError('give --since or --from, not both');
  const values = options as Record<string, string | boolean | undefined>;
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
    throw new UsageError((error as Error).message);
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
