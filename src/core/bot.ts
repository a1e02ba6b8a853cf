/**
 * The bot: a {@link Composer} of middleware plus everything that runs it — the store,
 * the channel adapters, the HTTP server, the inbox, the conversation worker and the
 * outbox.
 *
 * ```ts
 * const bot = new Bot({ adapters: [new WebAdapter()] });
 * bot.on('text', (ctx) => ctx.reply(`You said: ${ctx.text}`));
 * await bot.start(); // http://127.0.0.1:3000
 * ```
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { type Config, loadConfig } from '../config';
import { SwitchboardError, asError } from '../errors';
import { type Logger, createLogger } from '../observability/logger';
import { type Metrics, createMetrics } from '../observability/metrics';
import { CustomerEnricher, type EnrichReason, type EnrichResult, type ProfileProvider } from '../crm';
import { type ProactiveMessage, type ProactiveResult, sendProactive } from '../proactive';
import { adminApiOff, adminRouter } from '../server/admin';
import type { ReviewContent } from '../review/service';
import { consoleRouter } from '../console';
import { MediaLinks } from '../media/links';
import { mountMediaRoute } from '../media/route';
import { createHttpServer, type HttpParts } from '../server/http';
import {
  type ConversationHistory,
  type ConversationSearch,
  type ConversationSummary,
  openStore,
  type Store,
} from '../store';
import type { ChannelAdapter } from './adapter';
import { type Bus, LocalBus, RedisBus } from './bus';
import { Composer, type Middleware } from './composer';
import { identityLinking } from '../identity/middleware';
import { linkingSettings } from '../identity/linking';
import { numberedReplies } from './numbered-replies';
import type { Context, ContextConstructor, ContextRuntime, ReplyOptions } from './context';
import { type ContentInput, contentToText, type Customer, type Message, toContent } from '../model';
import { type OptOutOptions, optOutMiddleware, recordOptOut } from './opt-out';
import { Inbox } from './inbox';
import { Outbox, type OutboxOptions } from './outbox';
import { ConversationWorker, type ErrorHandler, type WorkerOptions } from './worker';

export interface BotOptions<C extends Context = Context> {
  /**
   * The class of the bot's contexts: a subclass of `Context` with the bot's own helpers
   * (`class ShopContext extends Context { get orderId() {…} }`). Handlers of a `Bot<ShopContext>`
   * receive instances of it. Default `Context`.
   */
  context?: ContextConstructor<C>;
  /** Default: read from the environment. */
  config?: Config;
  /** Default: opened from the config (PostgreSQL with DATABASE_URL, else SQLite in DATA_DIR). */
  store?: Store;
  logger?: Logger;
  /** Default: an in-process bus, or Redis pub/sub with REDIS_URL. */
  bus?: Bus;
  adapters?: ChannelAdapter[];
  outbox?: Partial<OutboxOptions>;
  worker?: Partial<Pick<WorkerOptions, 'sweepIntervalMs' | 'leaseMs' | 'useLeases'>>;
  /**
   * Looks customers up in your CRM on first contact and when {@link Bot.enrichCustomer} is
   * called (the desk does on handoff); the data lands on `customer.profile.crm`.
   */
  profileProvider?: ProfileProvider;
  /**
   * The built-in opt-out keywords (STOP / START…) and their confirmations; `false` turns
   * them off. Keywords default to OPT_OUT_KEYWORDS / OPT_IN_KEYWORDS.
   */
  optOut?: OptOutOptions | false;
}

export type { ConversationHistory } from '../store';

/**
 * Something that runs alongside the bot (the operator desk): started once the store, the
 * channels and the HTTP server are up and before pending messages are handled; stopped
 * after in-flight work has finished, before the store closes.
 */
export interface BotService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class Bot<C extends Context = Context> extends Composer<C> {
  readonly config: Config;
  readonly logger: Logger;
  private readonly adapters = new Map<string, ChannelAdapter>();
  private readonly services: BotService[] = [];
  private errorHandler: ErrorHandler = () => {};
  private running:
    | {
        store: Store;
        bus: Bus;
        http: HttpParts;
        inbox: Inbox;
        worker: ConversationWorker;
        outbox: Outbox;
        metrics: Metrics;
        enricher: CustomerEnricher;
        media: MediaLinks;
        ownsStore: boolean;
        ownsBus: boolean;
      }
    | undefined;
  private shuttingDown = false;
  /** The bot folder's intents and NLU, for the review inbox (set by `createSwitchboard`). */
  reviewContent: ReviewContent | undefined;

  private readonly options: BotOptions<C>;

  /** A `Bot<MyContext>` needs `context: MyContext` (else its handlers would get plain contexts). */
  constructor(
    ...[options]: Context extends C
      ? [options?: BotOptions<C>]
      : [options: BotOptions<C> & { context: ContextConstructor<C> }]
  ) {
    // Built in, first: a typed "2" answering a numbered menu becomes that button's postback.
    super(numberedReplies as Middleware<C>);
    this.options = options ?? {};
    this.config = this.options.config ?? loadConfig();
    this.logger = this.options.logger ?? createLogger({ level: this.config.LOG_LEVEL });
    // Built in, before the bot's own middleware: link codes are answered here (the inbox
    // redeemed them) and never reach the flows; "continue on telegram" gets a link.
    this.use(
      identityLinking({
        settings: linkingSettings(this.config),
        config: this.config,
        adapter: (channel) => this.adapters.get(channel),
      }) as Middleware<C>,
    );
    if (this.options.optOut !== false) {
      const keywords = this.options.optOut?.keywords ?? this.config.OPT_OUT_KEYWORDS;
      const optInKeywords = this.options.optOut?.optInKeywords ?? this.config.OPT_IN_KEYWORDS;
      // An empty OPT_OUT_KEYWORDS turns opt-out by keyword off.
      if (keywords === undefined || keywords.length > 0) {
        this.use(
          optOutMiddleware({
            ...this.options.optOut,
            ...(keywords !== undefined && { keywords }),
            ...(optInKeywords !== undefined && { optInKeywords }),
          }) as Middleware<C>,
        );
      }
    }
    for (const adapter of this.options.adapters ?? []) this.addAdapter(adapter);
  }

  /** Adds a channel. Call before {@link Bot.start}. */
  addAdapter(adapter: ChannelAdapter): this {
    if (this.running) throw new Error('add adapters before start()');
    if (this.adapters.has(adapter.channel)) throw new Error(`channel ${adapter.channel} added twice`);
    this.adapters.set(adapter.channel, adapter);
    return this;
  }

  /** The channel adapter for `channel`, if configured. */
  adapter(channel: string): ChannelAdapter | undefined {
    return this.adapters.get(channel);
  }

  /** Adds a service started and stopped with the bot. Call before {@link Bot.start}. */
  addService(service: BotService): this {
    if (this.running) throw new Error('add services before start()');
    this.services.push(service);
    return this;
  }

  /**
   * Called when middleware throws (after the error is logged and recorded on the
   * conversation). Use it to apologise to the customer or escalate.
   */
  catch(handler: ErrorHandler): this {
    this.errorHandler = handler;
    return this;
  }

  get store(): Store {
    return this.need().store;
  }

  get bus(): Bus {
    return this.need().bus;
  }

  get inbox(): Inbox {
    return this.need().inbox;
  }

  /** Outbound delivery: enqueue, receipts, retries (see {@link Outbox}). */
  get outbox(): Outbox {
    return this.need().outbox;
  }

  get metrics(): Metrics {
    return this.need().metrics;
  }

  /** Signed links to media kept on a platform (`GET /media/<token>`), after start. */
  get media(): MediaLinks {
    return this.need().media;
  }

  /** The base URL the server listens on (after start). */
  get url(): string {
    const address = this.need().http.server.address() as AddressInfo | null;
    if (!address) throw new Error('server is not listening');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  }

  /** Opens the store, starts the channels and the HTTP server, and resumes pending work. */
  async start(): Promise<this> {
    if (this.running) return this;
    const { config, logger } = this;
    const ownsStore = !this.options.store;
    const store =
      this.options.store ??
      (await openStore({
        databaseUrl: config.DATABASE_URL,
        dataDir: config.dataDir,
        warn: (message, error) => logger.warn({ err: error }, message),
      }));
    const ownsBus = !this.options.bus;
    let bus: Bus;
    try {
      bus =
        this.options.bus ?? (config.REDIS_URL ? await RedisBus.connect(config.REDIS_URL) : new LocalBus());
    } catch (error) {
      if (ownsStore) await store.close();
      throw new SwitchboardError(
        'SB_STORE_UNAVAILABLE',
        `Cannot connect to Redis (REDIS_URL): ${asError(error).message}`,
      );
    }
    const metrics = createMetrics({
      outboxBacklog: () => store.messages.countPendingDelivery(),
      storeStats: () => store.stats,
    });
    const http = createHttpServer({
      store,
      metrics,
      logger,
      trustProxy: config.TRUST_PROXY,
      isShuttingDown: () => this.shuttingDown,
      downDependency: () => (bus.ready?.() === false ? 'Redis (REDIS_URL)' : null),
    });
    const outbox = new Outbox(store, this.adapters, bus, metrics, logger, {
      concurrency: config.OUTBOX_CONCURRENCY,
      maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
      ...this.options.outbox,
    });
    const runtime: ContextRuntime = {
      store,
      bus,
      logger,
      botName: config.BOT_NAME,
      adapter: (channel) => this.adapters.get(channel),
      enqueue: (draft) => outbox.enqueue(draft),
    };
    const handler = this.middleware();
    const enricher = new CustomerEnricher(store, this.options.profileProvider, logger, config.CRM_TIMEOUT_MS);
    const worker = new ConversationWorker(
      store,
      runtime,
      // The worker builds every context with `options.context`: a C.
      async (ctx) => {
        await handler(ctx as C, async () => {});
      },
      (error, ctx) => this.errorHandler(error, ctx),
      metrics,
      logger,
      {
        ...(this.options.context && { context: this.options.context }),
        useLeases: store.kind === 'postgres',
        ...this.options.worker,
        // A new customer's CRM lookup gets a head start on their first reply (bounded by CRM_TIMEOUT_MS).
        ...(enricher.enabled && { beforeHandle: (message: Message) => enricher.pending(message.customerId) }),
      },
    );
    const inbox = new Inbox(
      store,
      bus,
      metrics,
      (id) => worker.notify(id),
      enricher.enabled ? (customerId) => enricher.firstContact(customerId) : undefined,
      linkingSettings(config),
      // A customer writing after a channel's messaging window closed: what a template stood in for goes out.
      {
        windowHours: (channel) => this.adapters.get(channel)?.capabilities.messageWindowHours,
        reopened: (channel, address) =>
          outbox
            .windowReopened(channel, address)
            .catch((error: unknown) =>
              logger.warn({ err: error, channel }, 'releasing a held message failed'),
            ),
      },
    );
    let media: MediaLinks;
    try {
      // Without PUBLIC_URL, links point where the server actually listens (PORT=0 in tests).
      media = await MediaLinks.open(store.kv, config.MEDIA_SECRET, () =>
        config.PUBLIC_URL ? config.publicUrl : this.url,
      );
    } catch (error) {
      if (ownsBus) await bus.close();
      if (ownsStore) await store.close();
      throw error;
    }
    this.running = { store, bus, http, inbox, worker, outbox, metrics, enricher, media, ownsStore, ownsBus };

    // What is up so far: a step that fails (a channel, a service such as the desk) stops
    // these again, so a failed start leaves nothing listening and the store closed.
    const started = { adapters: [] as ChannelAdapter[], services: [] as BotService[], listening: false };
    try {
      mountMediaRoute(http.router, media, (channel) => this.adapters.get(channel), logger);
      if (config.ADMIN_API_TOKEN) {
        http.router.use(
          '/api/v1',
          adminRouter({
            token: config.ADMIN_API_TOKEN,
            store,
            sendProactive: (message) => this.sendProactive(message),
            setOptOut: (customerId, optedOut) => this.setOptOut(customerId, optedOut),
            searchConversations: (query) => this.searchConversations(query),
            conversationHistory: (id) => this.conversationHistory(id),
            enrichCustomer: (customerId, reason) => this.enrichCustomer(customerId, reason),
            review: this.reviewContent,
          }),
        );
        http.router.use(
          '/console',
          consoleRouter({
            token: config.ADMIN_API_TOKEN,
            store,
            secure: config.publicUrl.startsWith('https:'),
          }),
        );
      }

      for (const adapter of this.adapters.values()) {
        started.adapters.push(adapter);
        await adapter.start({
          router: http.router,
          httpServer: http.server,
          direct: http.direct,
          sendError: http.sendError,
          inbox,
          outbox,
          store,
          bus,
          config,
          logger,
        });
      }
      if (!config.ADMIN_API_TOKEN) {
        // Mounted after the channels: a route of theirs under /api/v1 is not shadowed.
        http.router.use('/api/v1', adminApiOff());
        logger.info('the admin API (/api/v1) is off: set ADMIN_API_TOKEN to turn it on');
      }
      await new Promise<void>((resolve, reject) => {
        http.server.once('error', reject);
        http.server.listen(config.PORT, config.HOST, () => {
          http.server.off('error', reject);
          started.listening = true;
          resolve();
        });
      });
      for (const service of this.services) {
        // Pushed first: a service that fails half-way is stopped too (its stop tolerates that).
        started.services.push(service);
        await service.start();
      }
      await worker.start();
      outbox.start();
    } catch (error) {
      await this.abortStart(started);
      throw error;
    }
    logger.info(
      {
        url: this.url,
        store: store.kind,
        channels: [...this.adapters.keys()],
        scale: Boolean(config.REDIS_URL),
      },
      'switchboard is running',
    );
    return this;
  }

  /**
   * Undoes a start that failed part-way: stops what was started (services, worker, outbox,
   * channels), closes the server if it listens, the bus and the store if the bot opened
   * them. Problems while undoing are logged: the start's own error is the one that matters.
   */
  private async abortStart(started: {
    adapters: ChannelAdapter[];
    services: BotService[];
    listening: boolean;
  }): Promise<void> {
    const running = this.running;
    if (!running) return;
    const { http, worker, outbox, store, bus } = running;
    const warn = (what: string) => (error: unknown) =>
      this.logger.warn({ err: error }, `after a failed start: ${what} failed`);
    // In the order of stop(): the channels (no new messages), the work, then the services.
    for (const adapter of [...started.adapters].reverse())
      await adapter.stop().catch(warn(`stopping the ${adapter.channel} channel`));
    await worker.stop().catch(warn('stopping the worker'));
    await outbox.stop().catch(warn('stopping the outbox'));
    for (const service of [...started.services].reverse())
      await service.stop().catch(warn(`stopping the ${service.name} service`));
    if (started.listening || http.server.listening) {
      const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections();
      await closed;
    }
    if (running.ownsBus) await bus.close().catch(warn('closing the bus'));
    if (running.ownsStore) await store.close().catch(warn('closing the store'));
    this.running = undefined;
  }

  /**
   * Graceful stop: refuses new requests, lets in-flight messages and deliveries finish
   * (up to SHUTDOWN_TIMEOUT_MS), then closes everything.
   */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running || this.shuttingDown) return;
    this.shuttingDown = true;
    const { http, worker, outbox, store, bus } = running;
    const closed = new Promise<void>((resolve) => http.server.close(() => resolve()));
    http.server.closeIdleConnections();
    const drain = (async () => {
      for (const adapter of this.adapters.values()) await adapter.stop().catch(() => {});
      await worker.stop();
      await outbox.stop();
      for (const service of [...this.services].reverse()) {
        await service
          .stop()
          .catch((error: unknown) =>
            this.logger.warn({ err: error, service: service.name }, 'service stop failed'),
          );
      }
    })();
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), this.config.SHUTDOWN_TIMEOUT_MS).unref(),
    );
    if ((await Promise.race([drain, timeout])) === 'timeout') {
      this.logger.warn('shutdown timed out; unfinished work resumes on the next start');
    }
    http.server.closeAllConnections();
    await closed;
    if (running.ownsBus) await bus.close();
    if (running.ownsStore) await store.close();
    this.running = undefined;
    this.shuttingDown = false;
    this.logger.info('switchboard stopped');
  }

  /**
   * Posts a message into a conversation from outside a turn: an operator's reply, a
   * proactive notice. It goes to the channel the customer used last (or `channel`, if
   * the customer has an identity there), is stored, then delivered by the outbox.
   *
   * ```ts
   * await bot.send(conversationId, 'Your parcel has shipped.', { author: 'system' });
   * ```
   */
  async send(
    conversationId: string,
    input: ContentInput,
    options: ReplyOptions & { channel?: string; idempotencyKey?: string } = {},
  ): Promise<Message> {
    return (await this.post(conversationId, input, options)).message;
  }

  /**
   * Writes first: a proactive message to a customer ("your order has shipped", a
   * follow-up after a human chat), into their open conversation or a new one, on a
   * channel that allows it now (messaging windows, templates, opt-outs: see
   * `src/proactive`). Throws a {@link ProactiveError} (`opted_out` / `unreachable`) when
   * it cannot go out, and SB_NOT_FOUND for an unknown recipient.
   *
   * ```ts
   * const { conversationId, channel, via } = await bot.sendProactive({
   *   to: { customerId }, content: 'Your order ORD-10001 has shipped.', idempotencyKey: 'ship-ORD-10001',
   * });
   * ```
   */
  async sendProactive(message: ProactiveMessage): Promise<ProactiveResult> {
    const { store } = this.need();
    return sendProactive(
      {
        store,
        adapter: (channel) => this.adapters.get(channel),
        send: (conversationId, content, options) => this.post(conversationId, content, options),
      },
      message,
    );
  }

  /**
   * Opts a customer out of proactive messages (or back in), as writing STOP / START
   * does. Recorded on `customer.attributes.optedOut` and as an event.
   */
  async setOptOut(customerId: string, optedOut: boolean): Promise<Customer> {
    const { store } = this.need();
    if (!(await store.customers.get(customerId)))
      throw new SwitchboardError('SB_NOT_FOUND', `customer ${customerId} does not exist`);
    return recordOptOut(store, customerId, optedOut, { via: 'api' });
  }

  /**
   * Looks the customer up with the profile provider now and stores the result on
   * `customer.profile.crm` (the desk calls this on handoff, so the card shows fresh
   * data). Resolves within CRM_TIMEOUT_MS; the provider's failures are in the result,
   * not thrown.
   */
  enrichCustomer(customerId: string, reason: EnrichReason = 'api'): Promise<EnrichResult> {
    return this.need().enricher.enrich(customerId, reason);
  }

  /**
   * Finds past and current conversations by text, channel, outcome, sentiment or
   * customer, most recently active first (what `GET /api/v1/conversations` and the desk's
   * search run).
   *
   * ```ts
   * const hits = await bot.searchConversations({ text: 'refund', outcome: 'resolved', sentiment: 'negative' });
   * ```
   */
  searchConversations(query: ConversationSearch): Promise<ConversationSummary[]> {
    return this.need().store.conversations.search(query);
  }

  /** A conversation's summary, transcript (each message with its channel) and event log; null if unknown. */
  async conversationHistory(conversationId: string): Promise<ConversationHistory | null> {
    const { store } = this.need();
    const conversation = await store.conversations.get(conversationId);
    if (!conversation) return null;
    const [messages, events, summary] = await Promise.all([
      store.messages.list(conversationId),
      store.events.list(conversationId),
      store.conversations.search({ conversationId, limit: 1 }),
    ]);
    const found = summary[0];
    if (!found) return null;
    return {
      conversation: found,
      handoff: conversation.handoff,
      flow: conversation.flow ? { id: conversation.flow.flowId, step: conversation.flow.step } : null,
      messages,
      events,
    };
  }

  private async post(
    conversationId: string,
    input: ContentInput,
    options: ReplyOptions & { channel?: string; idempotencyKey?: string },
  ): Promise<{ message: Message; created: boolean }> {
    const { store, outbox } = this.need();
    const conversation = await store.conversations.get(conversationId);
    if (!conversation)
      throw new SwitchboardError('SB_NOT_FOUND', `conversation ${conversationId} does not exist`);
    const identity = options.channel
      ? (await store.identities.listByCustomer(conversation.customerId))
          .filter((i) => i.channel === options.channel)
          .sort((a, b) => (b.lastInboundAt ?? 0) - (a.lastInboundAt ?? 0))[0]
      : await store.identities.get(conversation.lastIdentityId);
    if (!identity) {
      throw new SwitchboardError(
        'SB_NOT_FOUND',
        `the customer of conversation ${conversationId} has no identity on ${options.channel ?? conversation.lastChannel}`,
      );
    }
    const content = toContent(input);
    const author = options.author ?? 'bot';
    return outbox.enqueue({
      conversationId,
      customerId: conversation.customerId,
      author,
      authorName: options.authorName ?? (author === 'system' ? 'System' : this.config.BOT_NAME),
      channel: identity.channel,
      content,
      address: identity.address,
      ...(options.idempotencyKey !== undefined && { idempotencyKey: options.idempotencyKey }),
    });
  }

  /** Resolves when every accepted message is handled and every due delivery done (tests, benchmarks). */
  async idle(): Promise<void> {
    const { worker, outbox } = this.need();
    await worker.idle();
    await outbox.idle();
  }

  private need() {
    if (!this.running) throw new Error('the bot is not started');
    return this.running;
  }
}
