/**
 * Assembles a bot from configuration: the channels whose credentials are set, and the
 * bot's behaviour. This is what `switchboard start` runs.
 *
 * @module
 */
import { adaptersFromConfig } from './channels';
import type { Config } from './config';
import { Bot, type BotOptions } from './core/bot';
import type { Context } from './core/context';

/**
 * Until the bot has intents and flows, it greets and echoes: enough to see the whole
 * path (inbox → worker → outbox → channel) working.
 */
export function echoBehaviour(bot: Bot<Context>): void {
  bot.use(async (ctx, next) => {
    if (ctx.message.seq === 1) await ctx.reply(`Hi! I'm ${bot.config.BOT_NAME}. How can I help?`);
    await next();
  });
  bot.on('text', (ctx) => ctx.reply(`You said: ${ctx.text}`));
  bot.on('postback', (ctx) =>
    ctx.reply(
      `You chose: ${ctx.message.content.type === 'postback' ? (ctx.message.content.title ?? ctx.payload) : ''}`,
    ),
  );
}

export interface SwitchboardOptions extends Omit<BotOptions, 'config'> {
  /** Middleware to install before the default behaviour (it runs first). */
  setup?: (bot: Bot<Context>) => void;
}

/** Builds the bot `switchboard start` runs, from configuration. */
export function createSwitchboard(config: Config, options: SwitchboardOptions = {}): Bot<Context> {
  const { setup, ...botOptions } = options;
  const bot = new Bot<Context>({ adapters: adaptersFromConfig(config), ...botOptions, config });
  setup?.(bot);
  echoBehaviour(bot);
  return bot;
}
