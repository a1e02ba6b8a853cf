import path from 'node:path';
import { createSwitchboard, type SwitchboardBot } from '../../app';
import type { ChannelDefinition } from '../../core/channel';
import type { Config } from '../../config';
import { hasBotContent } from '../../flows/runtime';
import { ConfigError, SwitchboardError } from '../../errors';
import { isFileProblem, reportProblems } from '../../flows/cli';
import { createLogger } from '../../observability/logger';
import { type CheckedSettings, checkedSettings, printConfigProblems } from '../settings';
import { resolveBotDir } from '../bot-dir';

/** Where this machine reaches the web chat (PUBLIC_URL may name a proxy in front). */
function localUrl(config: Config): string {
  return `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/`;
}

/** What `start` and `dev` print first: where to chat, which channels are on, which bot. */
export function runningLines(settings: CheckedSettings, command: string): string[] {
  const { config } = settings;
  const bot = hasBotContent(config.botDir)
    ? config.botDir
    : `the built-in echo bot (${config.botDir} has no intents/ or flows/: \`switchboard init DIR\` makes a bot)`;
  return [
    `Switchboard ${command}: starting ${config.BOT_NAME}; the web chat will be on ${localUrl(config)}`,
    `  channels on: ${settings.adapters.map((a) => a.channel).join(', ')}`,
    `  bot: ${bot}`,
    `  store: ${config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${config.dataDir}`}`,
  ];
}

/**
 * Checks the settings (all problems at once), builds and starts the bot; prints what is wrong
 * and returns the exit code when it cannot.
 */
export async function startBot(
  botDir: string,
  command: string,
  channels: readonly ChannelDefinition[],
): Promise<{ bot: SwitchboardBot; settings: CheckedSettings } | number> {
  let settings: CheckedSettings;
  try {
    settings = checkedSettings(botDir, channels);
  } catch (error) {
    if (error instanceof ConfigError) return printConfigProblems(error, botDir, command);
    throw error;
  }
  const { config, adapters } = settings;
  const tty = Boolean(process.stdout.isTTY);
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: tty });
  // The first lines say where to chat and which channels are on, before the start's own log.
  const lines = runningLines(settings, command);
  if (tty) console.log(`\n${lines.join('\n')}\n`);
  else logger.info({ url: localUrl(config), channels: adapters.map((a) => a.channel) }, lines[0] as string);
  const bot = createSwitchboard(config, { adapters, logger });
  try {
    await bot.start();
  } catch (error) {
    // A failed start has stopped what it started: nothing listens, nothing is left open.
    if (isFileProblem(error)) {
      console.error(
        `switchboard ${command}: the bot in ${config.botDir} has problems; it was not started.\n`,
      );
      return reportProblems(error, config.botDir);
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(
        `switchboard ${command}: port ${config.PORT} on ${config.HOST} is in use; set PORT to another one (e.g. PORT=${config.PORT + 1}).`,
      );
      return 1;
    }
    if (error instanceof SwitchboardError) {
      console.error(`switchboard ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  }
  return { bot, settings };
}

/** `switchboard start [--dir DIR]`: runs the bot until SIGTERM/SIGINT, then stops gracefully. */
export async function run(options: {
  dir?: string;
  channels: readonly ChannelDefinition[];
}): Promise<number> {
  const botDir =
    options.dir !== undefined
      ? resolveBotDir(options.dir)
      : process.env.BOT_DIR
        ? path.resolve(process.env.BOT_DIR)
        : resolveBotDir(undefined, { allowEmpty: true });
  const started = await startBot(botDir, 'start', options.channels);
  if (typeof started === 'number') return started;
  const { bot } = started;
  if (process.stdout.isTTY) console.log(`\n  Ready: open ${bot.url}/ to chat (Ctrl+C stops)\n`);
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
