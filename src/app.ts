/**
 * Assembles a bot from configuration: the channels whose credentials are set, and the
 * bot's behaviour — the NLU and flows of the bot folder (BOT_DIR), or, for an empty bot
 * folder, a greeting and an echo. This is what `switchboard start` runs.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { adaptersFromConfig, type ChannelDefinition } from './core/channel';
import type { Config } from './config';
import { Bot, type BotOptions } from './core/bot';
import { fileProfileProvider, type ProfileProvider, webhookProfileProvider } from './crm';
import type { Context } from './core/context';
import type { Action } from './flows/engine';
import { FlowRuntime, hasBotContent } from './flows/runtime';
import { Desk, type DeskOptions, operatorFaceOf } from './desk';
import { SwitchboardError } from './errors';
import { HANDOFF_FILE, loadHandoffConfig } from './handoff';

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
  /**
   * The channel plug-ins to build from the settings (`import { channels } from
   * 'switchboard/channels'`: every channel Switchboard ships). Not needed when `adapters` is given.
   */
  channels?: readonly ChannelDefinition[];
  /** Middleware to install before the default behaviour (it runs first; inside the operator desk's, which keeps the bot silent while a person has the conversation). */
  setup?: (bot: Bot<Context>) => void;
  /** Actions for the flows' `call` steps, in addition to the bot folder's `actions/`. */
  actions?: Record<string, Action>;
  /** Where the trained NLU model is cached (default DATA_DIR/nlu). */
  nluCacheDir?: string;
  /** Operator desk settings (tests: a clock, faster timers); `false`: no desk even with a handoff.yml. */
  desk?: Partial<Omit<DeskOptions, 'botDir' | 'slack' | 'flows'>> | false;
}

/**
 * The bot `switchboard start` runs. {@link SwitchboardBot.start} first loads and checks the bot
 * folder — intents and flows (and trains the NLU, cached under DATA_DIR), and handoff.yml — so
 * that a broken file stops the start with its file:line:column messages before anything listens.
 */
export class SwitchboardBot extends Bot<Context> {
  /** The operator desk, when the bot folder has a handoff.yml. */
  desk: Desk | undefined;
  /**
   * The options the desk was built with: {@link SwitchboardBot.start} puts the checked
   * handoff.yml on them (`config`), and the desk's own start uses it instead of reading the file.
   */
  private deskOptions: DeskOptions | undefined;
  /** The desk's handoff settings came from code (`desk: { config }`), not from handoff.yml. */
  private deskConfigGiven = false;

  /** @internal Called by {@link createSwitchboard} with the options it built the desk with. */
  useDeskOptions(options: DeskOptions): void {
    this.deskOptions = options;
    this.deskConfigGiven = options.config !== undefined;
  }

  constructor(
    options: BotOptions,
    /** The bot folder's content (NLU + flows), when it has any. */
    readonly content: FlowRuntime | undefined,
  ) {
    super(options);
  }

  override async start(): Promise<this> {
    if (this.content && !this.content.engine) await this.content.load();
    const deskOptions = this.deskOptions;
    if (deskOptions && !this.deskConfigGiven) {
      // Read afresh on every start, as the desk would. Throws HandoffConfigError with every
      // problem; null: the file is gone since (no desk).
      const config = await loadHandoffConfig(deskOptions.botDir);
      if (config) deskOptions.config = config;
      else delete deskOptions.config;
    }
    return super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.content?.close();
  }
}

/** Builds the bot `switchboard start` runs, from configuration. */
export function createSwitchboard(config: Config, options: SwitchboardOptions = {}): SwitchboardBot {
  const { setup, actions, nluCacheDir, desk: deskOptions, channels, ...botOptions } = options;
  if (!botOptions.adapters && !channels)
    throw new SwitchboardError(
      'SB_CONFIG_INVALID',
      "createSwitchboard needs the channels to build (`channels`: import { channels } from 'switchboard/channels') or the built `adapters`.",
    );
  const content = hasBotContent(config.botDir)
    ? new FlowRuntime(config.botDir, {
        cacheDir: nluCacheDir ?? path.join(config.dataDir, 'nlu'),
        versionsDir: path.join(config.dataDir, 'flow-versions'),
        knowledgeCacheDir: path.join(config.dataDir, 'knowledge'),
        actionsCacheDir: path.join(config.dataDir, 'actions'),
        ...(config.LLM_BASE_URL &&
          config.LLM_MODEL && {
            llm: {
              baseUrl: config.LLM_BASE_URL,
              model: config.LLM_MODEL,
              timeoutMs: config.LLM_TIMEOUT_MS,
              botName: config.BOT_NAME,
              ...(config.LLM_API_KEY && { apiKey: config.LLM_API_KEY }),
            },
          }),
        ...(actions ? { actions } : {}),
      })
    : undefined;
  // The CLI passes the adapters it built while checking every setting in one pass.
  const adapters = botOptions.adapters ?? adaptersFromConfig(config, channels ?? []);
  const profileProvider = botOptions.profileProvider ?? profileProviderFromConfig(config);
  const bot = new SwitchboardBot(
    {
      ...botOptions,
      adapters,
      ...(profileProvider && { profileProvider }),
      config,
    },
    content,
  );
  if (deskOptions !== false && existsSync(path.join(config.botDir, HANDOFF_FILE))) {
    // Around the bot's behaviour (the author's middleware included): it relays, keeps the bot
    // silent while a person has the conversation, and queues what the behaviour hands off
    // (`ctx.handOff()`, a flow's handoff step) or fails on.
    // Operators work in the channel that offers a face for them (Slack).
    const face = adapters.map(operatorFaceOf).find((f) => f !== undefined);
    // Kept: start() loads and checks handoff.yml before anything listens and sets `config` here.
    const options: DeskOptions = {
      botDir: config.botDir,
      ...(face && { face }),
      flows: () => content?.engine?.flows,
      ...(config.REDIS_URL && { redisUrl: config.REDIS_URL }),
      ...deskOptions,
    };
    const desk = new Desk(bot, options);
    bot.desk = desk;
    bot.useDeskOptions(options);
    bot.addService(desk);
    bot.use(desk.middleware());
  }
  if (content)
    bot.reviewContent = {
      botDir: config.botDir,
      reload: async () => {
        await content.load();
      },
      parse: (text) => content.content?.nlu?.parse(text) ?? null,
    };
  setup?.(bot);
  if (content) bot.use(content.middleware());
  else echoBehaviour(bot);
  return bot;
}

/** The CRM profile provider the settings describe: CRM_WEBHOOK_URL, else CRM_FILE, else none. */
export function profileProviderFromConfig(config: Config): ProfileProvider | undefined {
  if (config.CRM_WEBHOOK_URL) {
    return webhookProfileProvider({
      url: config.CRM_WEBHOOK_URL,
      ...(config.CRM_WEBHOOK_SECRET && { secret: config.CRM_WEBHOOK_SECRET }),
    });
  }
  if (config.CRM_FILE) return fileProfileProvider(path.resolve(config.botDir, config.CRM_FILE));
  return undefined;
}
