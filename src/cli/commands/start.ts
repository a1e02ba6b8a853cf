import { createSwitchboard } from '../../app';
import { ConfigError, SwitchboardError } from '../../errors';
import { loadConfig, loadDotEnv } from '../../config';

/** `switchboard start`: runs the bot until SIGTERM/SIGINT, then stops gracefully. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: switchboard start\n\nRuns the bot. Settings come from the environment and .env (see .env.example).',
    );
    return 0;
  }
  loadDotEnv();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
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
