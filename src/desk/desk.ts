/**
 * The operator desk: the bot's side of human handoff. Its face (where operators work: Slack)
 * is a plug-in, an {@link OperatorFace} from `adapters/slack/operator-desk`.
 *
 * - **Escalation.** A middleware around the bot notices a conversation becoming `queued`
 *   (a flow's handoff step, "talk to a person", repeated misunderstanding, a failed action,
 *   `ctx.handOff()`, or the desk's own triggers: negative sentiment, a bot error), puts it
 *   in the {@link HandoffQueue} and tells the customer their place in line.
 * - **Slack.** The card goes to the team's channel; its thread is the live conversation.
 *   Customer messages are relayed into the thread; operator replies go to the customer on
 *   whatever channel they use (`note:` keeps one internal); Claim, Transfer, Resolve and
 *   Hand back are buttons and `/switchboard` subcommands; the App Home shows the queue.
 * - **Nothing lost.** Every Slack call the desk makes is a row in the store first
 *   ({@link DeskStore}) and is made by the {@link DeskSender}: in order per conversation,
 *   retried through outages and rate limits, once. Operator replies to customers go through
 *   the message outbox, idempotent on the Slack message's ts (Slack retries its events).
 *
 * The queue is the truth about who has what; the conversation's status follows it
 * (`queued` ↔ waiting, `assigned` ↔ claimed), and {@link Desk.start} repairs the two after
 * a crash between them.
 *
 * This file is the coordinator: it starts and stops the desk, owns its state (the queue,
 * the outbox and its sender, the timers) and the Slack calls it stores, and hands its
 * modules one {@link DeskCore} (see `core.ts`) to work through:
 * - `middleware.ts`: the bot's side (relays, silence while assigned, ratings, the
 *   triggers, escalation);
 * - `actions.ts`: claim, transfer, resolve and hand back (with resume), replies, availability;
 * - `timers.ts`: what the SLA timers do;
 * - the face (`adapters/slack/operator-desk/`): `requests.ts`, events and clicks from Slack;
 *   `commands.ts`, `/switchboard`; `home.ts`, the App Home; `performer.ts`, outbox rows →
 *   Slack Web API calls; `blocks.ts`, the Block Kit it renders.
 *
 * @module
 */
import type { webApi } from '@slack/bolt';
import { Gauge } from '../observability/prom';
import type { BotService } from '../core/bot';
import type { Bot } from '../core/bot';
import type { Middleware } from '../core/composer';
import type { Context } from '../core/context';
import { SwitchboardError } from '../errors';
import type { FlowSet } from '../flows/types';
import {
  type DueTimer,
  type HandoffConfig,
  type HandoffQueue,
  type HandoffTimers,
  loadHandoffConfig,
  openHandoffQueue,
  type QueueEntry,
  startHandoffTimers,
} from '../handoff';
import type { ContentInput, Conversation, Message } from '../model';
import { SqlStore, type Store } from '../store';
import * as actions from './actions';
import type { DeskResult, ResolveOptions } from './actions';
import type { CardTrigger, DeskCore, OperatorFace } from './core';
import { deskMiddleware, escalate as escalateConversation } from './middleware';
import { DeskSender, type DeskSenderOptions, DeskStore } from './outbox';
import { handleTimer } from './timers';
import { handoffLifecycle } from '../handoff/lifecycle';

export interface DeskOptions {
  /** The bot folder (handoff.yml). */
  botDir: string;
  /** Parsed handoff.yml; default: read from `botDir` at start (no file: no desk). */
  config?: HandoffConfig;
  /**
   * The operators' face, from the channel they work in (the Slack adapter's `operatorFace()`);
   * without it the queue works and nobody is notified.
   */
  face?: OperatorFace;
  /**
   * Someone works the queue, so handoffs are queued (default: Slack is configured). Without
   * anyone, a customer asking for a person is told that nobody is available (handoff.yml's
   * `messages.unavailable`) and the bot stays in charge. `true` for a queue worked another way
   * (the desk's API, your own tool).
   */
  staffed?: boolean;
  /** The bot's flows, for "resolve and resume at a step". */
  flows?: () => FlowSet | undefined;
  /** REDIS_URL: the queue and its timers live in Redis. */
  redisUrl?: string;
  /** Their Redis key prefix (default `sb:handoff`): every process of one bot must use the same. */
  redisPrefix?: string;
  sender?: DeskSenderOptions;
  /** How often the SLA timers are checked (default 5 s). */
  timerIntervalMs?: number;
  /** Epoch ms (tests). */
  clock?: () => number;
}

// Defined in the desk's modules, exported from here as before (index.ts and tests import them from './desk').
export { type DeskResult, type ResolveOptions, slotsNeededFrom } from './actions';
export type { CardTrigger } from './core';

export class Desk implements BotService {
  readonly name = 'desk';
  private config: HandoffConfig | null = null;
  private queueImpl: HandoffQueue | undefined;
  private deskStore: DeskStore | undefined;
  private sender: DeskSender | undefined;
  private timers: HandoffTimers | undefined;
  private unregister: (() => void) | undefined;
  private readonly clock: () => number;
  /** What the desk's modules see of it (see {@link DeskCore}). */
  private readonly core: DeskCore;

  constructor(
    private readonly bot: Bot<Context>,
    private readonly options: DeskOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.core = this.coreView();
  }

  /** Live views of the desk's state and its Slack calls, for its modules. */
  private coreView(): DeskCore {
    const desk = this;
    return {
      get enabled() {
        return desk.enabled;
      },
      get config() {
        return desk.config as HandoffConfig;
      },
      get queue() {
        return desk.queue;
      },
      get outbox() {
        return desk.outbox;
      },
      get store() {
        return desk.store;
      },
      bot: this.bot,
      get slack() {
        return desk.sender !== undefined;
      },
      get staffed() {
        return desk.enabled && (desk.options.staffed ?? desk.options.face !== undefined);
      },
      get slackClient() {
        return desk.slackClient;
      },
      escape: (text) => this.options.face?.escape(text) ?? text,
      clock: () => this.clock(),
      flows: () => this.options.flows?.(),
      note: (conversationId, tag, text, broadcast, extra) =>
        this.note(conversationId, tag, text, broadcast, extra),
      updateCard: (conversationId, tag) => this.updateCard(conversationId, tag),
      postCard: (conversationId, team, tag, trigger) => this.postCard(conversationId, team, tag, trigger),
      relay: (conversationId, message) => this.relay(conversationId, message),
    };
  }

  /** True once started with a handoff.yml. */
  get enabled(): boolean {
    return this.config !== null && this.queueImpl !== undefined;
  }

  get queue(): HandoffQueue {
    if (!this.queueImpl) throw new Error('the desk is not started (or the bot has no handoff.yml)');
    return this.queueImpl;
  }

  /** The desk's durable Slack calls (tests, diagnostics). */
  get outbox(): DeskStore {
    if (!this.deskStore) throw new Error('the desk is not started');
    return this.deskStore;
  }

  private get store(): Store {
    return this.bot.store;
  }

  private get slackClient(): webApi.WebClient | undefined {
    return this.options.face && this.sender ? this.options.face.client : undefined;
  }

  async start(): Promise<void> {
    this.config = this.options.config ?? (await loadHandoffConfig(this.options.botDir));
    const config = this.config;
    if (!config) return;
    const store = this.store;
    if (!(store instanceof SqlStore)) {
      throw new SwitchboardError(
        'SB_CONFIG_INVALID',
        'The operator desk needs the SQL store (SQLite or PostgreSQL).',
      );
    }
    this.queueImpl = await openHandoffQueue({
      config,
      store,
      redisUrl: this.options.redisUrl,
      ...(this.options.redisPrefix && { prefix: this.options.redisPrefix }),
      ...(this.options.clock && { clock: this.options.clock }),
    });
    this.deskStore = new DeskStore(store.driver, this.clock);
    // SQLite has one process (the worker uses no leases either): the Slack calls a crashed
    // run was making are due now, not when their leases (default 60 s) run out.
    if (store.kind === 'sqlite') await this.deskStore.releaseLeases();
    const face = this.options.face;
    const logger = this.bot.logger.child({ component: 'desk' });
    if (face) {
      const channels = new Set(Object.values(config.teams).map((t) => t.channel));
      this.unregister = face.serve(this.core, (id) => channels.has(id));
      this.sender = new DeskSender(
        this.deskStore,
        (item) => face.perform(this.core, item),
        logger,
        this.options.sender,
      );
      if (!this.bot.config.PUBLIC_URL)
        logger.warn(
          "PUBLIC_URL is not set: links to files (an operator's files for customers, customers' photos in threads) point at this machine's own address, which customers and their platforms cannot reach",
        );
    } else {
      logger.warn(
        this.options.staffed
          ? 'handoff.yml is set but Slack is not (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): escalations are queued for the queue worked without Slack'
          : 'handoff.yml is set but Slack is not (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): no operator can answer, so customers asking for a person are told nobody is available and the bot carries on',
      );
    }
    await this.reconcile();
    this.sender?.start();
    this.registerMetrics();
    this.timers = await startHandoffTimers(this.queue, (timer) => handleTimer(this.core, timer), {
      redisUrl: this.options.redisUrl,
      ...(this.options.redisPrefix && { prefix: this.options.redisPrefix }),
      ...(this.options.timerIntervalMs !== undefined && { intervalMs: this.options.timerIntervalMs }),
      onError: (error, timer) =>
        logger.warn({ err: error, kind: timer?.kind }, 'desk: timer handling failed; will retry'),
    });
    logger.info(
      { teams: Object.keys(config.teams), operators: config.operators.length, slack: Boolean(face) },
      'desk: ready',
    );
  }

  /** `/metrics`: who waits per team, and the desk's Slack calls not made yet. */
  private registerMetrics(): void {
    const registry = this.bot.metrics.registry;
    if (registry.getSingleMetric('switchboard_handoff_waiting')) return;
    const desk = this;
    new Gauge({
      name: 'switchboard_handoff_waiting',
      help: 'Conversations waiting for an operator, by team.',
      labelNames: ['team'],
      registers: [registry],
      async collect() {
        if (!desk.queueImpl || !desk.config) return;
        const waiting = await desk.queueImpl.listWaiting(undefined, 10_000);
        for (const team of Object.keys(desk.config.teams))
          this.set({ team }, waiting.filter((e) => e.team === team).length);
      },
    });
    new Gauge({
      name: 'switchboard_desk_backlog',
      help: "The desk's Slack calls (cards, relays, notices) stored and not yet made.",
      registers: [registry],
      async collect() {
        if (desk.deskStore) this.set(await desk.deskStore.pendingCount());
      },
    });
  }

  async stop(): Promise<void> {
    this.options.face?.stop();
    await this.timers?.stop();
    await this.sender?.stop();
    this.unregister?.();
    await this.queueImpl?.close();
    this.timers = undefined;
    this.sender = undefined;
    this.queueImpl = undefined;
  }

  /** Resolves when the desk's due Slack calls are made (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.sender?.idle();
  }

  /** Runs the SLA timers due now (tests move the clock instead of waiting). */
  async sweepTimers(now?: number): Promise<DueTimer[]> {
    const fired = await this.queue.dueTimers(now);
    for (const timer of fired) await handleTimer(this.core, timer);
    return fired;
  }

  // ---------------------------------------------------------------- the bot's side (middleware.ts)

  /**
   * The middleware, installed before the bot's own behaviour: relays while a person is
   * involved, keeps the bot silent while one owns the conversation, takes ratings, and
   * escalates what the behaviour (or a trigger) hands off. See `middleware.ts`.
   */
  middleware(): Middleware<Context> {
    return deskMiddleware(this.core);
  }

  /**
   * Puts a `queued` conversation in the queue: the team's card and transcript, the
   * customer's place in line. Idempotent (crash recovery runs it again).
   */
  escalate(conversation: Conversation, trigger?: CardTrigger): Promise<QueueEntry> {
    return escalateConversation(this.core, conversation, trigger);
  }

  // ---------------------------------------------------------------- operator actions (actions.ts)

  /** An operator takes a waiting conversation. */
  claim(conversationId: string, operatorId: string): Promise<DeskResult> {
    return actions.claim(this.core, conversationId, operatorId);
  }

  /** To another team: a new card in that team's channel, the old one marked. */
  transfer(conversationId: string, team: string, operatorId: string | null): Promise<DeskResult> {
    return actions.transfer(this.core, conversationId, team, operatorId);
  }

  /**
   * Done (Resolve) or back to the bot (Hand back): the bot answers again. `operatorId` must
   * be an operator in handoff.yml (anyone else is refused, as in Slack).
   */
  resolve(conversationId: string, operatorId: string, options: ResolveOptions): Promise<DeskResult> {
    return actions.resolve(this.core, conversationId, operatorId, options);
  }

  /** An operator's thread reply (text or media): to the customer (claiming a waiting conversation on the way). */
  operatorReply(
    conversationId: string,
    operatorId: string,
    content: ContentInput,
    idempotencyKey: string,
  ): Promise<DeskResult> {
    return actions.operatorReply(this.core, conversationId, operatorId, content, idempotencyKey);
  }

  setAvailability(operatorId: string, availability: 'available' | 'away'): Promise<DeskResult> {
    return actions.setAvailability(this.core, operatorId, availability);
  }

  // ---------------------------------------------------------------- Slack out (stored first, then sent)

  /** A new card in `team`'s channel, with the transcript so far in its thread. */
  private async postCard(
    conversationId: string,
    team: string,
    tag: string,
    trigger?: CardTrigger,
  ): Promise<void> {
    this.options.face?.refresh();
    if (!this.sender) return;
    const last = (await this.store.messages.list(conversationId)).at(-1);
    await this.outbox.addAll(conversationId, [
      { key: `card:${conversationId}:${tag}`, kind: 'card', payload: { team, ...(trigger && { trigger }) } },
      {
        key: `transcript:${conversationId}:${tag}`,
        kind: 'transcript',
        payload: { uptoSeq: last?.seq ?? 0 },
      },
    ]);
    this.sender.notify();
  }

  /** A customer message while a person is involved: into the thread, exactly once. */
  private async relay(conversationId: string, message: Message): Promise<void> {
    if (!this.sender) return;
    await this.outbox.add(conversationId, `relay:${message.id}`, 'relay', { messageId: message.id });
    this.sender.notify();
  }

  /** A notice in the conversation's current thread (`broadcast`: also to the channel). */
  private async note(
    conversationId: string,
    tag: string,
    text: string,
    broadcast = false,
    extra: { linkPrevious?: boolean } = {},
  ): Promise<void> {
    if (!this.sender) return;
    await this.outbox.add(conversationId, `note:${conversationId}:${tag}`, 'notice', {
      text,
      broadcast,
      ...extra,
    });
    this.sender.notify();
  }

  /** The card re-rendered in its current state; the App Homes follow. */
  private async updateCard(conversationId: string, tag: string): Promise<void> {
    this.options.face?.refresh();
    if (!this.sender) return;
    await this.outbox.add(conversationId, `update:${conversationId}:${tag}`, 'update_card', {});
    this.sender.notify();
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Repairs what a crash between two writes can leave: a `queued` conversation not in the
   * queue (enqueue it), a queue entry whose conversation went back to the bot (cancel it),
   * an `assigned` conversation whose entry is gone (give it back to the bot).
   */
  private async reconcile(): Promise<void> {
    const store = this.store;
    for (const conversation of await store.conversations.listByStatus('queued', 10_000)) {
      const entry = await this.queue.get(conversation.id);
      if (!entry) await this.escalate(conversation);
      else if (entry.state === 'claimed')
        await store.conversations.update(conversation.id, handoffLifecycle.assign());
    }
    for (const conversation of await store.conversations.listByStatus('assigned', 10_000)) {
      const entry = await this.queue.get(conversation.id);
      if (!entry) await store.conversations.update(conversation.id, handoffLifecycle.release());
      else if (entry.state === 'waiting')
        await store.conversations.update(conversation.id, handoffLifecycle.requeue());
    }
    for (const entry of await this.queue.listWaiting(undefined, 10_000)) {
      const conversation = await store.conversations.get(entry.conversationId);
      if (!conversation || conversation.status === 'bot' || conversation.status === 'closed')
        await this.queue.cancel(entry.conversationId);
    }
  }
}
