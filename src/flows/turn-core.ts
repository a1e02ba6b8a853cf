/**
 * The state of one turn of the flow engine (one customer message): the conversation's flow
 * state and repair memory as of now, what the turn decided (a handoff, a release), and what
 * every part of a turn does (say, record an event, build the template scope, write the outcome
 * once at the end). The behaviour is layered on it: `steps.ts` (running a flow's steps),
 * `repair.ts` (commands, not understood, handoffs), `turn.ts` (where a message goes).
 *
 * @module
 */
import type { Context } from '../core/context';
import { queuePlace } from '../handoff/availability';
import type { Customer, FlowState, PostbackButton } from '../model';
import type { KnowledgeAnswerer } from '../knowledge';
import type { IntentSet, NluEngine, NluResult } from '../nlu';
import type { Store } from '../store';
import type { LocaleSettings } from '../util/locale-format';
import { type Expression, LOCALE } from './expression';
import { type YesNo, yesNoOf } from './signals';
import type { Template } from './template';
import type { Action, FlowDefinition, FlowSet, MessageKey } from './types';
import { handoffLifecycle } from '../handoff/lifecycle';

/** What a turn needs of the engine (`FlowEngine` in engine.ts is one). */
export interface TurnEngine {
  readonly flows: FlowSet;
  readonly locale: LocaleSettings;
  readonly options: FlowEngineOptions;
  resolve(state: Pick<FlowState, 'flowId' | 'flowVersion'>): FlowDefinition | undefined;
  remember(flow: FlowDefinition): void;
  answerFor(intent: string): string[] | undefined;
  template(source: string): Template;
  expression(source: string): Expression;
  message(key: MessageKey): string;
  readonly extractOptions: { language: string; timeZone: string; locale: string; currency?: string };
}

export interface FlowEngineOptions {
  flows: FlowSet;
  intents?: IntentSet;
  nlu?: NluEngine;
  actions?: Record<string, Action>;
  /** Where flow versions are kept so conversations finish the version they started on. */
  versionsDir?: string;
  /** Default timeout of `call` steps, ms. */
  actionTimeoutMs?: number;
  /** Answers from the bot's `knowledge/` documents when nothing else does, and runs `knowledge` steps. */
  knowledge?: KnowledgeAnswerer;
}

/** Where the engine keeps its own memory on the conversation (`conversation.data`). */
export const DATA_KEY = 'flowEngine';
export interface RepairMemory {
  /** Out-of-scope messages in a row. */
  oos?: number;
  /** The bot asked "would you like to talk to a person?". */
  pending?: 'human';
  /** The last flow that finished (or handed off), with its slots: for tests, operators and analytics. */
  last?: { flowId: string; slots: Record<string, unknown> };
  /** Messages from the customer while queued since the last "you're in the queue" (absent: none yet). */
  queued?: number;
}

export interface StepData {
  awaiting?: 'ask' | 'choice' | 'resume';
  retries?: number;
}

export const MAX_STEPS_PER_MESSAGE = 100;
/** While queued, the "you're in the queue" reminder goes out at most once per this many messages. */
export const QUEUE_REMINDER_EVERY = 4;

export abstract class TurnCore {
  protected state: FlowState | null;
  protected readonly memory: RepairMemory;
  protected handoff: Record<string, unknown> | null = null;
  /** The customer left the queue: the conversation goes back to the bot. */
  protected released = false;
  protected steps = 0;
  /** Slots whose value, given up front, failed `validate:`: their question says so. */
  protected readonly rejected = new Set<string>();
  /** The flow this message last ran in, and its slots (kept when it finishes). */
  protected lastSeen: { flowId: string; slots: Record<string, unknown> } | undefined;

  constructor(
    protected readonly engine: TurnEngine,
    protected readonly ctx: Context,
    protected readonly nlu: NluResult | undefined,
  ) {
    this.state = ctx.conversation.flow ? structuredClone(ctx.conversation.flow) : null;
    this.memory = { ...((ctx.conversation.data[DATA_KEY] as RepairMemory | undefined) ?? {}) };
  }

  protected get text(): string | undefined {
    return this.ctx.text?.trim();
  }

  /**
   * The message as an answer: its text, or for a button press its title (what the customer saw
   * and pressed; the payload when there is no title). A stale button from an earlier question is
   * taken as if its title had been typed.
   */
  protected get answerText(): string | undefined {
    if (this.ctx.text !== undefined) return this.ctx.text.trim();
    const content = this.ctx.message.content;
    if (content.type !== 'postback') return undefined;
    return (content.title ?? content.payload)?.trim();
  }

  protected get intent(): string | null {
    return this.nlu?.intent ?? null;
  }

  /** A conversation event (`store.events`), for the desk and analytics. Best effort. */
  protected async recordEvent(type: string, data: Record<string, unknown>): Promise<void> {
    // Context keeps the store to itself; the event log is reached through it until Context offers it.
    const store = (this.ctx as unknown as { runtime?: { store?: Store } }).runtime?.store;
    try {
      await store?.events.add(this.ctx.conversation.id, type, data);
    } catch (error) {
      this.ctx.logger.warn({ err: error, type }, 'could not record a conversation event');
    }
    // The data can hold the customer's own words (a handoff reason): at info level only
    // which event it was; the data at debug, which operators turn on deliberately.
    this.ctx.logger.info({ conversationId: this.ctx.conversation.id, type }, 'conversation event');
    this.ctx.logger.debug(
      { conversationId: this.ctx.conversation.id, type, ...data },
      'conversation event data',
    );
  }

  protected yesNo(): YesNo | undefined {
    return yesNoOf(this.text ?? '', this.intent, this.ctx.payload);
  }

  protected yesNoButtons(): PostbackButton[] {
    return [
      { type: 'postback', title: this.engine.message('yes'), payload: 'sb:yes' },
      { type: 'postback', title: this.engine.message('no'), payload: 'sb:no' },
    ];
  }

  protected async say(
    text: string,
    quickReplies?: PostbackButton[],
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const rendered = this.engine.template(text).render(this.scope(extra));
    await this.ctx.reply(quickReplies ? { type: 'text', text: rendered, quickReplies } : rendered);
  }

  scope(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      [LOCALE]: this.engine.locale,
      slots: this.state?.slots ?? {},
      customer: customerScope(this.ctx.customer),
      nlu: this.nlu
        ? {
            intent: this.nlu.intent,
            confidence: this.nlu.confidence,
            sentiment: this.nlu.sentiment,
            entities: this.nlu.entities.map((e) => ({ entity: e.entity, value: e.value, text: e.text })),
          }
        : {},
      message: { text: this.ctx.text ?? '', channel: this.ctx.channel, payload: this.ctx.payload },
      flow: this.state ? { id: this.state.flowId, step: this.state.step } : {},
      queue: this.ctx.get(queuePlace) ?? {},
      ...extra,
    };
  }

  /** Writes the outcome once: flow state, repair memory, and the handoff if any. */
  async commit(): Promise<void> {
    const conversation = this.ctx.conversation;
    const seen = this.lastSeen;
    if (
      seen &&
      (!this.state || this.state.flowId !== seen.flowId || this.state.data?.awaiting === 'resume')
    ) {
      this.memory.last = structuredClone(seen);
    }
    const data = { ...conversation.data, [DATA_KEY]: this.memory };
    const changed =
      JSON.stringify(this.state) !== JSON.stringify(conversation.flow) ||
      JSON.stringify(data) !== JSON.stringify(conversation.data) ||
      this.handoff !== null ||
      this.released;
    if (!changed) return;
    await this.ctx.updateConversation({
      flow: this.state,
      data,
      ...(this.handoff ? handoffLifecycle.queue(this.handoff) : {}),
      ...(this.released ? handoffLifecycle.release() : {}),
    });
  }
}

/**
 * The customer as templates and actions see it. CRM data (`profile.crm`) fills in what
 * the channels did not tell, so `{{customer.name}}`, `{{customer.profile.name}}` and
 * `{{customer.profile.tier}}` all work; `{{customer.profile.crm.tier}}` is the CRM's own.
 */
export function customerScope(customer: Customer): Record<string, unknown> {
  const { crm, ...own } = customer.profile;
  const profile = { ...(crm ?? {}), ...withoutUndefined(own), ...(crm ? { crm } : {}) };
  return { ...profile, profile, id: customer.id, attributes: customer.attributes };
}

export function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export function filled(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

export function following(flow: FlowDefinition, step: string): string | undefined {
  return flow.order[flow.order.indexOf(step) + 1];
}

/** The stack with `state` on top, to come back to once the flow starting now ends. */
export function pushed(state: FlowState): NonNullable<FlowState['stack']> {
  return [...(state.stack ?? []), { ...withoutStack(state), data: {} }];
}

export function withoutStack(state: FlowState): Omit<FlowState, 'stack'> {
  const { stack: _stack, ...rest } = state;
  return rest;
}

export function summaryOf(state: FlowState): Record<string, unknown> {
  return { flowId: state.flowId, flowVersion: state.flowVersion, step: state.step, slots: state.slots };
}

export function norm(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
