import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSwitchboard } from '../../app';
import { ConfigError, SwitchboardError } from '../../errors';
import { loadConfig, loadDotEnv } from '../../config';
import { isFileProblem, reportProblems } from '../../flows/cli';

const USAGE = `Usage: switchboard start [--dir DIR]

Runs the bot in DIR (default: the current folder, or BOT_DIR). Settings come from the
environment and DIR/.env (see .env.example).`;

/** `switchboard start`: runs the bot until SIGTERM/SIGINT, then stops gracefully. */
export async function run(argv: string[]): Promise<number> {
  let dir: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { dir: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    dir = values.dir;
  } catch (error) {
    console.error(`switchboard start: ${(error as Error).message}

${USAGE}`);
    return 2;
  }
  const botDir = dir ? path.resolve(dir) : undefined;
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
  const bot = createSwitchboard(config);
  try {
    await bot.start();
  } catch (error) {
    // A failed start has stopped what it started: nothing listens, nothing is left open, and the
    // process ends with exit code 1.
    if (isFileProblem(error)) {
      console.error('switchboard: the bot folder has problems; the bot was not started.\n');
      return reportProblems(error);
    }
    if (error instanceof SwitchboardError) {
      console.error(`switchboard: ${error.message}`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`switchboard: port ${config.PORT} on ${config.HOST} is in use; set PORT to another one.`);
      return 1;
    }
    throw error;
  }
  if (process.stdout.isTTY) console.log(`\n  Switchboard is running: web chat on ${bot.url}\n`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      bot.logger.info({ signal }, 'shutting down');
      void bot.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  return 0;
}
