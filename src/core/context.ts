/**
 * The per-message context every middleware receives: the message, its conversation and
 * customer, and helpers that know where to answer.
 *
 * @module
 */
import {
  contentToText,
  type ContentInput,
  type Conversation,
  type Customer,
  type Message,
  type NluSnapshot,
  toContent,
} from '../model';
import { humanAvailability } from '../handoff/availability';
import { canMove, handoffLifecycle } from '../handoff/lifecycle';
import type { Logger } from '../observability/logger';
import type { ConversationPatch, Store } from '../store';
import type { ChannelAdapter, ChannelCapabilities } from './adapter';
import type { Bus } from './bus';
import type { OutboundDraft } from './outbox';
import type { HasSlots, StateSlot } from './state';

/** What a context needs from the running bot. */
export interface ContextRuntime {
  store: Store;
  bus: Bus;
  logger: Logger;
  botName: string;
  adapter(channel: string): ChannelAdapter | undefined;
  /** Stores an outgoing message and schedules its delivery (the outbox: {@link Outbox.enqueue}). */
  enqueue(draft: OutboundDraft): Promise<{ message: Message; created: boolean }>;
}

export interface ReplyOptions {
  /** Default `bot`. Operators' relays use `operator` with their display name. */
  author?: 'bot' | 'operator' | 'system';
  authorName?: string;
}

/** What {@link Context.handOff} needs: why, and optionally to whom and how urgently. */
export interface HandOffRequest {
  /** Shown to the operator as the card's title. */
  reason: string;
  /** A team from handoff.yml (an unknown one goes to its `default_team`). */
  team?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  /** What triggered it (default `code`). */
  source?: string;
}

/** How a bot builds its contexts: `Context` or a subclass of it (`new Bot({ context: MyContext })`). */
export type ContextConstructor<C extends Context = Context> = new (
  message: Message,
  conversation: Conversation,
  customer: Customer,
  runtime: ContextRuntime,
) => C;

export class Context implements HasSlots {
  /** Scratch space for the author's own middleware (not persisted). Modules talk through {@link Context.get} slots. */
  readonly state: Record<string, unknown> = {};
  /** What `hears()` matched in the text (undefined outside a `hears` handler). */
  match: RegExpMatchArray | undefined;
  private readonly slots = new Map<StateSlot<unknown>, unknown>();
  /** Set by the NLU middleware: intent, confidence, entities, sentiment. Stored with the message. */
  nlu: NluSnapshot | undefined;
  private replies = 0;

  constructor(
    /** The inbound message being handled (built-in middleware may normalise its content). */
    readonly message: Message,
    /** The conversation, as of now; {@link Context.updateConversation} keeps it current. */
    public conversation: Conversation,
    public customer: Customer,
    protected readonly runtime: ContextRuntime,
  ) {}

  /** The value in `slot` for this message, if a middleware set one (see `stateSlot`). */
  get<T>(slot: StateSlot<T>): T | undefined {
    return this.slots.get(slot as StateSlot<unknown>) as T | undefined;
  }

  /** Puts `value` in `slot` for the rest of this message's turn. */
  set<T>(slot: StateSlot<T>, value: T): void {
    this.slots.set(slot as StateSlot<unknown>, value);
  }

  /** The message's text (undefined for non-text content such as a button press). */
  get text(): string | undefined {
    return this.message.content.type === 'text' ? this.message.content.text : undefined;
  }

  /** The payload of a pressed button (undefined otherwise). */
  get payload(): string | undefined {
    return this.message.content.type === 'postback' ? this.message.content.payload : undefined;
  }

  get channel(): string {
    return this.message.channel;
  }

  /** What the message's channel can show (undefined when it has no adapter, as in some tests). */
  get capabilities(): ChannelCapabilities | undefined {
    return this.runtime.adapter(this.message.channel)?.capabilities;
  }

  get logger(): Logger {
    return this.runtime.logger;
  }

  get store(): Store {
    return this.runtime.store;
  }

  /**
   * Answers on the channel the message came from. The reply is stored first, then
   * delivered by the outbox (with retries). Idempotent per handled message: if the
   * process dies and the message is handled again, the same replies are not sent twice.
   *
   * ```ts
   * await ctx.reply('Your order has shipped.');
   * await ctx.reply({ type: 'text', text: 'Anything else?', quickReplies: [{ type: 'postback', title: 'No', payload: 'no' }] });
   * ```
   */
  async reply(input: ContentInput, options: ReplyOptions = {}): Promise<Message> {
    const content = toContent(input);
    if (content.type === 'typing') {
      this.typing(content.on);
      return this.message;
    }
    this.replies++;
    const { message } = await this.runtime.enqueue({
      conversationId: this.conversation.id,
      customerId: this.customer.id,
      author: options.author ?? 'bot',
      authorName: options.authorName ?? (options.author === 'system' ? 'System' : this.runtime.botName),
      channel: this.message.channel,
      content,
      idempotencyKey: `${this.message.id}:${this.replies}`,
      address: this.message.address ?? {},
      replyToId: this.message.id,
    });
    return message;
  }

  /** Shows (or hides) "typing…" where the channel supports it. Best effort, not stored. */
  typing(on = true): void {
    this.runtime.bus.publish({
      kind: 'typing',
      conversationId: this.conversation.id,
      customerId: this.customer.id,
      on,
      author: 'bot',
    });
    const adapter = this.runtime.adapter(this.message.channel);
    if (adapter?.sendTyping && this.message.address) {
      adapter.sendTyping(this.message.address, on).catch((error: unknown) => {
        this.logger.debug({ err: error, channel: this.channel }, 'typing indicator failed');
      });
    }
  }

  /**
   * Escalates the conversation to a person: it is queued for the named team (handoff.yml)
   * and the operator desk takes it from there. The flows' `handoff` step does the same. When
   * nobody can take it (no desk, or a desk without operators connected; see
   * `setHumanAvailability`) the customer is told so and the conversation stays with the bot.
   *
   * ```ts
   * bot.on('text', async (ctx, next) => {
   *   if (/refund/i.test(ctx.text ?? '')) return ctx.handOff({ reason: 'Refund request', team: 'returns', priority: 'high' });
   *   return next();
   * });
   * ```
   */
  async handOff(request: HandOffRequest): Promise<Conversation> {
    // Nobody works the queue (no desk, or no operator face): say so and keep the conversation,
    // rather than a place in a line nobody answers.
    const humans = humanAvailability(this);
    if (!humans.available) {
      await this.reply(humans.message);
      return this.conversation;
    }
    return this.updateConversation(
      handoffLifecycle.queue({
        reason: request.reason,
        team: request.team ?? 'support',
        priority: request.priority ?? 'normal',
        source: request.source ?? 'code',
        requestedAt: Date.now(),
        intent: this.nlu?.intent ?? null,
        flow: this.conversation.flow
          ? {
              flowId: this.conversation.flow.flowId,
              step: this.conversation.flow.step,
              slots: this.conversation.flow.slots,
            }
          : null,
      }),
    );
  }

  /** Persists a change to the conversation (status, flow state, data) and updates `ctx.conversation`. */
  async updateConversation(patch: ConversationPatch): Promise<Conversation> {
    const to = patch.status;
    if (to && to !== 'closed' && !canMove(this.conversation.status, to))
      this.logger.warn(
        { conversationId: this.conversation.id, from: this.conversation.status, to },
        'a handoff status change outside the lifecycle (see src/handoff/lifecycle.ts)',
      );
    this.conversation = await this.runtime.store.conversations.update(this.conversation.id, patch);
    return this.conversation;
  }
}
