/**
 * The Slack channel, customer side: a customer writes to the app in a DM or @mentions it
 * in a channel (a Slack Connect channel shared with a customer is the common case); the
 * bot answers in the DM, or in the message's thread. Built on `@slack/bolt` with a
 * receiver mounted on Switchboard's own HTTP server (see `receiver.ts` for why).
 *
 * The same Slack app serves the operator desk: {@link SlackAdapter.onOperatorEvent}
 * hands the desk every request that belongs to it (see `desk.ts` for the routing).
 *
 * ```ts
 * const slack = new SlackAdapter({ botToken, signingSecret });
 * slack.onOperatorEvent(async (request) => {
 *   if (request.kind === 'command') return { response_type: 'ephemeral', text: 'Queue: 3 waiting' };
 * }, { channels: ['C0ESCALATE'] });
 * ```
 *
 * @module
 */
import { App, LogLevel, type Logger as BoltLogger, type RespondFn, webApi } from '@slack/bolt';
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  InboundEvent,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import { capabilities } from './capabilities';
import { ChannelApiError, SwitchboardError } from '../../src/errors';
import { downloadFile } from '../../src/media/download';
import type { Logger } from '../../src/observability/logger';
import {
  DESK_ACK_BUDGET_MS,
  type SlackDeskAck,
  type SlackDeskEvent,
  type SlackDeskHandler,
  type SlackDeskRequest,
  type SlackDeskRoutes,
  sideOfCommand,
  sideOfEvent,
  sideOfInteraction,
} from './desk';
import type { OperatorFace } from '../../src/desk/core';
import {
  CHANNEL,
  ignoreReason,
  type ParsedEvent,
  parseBlockAction,
  parseMessageEvent,
  parseSlashCommand,
  type SlackBlockActions,
  type SlackMessageEvent,
  type SlackSelf,
  type SlackSlashCommand,
} from './inbound';
import { escapeMrkdwn, QUICK_REPLIES_BLOCK, renderContent } from './render';
import { SlackHttpReceiver } from './receiver';

/** How a message refers to a file shared in Slack (an operator's upload): see fetchMedia. */
export { SLACK_FILE_REF, toDeliveryError } from './errors';
import { SLACK_FILE_REF, toDeliveryError } from './errors';

export type {
  SlackDeskAck,
  SlackDeskAnswer,
  SlackDeskCommand,
  SlackDeskEvent,
  SlackDeskHandler,
  SlackDeskInteraction,
  SlackDeskRequest,
  SlackDeskRoutes,
  SlackSide,
} from './desk';
export { DESK_ACK_BUDGET_MS, sideOfCommand, sideOfEvent, sideOfInteraction } from './desk';
export { COMMANDS_PATH, EVENTS_PATH, INTERACTIVITY_PATH } from './receiver';
export { escapeMrkdwn, renderContent } from './render';
export { signSlackRequest, verifySlackRequest } from './verify';
export { slackSettingsFrom, type SlackSettings } from './config';

export interface SlackAdapterOptions {
  /** `xoxb-…` (SLACK_BOT_TOKEN). */
  botToken: string;
  /** SLACK_SIGNING_SECRET. */
  signingSecret: string;
  /** Web API base URL (SLACK_API_URL). Default `https://slack.com/api/`. */
  apiUrl?: string;
  /** Channels where every message is for the bot (SLACK_SUPPORT_CHANNELS). */
  supportChannels?: readonly string[];
  /** Web API request timeout. Default 10 s. */
  timeoutMs?: number;
  /** The clock for the signature replay window (tests). */
  now?: () => number;
  /** How long the desk may take to answer a click or command before the adapter acks for it. Default 2.5 s. */
  deskAckBudgetMs?: number;
}

export class SlackAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  private readonly options: Required<Pick<SlackAdapterOptions, 'apiUrl' | 'supportChannels' | 'timeoutMs'>> &
    SlackAdapterOptions;
  private app: App | undefined;
  private runtime: AdapterRuntime | undefined;
  private logger: Logger | undefined;
  private self: SlackSelf | undefined;
  private desk: { handler: SlackDeskHandler; routes: SlackDeskRoutes } | undefined;

  constructor(options: SlackAdapterOptions) {
    this.options = {
      apiUrl: 'https://slack.com/api/',
      supportChannels: [],
      timeoutMs: 10_000,
      ...options,
    };
  }

  /** The operator desk's face in this Slack app (cards, clicks, commands, App Home). */
  operatorFace(): OperatorFace {
    const { slackOperatorFace } = require('./operator-desk') as typeof import('./operator-desk');
    return slackOperatorFace(this);
  }

  /**
   * The extension point for the operator desk: `handler` receives every request that
   * belongs to the desk (see `desk.ts`), already verified and deduplicated. For clicks,
   * modals and commands its return value is the ack body. One desk per adapter.
   * Returns a function that unregisters it.
   */
  onOperatorEvent(handler: SlackDeskHandler, routes: SlackDeskRoutes = {}): () => void {
    if (this.desk) throw new Error('an operator desk is already registered on the Slack adapter');
    const desk = { handler, routes };
    this.desk = desk;
    return () => {
      if (this.desk === desk) this.desk = undefined;
    };
  }

  /** The bot's Web API client (after start): token, SLACK_API_URL, no built-in retries. */
  get client(): webApi.WebClient {
    if (!this.app) throw new Error('the Slack adapter is not started');
    return this.app.client;
  }

  /** The bot user's id and bot id, from `auth.test` at start. */
  get botIdentity(): SlackSelf {
    if (!this.self) throw new Error('the Slack adapter is not started');
    return this.self;
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    const logger = runtime.logger.child({ channel: CHANNEL });
    this.logger = logger;
    const clientOptions: webApi.WebClientOptions = {
      slackApiUrl: this.options.apiUrl,
      // The outbox retries, durably and in order; the client must not retry behind its back
      // (its default keeps a failing call alive for ~30 minutes).
      retryConfig: { retries: 0 },
      // A 429 becomes an error carrying Retry-After instead of a silent in-process wait.
      rejectRateLimitedCalls: true,
      timeout: this.options.timeoutMs,
      logger: boltLogger(logger),
    };

    // bolt would call auth.test on its own at construction (and crash the process on a
    // network error with retries off): ask once here, deliberately, for a clear error
    // and for the ids that recognise the bot's own messages.
    const probe = new webApi.WebClient(this.options.botToken, clientOptions);
    let auth: webApi.AuthTestResponse;
    try {
      auth = await probe.auth.test();
    } catch (error) {
      throw startError(error, this.options.apiUrl);
    }
    if (!auth.user_id) {
      throw new SwitchboardError(
        'SB_CONFIG_INVALID',
        'Slack: auth.test did not return a bot user id; SLACK_BOT_TOKEN must be a bot token (xoxb-…)',
      );
    }
    this.self = { botUserId: auth.user_id, ...(auth.bot_id && { botId: auth.bot_id }) };

    const receiver = new SlackHttpReceiver({
      signingSecret: this.options.signingSecret,
      logger,
      ...(this.options.now && { now: this.options.now }),
    });
    const app = new App({
      token: this.options.botToken,
      botUserId: auth.user_id,
      botId: auth.bot_id ?? '',
      tokenVerificationEnabled: false,
      deferInitialization: true,
      receiver,
      // Own and other bots' messages are dropped below, with a logged reason.
      ignoreSelf: false,
      convoStore: false,
      logger: boltLogger(logger),
      clientOptions,
    });
    await app.init();
    // Listener failures reach the receiver, which answers 500 so that Slack redelivers.
    app.error(async (error) => {
      throw (error as { original?: unknown }).original ?? error;
    });
    this.registerListeners(app);
    receiver.mount(runtime.router);
    this.app = app;
    logger.info({ botUserId: auth.user_id, team: auth.team_id }, 'slack: ready');
  }

  async stop(): Promise<void> {
    // Nothing to close: the routes live on the shared server, and the client holds no sockets.
  }

  async send({ message, content, address }: OutboundDelivery): Promise<SendResult> {
    const rendered = renderContent(content);
    if (!rendered) return {};
    const channel = address.channel;
    if (typeof channel !== 'string' || channel === '') {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'chat.postMessage',
        description: 'the message has no Slack channel in its address',
        permanent: true,
      });
    }
    const threadTs = typeof address.threadTs === 'string' ? address.threadTs : undefined;
    try {
      const result = await this.client.chat.postMessage({
        channel,
        text: rendered.text,
        ...(rendered.blocks && { blocks: rendered.blocks }),
        ...(threadTs && { thread_ts: threadTs }),
        unfurl_links: false,
        // An operator's reply carries their name (needs chat:write.customize; ignored without it).
        ...(message.author === 'operator' && message.authorName && { username: message.authorName }),
      });
      return result.ts ? { platformMessageId: `${result.channel ?? channel}:${result.ts}` } : {};
    } catch (error) {
      throw toDeliveryError(error, 'chat.postMessage');
    }
  }

  /**
   * `slack-file:<id>` (a file an operator shared in a desk thread) → `files.info`, then
   * its `url_private_download` with the bot token (needs the `files:read` scope).
   */
  async fetchMedia(ref: string): Promise<FetchedMedia> {
    const id = ref.startsWith(SLACK_FILE_REF) ? ref.slice(SLACK_FILE_REF.length) : '';
    if (!/^F[A-Z0-9]+$/.test(id)) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'files.info',
        description: `not a Slack file reference: ${ref.slice(0, 40)}`,
        permanent: true,
      });
    }
    let file: { url_private_download?: string; url_private?: string; mimetype?: string };
    try {
      file = ((await this.client.files.info({ file: id })).file ?? {}) as typeof file;
    } catch (error) {
      throw toDeliveryError(error, 'files.info');
    }
    const url = file.url_private_download ?? file.url_private;
    if (url && !this.mayCarryToken(url)) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'files.info',
        description: 'refusing to send the bot token to a download URL that is not Slack’s',
        permanent: true,
      });
    }
    if (!url) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'files.info',
        description: 'Slack gave no download URL for this file (external or deleted?)',
        permanent: true,
      });
    }
    const media = await downloadFile(CHANNEL, url, {
      method: 'files.download',
      headers: { authorization: `Bearer ${this.options.botToken}` },
    });
    // Slack's own type is the file's; its server may answer with a generic one.
    return { ...media, ...(file.mimetype && { mimeType: file.mimetype }) };
  }

  /** Slack's file host over HTTPS, or the configured API's origin (a fake or proxy in front of it). */
  private mayCarryToken(url: string): boolean {
    try {
      const parsed = new URL(url);
      const api = new URL(this.options.apiUrl);
      // The API's own domain (slack.com, slack-gov.com…), with its file hosts.
      const domain = api.hostname.split('.').slice(-2).join('.');
      const named = /[a-z]/i.test(domain) && !api.hostname.includes(':');
      return (
        parsed.origin === api.origin ||
        (parsed.protocol === 'https:' &&
          named &&
          (parsed.hostname === domain ||
            parsed.hostname.endsWith(`.${domain}`) ||
            /(^|\.)slack-files\.com$/i.test(parsed.hostname)))
      );
    } catch {
      return false;
    }
  }

  private registerListeners(app: App): void {
    app.event(/.*/, async ({ event, body, context }) => {
      await this.onEvent(event as SlackMessageEvent, body as EventEnvelope, context.retryNum);
    });
    app.action(/.*/, async ({ ack, body, action, respond, client }) => {
      const actionId = 'action_id' in action ? action.action_id : undefined;
      if (sideOfInteraction(actionId) === 'customer') {
        const click = body as unknown as SlackBlockActions;
        await this.accept(parseBlockAction(click), 'action');
        await ack();
        this.retireQuickReplies(click, respond);
        return;
      }
      const answer = await this.runDesk({
        kind: 'interaction',
        body: body as unknown as { type: string } & Record<string, unknown>,
        action: action as unknown as { action_id?: string } & Record<string, unknown>,
        ...(respond && { respond: this.bestEffort(respond) }),
        client,
        ...this.deskBase(),
      });
      await ack(answer as never);
    });
    const interaction =
      (kind: string) =>
      async (args: { ack: (body?: never) => Promise<void>; body: unknown; client: webApi.WebClient }) => {
        const body = args.body as { type: string } & Record<string, unknown>;
        const answer = await this.runDesk({
          kind: 'interaction',
          body,
          client: args.client,
          ...this.deskBase(),
        });
        if (answer === undefined) this.logger?.debug({ kind }, 'slack: interaction acked empty');
        await args.ack(answer as never);
      };
    app.view(/.*/, interaction('view'));
    app.shortcut(/.*/, interaction('shortcut'));
    app.options(/.*/, interaction('options'));
    app.command(/.*/, async ({ ack, command, respond, client }) => {
      if (sideOfCommand(this.desk?.routes, command) === 'customer') {
        await this.accept(parseSlashCommand(command as SlackSlashCommand), 'command');
        await ack();
        return;
      }
      const answer = await this.runDesk({
        kind: 'command',
        command,
        respond: this.bestEffort(respond),
        client,
        ...this.deskBase(),
      });
      await ack(answer as never);
    });
  }

  private async onEvent(event: SlackMessageEvent, body: EventEnvelope, retryNum: number | undefined) {
    const log = { eventId: body.event_id, type: event.type, subtype: event.subtype, retryNum };
    const self = this.botIdentity;
    if (event.type === 'message' || event.type === 'app_mention') {
      const reason = ignoreReason(event, self);
      if (reason) {
        this.ignored(reason, log);
        return;
      }
    }
    if (sideOfEvent(this.desk?.routes, event) === 'desk') {
      await this.runDesk({
        kind: 'event',
        event: event as unknown as SlackDeskEvent['event'],
        body: body as unknown as SlackDeskEvent['body'],
        eventId: body.event_id ?? '',
        ...(retryNum !== undefined && { retryNum }),
        client: this.client,
        ...this.deskBase(),
      });
      return;
    }
    await this.accept(parseMessageEvent(event, body, self, this.options.supportChannels), 'event', log);
  }

  /** Hands customer messages to the inbox (stored before the ack), or logs why not. */
  private async accept(
    parsed: ParsedEvent,
    source: string,
    log: Record<string, unknown> = {},
  ): Promise<void> {
    if (parsed.kind === 'ignore') {
      this.ignored(parsed.reason, { source, ...log });
      return;
    }
    if (parsed.kind === 'thread-reply' && !(await this.followsThread(parsed.events, parsed))) {
      this.ignored('thread reply in a thread the customer has no conversation in', { source, ...log });
      return;
    }
    const inbox = this.need().inbox;
    for (const event of parsed.events) {
      const result = await inbox.accept(event);
      if (result.duplicate) {
        this.logger?.debug(
          { source, platformMessageId: event.platformMessageId },
          'slack: duplicate dropped',
        );
      }
    }
  }

  /**
   * A `response_url` answer the desk sends is a courtesy to the operator (an ephemeral
   * note): when Slack refuses it (expired URL, network), the click or command it answers
   * was still verified and handled, so it must not become a 500 that Slack redelivers.
   */
  private bestEffort(respond: RespondFn): RespondFn {
    return (async (message: Parameters<RespondFn>[0]) => {
      try {
        return await respond(message);
      } catch (error) {
        this.logger?.warn(
          { err: error },
          'slack: response_url answer failed (the request itself was handled)',
        );
        return undefined;
      }
    }) as RespondFn;
  }

  /**
   * Quick replies disappear once one is pressed: the message is rewritten (through the
   * click's `response_url`) without its quick-reply blocks, noting the choice. Best effort,
   * after the ack; the postback is already stored whatever happens here.
   */
  private retireQuickReplies(click: SlackBlockActions, respond: RespondFn | undefined): void {
    const action = click.actions?.[0];
    const blocks = click.message?.blocks;
    if (!respond || !blocks || !action?.block_id?.startsWith(QUICK_REPLIES_BLOCK)) return;
    const kept = blocks.filter(
      (b) => !(typeof b.block_id === 'string' && b.block_id.startsWith(QUICK_REPLIES_BLOCK)),
    );
    const choice = action.text?.text ?? action.value ?? '';
    respond({
      replace_original: true,
      text: click.message?.text ?? choice,
      blocks: [
        ...(kept as never[]),
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `:white_check_mark: ${escapeMrkdwn(choice)}` }],
        },
      ],
    }).catch((error: unknown) =>
      this.logger?.warn({ err: error }, 'slack: could not remove the quick replies after a press'),
    );
  }

  /** A plain thread reply counts when the sender's conversation lives in that thread. */
  private async followsThread(events: InboundEvent[], where: { channel: string; threadTs: string }) {
    const sender = events[0]?.sender.externalId;
    if (!sender) return false;
    const identity = await this.need().store.identities.find(CHANNEL, sender);
    return identity?.address.channel === where.channel && identity.address.threadTs === where.threadTs;
  }

  private deskBase() {
    return { botUserId: this.botIdentity.botUserId, logger: this.logger ?? this.need().logger };
  }

  /**
   * Runs the desk's handler within the ack budget. Past the budget the request is acked
   * empty and the handler finishes in the background (its failure is logged).
   */
  private async runDesk(request: SlackDeskRequest): Promise<SlackDeskAck> {
    const desk = this.desk;
    if (!desk) {
      this.ignored('belongs to the operator desk, and no desk is registered', { kind: request.kind });
      return undefined;
    }
    const work = Promise.resolve().then(() => desk.handler(request));
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const budget = new Promise<typeof late>((resolve) => {
      timer = setTimeout(() => resolve(late), this.options.deskAckBudgetMs ?? DESK_ACK_BUDGET_MS);
    });
    try {
      const result = await Promise.race([work, budget]);
      if (result !== late) return result ?? undefined;
    } finally {
      clearTimeout(timer);
    }
    this.logger?.warn(
      { kind: request.kind, budgetMs: this.options.deskAckBudgetMs ?? DESK_ACK_BUDGET_MS },
      'slack: desk handler is slow; acked without its answer',
    );
    work.catch((error: unknown) =>
      this.logger?.error({ err: error, kind: request.kind }, 'slack: desk handler failed after the ack'),
    );
    return undefined;
  }

  private ignored(reason: string, details: Record<string, unknown>): void {
    this.logger?.debug({ reason, ...details }, 'slack: ignored');
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('the Slack adapter is not started');
    return this.runtime;
  }
}

interface EventEnvelope {
  event_id?: string;
  team_id?: string;
}

function startError(error: unknown, apiUrl: string): SwitchboardError {
  const mapped = toDeliveryError(error, 'auth.test');
  if (mapped instanceof ChannelApiError && mapped.platformCode !== undefined && mapped.status === 200) {
    return new SwitchboardError(
      'SB_CONFIG_INVALID',
      `Slack refused SLACK_BOT_TOKEN (auth.test: ${mapped.platformCode}). Copy the Bot User OAuth Token (xoxb-…) from your app's "OAuth & Permissions" page, and reinstall the app if you changed its scopes.`,
      { cause: error },
    );
  }
  return new SwitchboardError(
    'SB_TRANSPORT',
    `Cannot reach the Slack Web API at ${apiUrl} (auth.test: ${mapped.message}). Check SLACK_API_URL and the network; the Slack channel does not start without it.`,
    { cause: error },
  );
}

/** bolt and the Web API client log through Switchboard's logger (their `info` is chatty: debug). */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const line = (parts: unknown[]) =>
    parts
      .map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p)))
      .join(' ');
  return {
    debug: (...parts: unknown[]) => logger.debug(line(parts)),
    info: (...parts: unknown[]) => logger.debug(line(parts)),
    warn: (...parts: unknown[]) => logger.warn(line(parts)),
    error: (...parts: unknown[]) => logger.error(line(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
