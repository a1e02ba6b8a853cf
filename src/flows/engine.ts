/**
 * The flow engine: runs a conversation through its flow, one message at a time.
 *
 * Each message is handled from the conversation's stored flow state to a new one, with the
 * replies stored as they are made (`ctx.reply`, idempotent per message and index) and the
 * new state written once, at the end. If the process dies in between, the message runs
 * again from the same state and produces the same replies, which the store deduplicates.
 *
 * Repair is built in: "cancel", "start over" and "talk to a person" work anywhere; an
 * out-of-scope message gets one "could you rephrase?" and then the offer of a human; a
 * new intent in the middle of a flow is a digression, after which the bot offers to
 * resume the interrupted flow.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../core/context';
import { optOutHandled } from '../core/opt-out';
import { queuePlace } from '../handoff/availability';
import type { Content, Customer, FlowState, PostbackButton } from '../model';
import { humanAvailability } from '../handoff/availability';
import type { KnowledgeAnswerer } from '../knowledge';
import type { IntentSet, NluEngine, NluResult } from '../nlu';
import { localiseEntities } from '../nlu/entities';
import type { Store } from '../store';
import { type LocaleSettings, systemTimeZone } from '../util/locale-format';
import { runCall } from './call';
import { expectedChoice, expectedEntity } from './expected';
import { Expression, LOCALE } from './expression';
import {
  type Command,
  commandOf,
  digressionBar,
  isCancel,
  isStaleChoice,
  isStart,
  type YesNo,
  yesNoOf,
} from './signals';
import { Template } from './template';
import {
  type Action,
  type ChoiceOption,
  type FlowDefinition,
  type FlowSet,
  type GotoTarget,
  type HandoffSpec,
  type MessageKey,
  type Step,
  stepKind,
} from './types';

export type { Action, ActionInput } from './types';

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
const DATA_KEY = 'flowEngine';
interface RepairMemory {
  /** Out-of-scope messages in a row. */
  oos?: number;
  /** The bot asked "would you like to talk to a person?". */
  pending?: 'human';
  /** The last flow that finished (or handed off), with its slots: for tests, operators and analytics. */
  last?: { flowId: string; slots: Record<string, unknown> };
  /** Messages from the customer while queued since the last "you're in the queue" (absent: none yet). */
  queued?: number;
}

interface StepData {
  awaiting?: 'ask' | 'choice' | 'resume';
  retries?: number;
}

const MAX_STEPS_PER_MESSAGE = 100;
/** While queued, the "you're in the queue" reminder goes out at most once per this many messages. */
const QUEUE_REMINDER_EVERY = 4;
export class FlowEngine {
  readonly flows: FlowSet;
  private readonly versions = new Map<string, FlowDefinition>();
  private readonly saved = new Set<string>();
  private readonly answers = new Map<string, string[]>();
  private readonly compiled = new Map<string, Expression | Template>();
  /** How dates, times and amounts are read and written: the flows' `settings:`, the intents' language. */
  readonly locale: LocaleSettings;

  constructor(readonly options: FlowEngineOptions) {
    this.flows = options.flows;
    const settings = options.flows.settings ?? {};
    this.locale = {
      timeZone: settings.timezone ?? systemTimeZone(),
      locale: settings.locale ?? options.intents?.language ?? 'en',
      ...(settings.currency ? { currency: settings.currency } : {}),
    };
    for (const flow of options.flows.flows.values()) this.versions.set(flow.version, flow);
    for (const intent of options.intents?.intents ?? []) {
      if (intent.answers?.length) this.answers.set(intent.name, intent.answers);
    }
  }

  /**
   * The middleware: runs flows for conversations the bot owns; silent while a person does
   * (`assigned`). While the conversation waits for a person (`queued`), "cancel" gives it back to
   * the bot and other messages get, now and then, a reminder that it is in the queue.
   */
  async handle(ctx: Context, nlu: NluResult | undefined): Promise<void> {
    const status = ctx.conversation.status;
    if (status !== 'bot' && status !== 'queued') return;
    const turn = new Turn(this, ctx, nlu);
    if (status === 'queued') await turn.whileQueued();
    else await turn.run();
    await turn.commit();
  }

  /** The flow a state refers to, at the version the conversation started on. */
  resolve(state: Pick<FlowState, 'flowId' | 'flowVersion'>): FlowDefinition | undefined {
    const known = this.versions.get(state.flowVersion);
    if (known) return known;
    const dir = this.options.versionsDir;
    if (dir && /^[0-9a-f]{16}$/.test(state.flowVersion)) {
      const file = path.join(dir, `${state.flowVersion}.json`);
      if (existsSync(file)) {
        const flow = JSON.parse(readFileSync(file, 'utf8')) as FlowDefinition;
        this.versions.set(flow.version, flow);
        return flow;
      }
    }
    // The version is gone (DATA_DIR was wiped): the current version is the best guess; if the
    // conversation's step no longer exists there, the caller starts over politely.
    return this.flows.flows.get(state.flowId);
  }

  /** Keeps a copy of a flow version, the first time a conversation starts on it. */
  remember(flow: FlowDefinition): void {
    const dir = this.options.versionsDir;
    if (!dir || this.saved.has(flow.version)) return;
    const file = path.join(dir, `${flow.version}.json`);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(flow));
      renameSync(tmp, file);
    }
    this.saved.add(flow.version);
  }

  answerFor(intent: string): string[] | undefined {
    return this.answers.get(intent);
  }

  template(source: string): Template {
    let t = this.compiled.get(`t:${source}`);
    if (!t) {
      t = Template.parse(source);
      this.compiled.set(`t:${source}`, t);
    }
    return t as Template;
  }

  expression(source: string): Expression {
    let e = this.compiled.get(`e:${source}`);
    if (!e) {
      e = Expression.parse(source);
      this.compiled.set(`e:${source}`, e);
    }
    return e as Expression;
  }

  message(key: MessageKey): string {
    return this.flows.messages[key];
  }

  /** How entities are read for this bot (its time zone and locale). */
  get extractOptions(): { language: string; timeZone: string; locale: string; currency?: string } {
    return {
      language: this.options.intents?.language ?? 'en',
      timeZone: this.locale.timeZone,
      locale: this.locale.locale,
      ...(this.locale.currency ? { currency: this.locale.currency } : {}),
    };
  }
}

/** One message's handling: from the stored state to the next one. */
class Turn {
  private state: FlowState | null;
  private readonly memory: RepairMemory;
  private handoff: Record<string, unknown> | null = null;
  /** The customer left the queue: the conversation goes back to the bot. */
  private released = false;
  private steps = 0;
  /** Slots whose value, given up front, failed `validate:`: their question says so. */
  private readonly rejected = new Set<string>();
  /** The flow this message last ran in, and its slots (kept when it finishes). */
  private lastSeen: { flowId: string; slots: Record<string, unknown> } | undefined;

  constructor(
    private readonly engine: FlowEngine,
    private readonly ctx: Context,
    private readonly nlu: NluResult | undefined,
  ) {
    this.state = ctx.conversation.flow ? structuredClone(ctx.conversation.flow) : null;
    this.memory = { ...((ctx.conversation.data[DATA_KEY] as RepairMemory | undefined) ?? {}) };
  }

  private get text(): string | undefined {
    return this.ctx.text?.trim();
  }

  /**
   * The message as an answer: its text, or for a button press its title (what the customer saw
   * and pressed; the payload when there is no title). A stale button from an earlier question is
   * taken as if its title had been typed.
   */
  private get answerText(): string | undefined {
    if (this.ctx.text !== undefined) return this.ctx.text.trim();
    const content = this.ctx.message.content;
    if (content.type !== 'postback') return undefined;
    return (content.title ?? content.payload)?.trim();
  }

  private get intent(): string | null {
    return this.nlu?.intent ?? null;
  }

  async run(): Promise<void> {
    if (isStart(this.text)) return this.greet();
    if (this.memory.pending === 'human') {
      delete this.memory.pending;
      const yn = this.yesNo();
      if (yn === 'yes')
        return this.handOff(
          { reason: 'The customer could not be understood', source: 'repair' },
          { keepFlow: true },
        );
      if (yn === 'no') {
        this.memory.oos = 0;
        await this.say(this.engine.message('human_declined'));
        return;
      }
    }
    if (this.state?.data?.awaiting === 'resume') {
      const yn = this.yesNo();
      if (yn === 'yes') {
        this.state.data = {};
        return this.enter(this.state.step, { reprompt: true });
      }
      if (yn === 'no') {
        this.state = null;
        await this.say(this.engine.message('resume_declined'));
        return;
      }
      // Something else: it is handled below and the offer stays open. An FAQ is answered and
      // the offer made again; another flow goes first and the offer comes back when it ends.
    }
    const command = this.command();
    if (command) return this.repair(command);
    const awaiting = this.state?.data?.awaiting;
    if (this.state && (awaiting === 'ask' || awaiting === 'choice')) {
      const outcome = await this.answer(this.state);
      if (outcome !== 'digression') return;
    }
    return this.route();
  }

  /**
   * A message while the conversation waits for a person. "cancel" / "never mind" (or the cancel
   * intent) leaves the queue: the bot takes the conversation back, and says so. Anything else gets
   * a short reminder on the first message and then at most once per {@link QUEUE_REMINDER_EVERY}.
   */
  async whileQueued(): Promise<void> {
    // "STOP" while waiting opts out of proactive messages (the opt-out middleware confirmed it
    // and the operator gets the message): the customer keeps their place, with no reminder.
    if (optOutHandled(this.ctx)) return;
    const text = this.answerText ?? '';
    if (isCancel(text, this.intent)) {
      const handoff = this.ctx.conversation.handoff ?? {};
      this.released = true;
      delete this.memory.queued;
      this.memory.oos = 0;
      delete this.memory.pending;
      this.state = null;
      await this.recordEvent('handoff_cancelled', {
        by: 'customer',
        reason: handoff.reason ?? null,
        team: handoff.team ?? null,
        requestedAt: handoff.requestedAt ?? null,
      });
      await this.say(this.engine.message('queue_left'));
      return;
    }
    const since = this.memory.queued;
    if (since === undefined || since + 1 >= QUEUE_REMINDER_EVERY) {
      this.memory.queued = 0;
      // The desk puts the customer's place in line in the queuePlace slot.
      await this.say(this.engine.message(this.ctx.get(queuePlace) ? 'queued_position' : 'queued'));
    } else {
      this.memory.queued = since + 1;
    }
  }

  /** A conversation event (`store.events`), for the desk and analytics. Best effort. */
  private async recordEvent(type: string, data: Record<string, unknown>): Promise<void> {
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

  private command(): Command | undefined {
    return commandOf(this.text ?? '', this.intent);
  }

  private async repair(command: Command): Promise<void> {
    this.memory.oos = 0;
    if (command === 'human') {
      const flowId = this.engine.flows.byIntent.get('human');
      const flow = flowId ? this.engine.flows.flows.get(flowId) : undefined;
      if (flow && this.state?.flowId !== flow.id) {
        const interrupted = this.state;
        this.state = null;
        // Nobody to pass to: the person flow runs on top of what was in progress, which the bot
        // then offers to get back to.
        const stack = interrupted && !humanAvailability(this.ctx).available ? pushed(interrupted) : [];
        await this.start(flow, stack);
        if (this.handoff && interrupted) this.handoff.flow = summaryOf(interrupted);
        return;
      }
      return this.handOff(
        { reason: 'The customer asked for a person', source: 'customer_request' },
        { keepFlow: true },
      );
    }
    if (!this.state) {
      // "start over" with nothing started is a fresh start: a welcome, not a refusal.
      if (command === 'restart') return this.greet();
      await this.say(this.engine.message('nothing_to_cancel'));
      return;
    }
    if (command === 'cancel') {
      this.state = null;
      await this.say(this.engine.message('cancelled'));
      return;
    }
    const flow = this.engine.resolve(this.state);
    const stack = this.state.stack ?? [];
    this.state = null;
    await this.say(this.engine.message('restarted'));
    if (flow) await this.start(flow, stack, { prefill: false });
  }

  /** The customer answers the question of the current step. */
  private async answer(state: FlowState): Promise<'done' | 'digression'> {
    this.lastSeen = { flowId: state.flowId, slots: state.slots };
    const flow = this.engine.resolve(state);
    const step = flow?.steps[state.step];
    if (!flow || !step) return this.lost();
    const kind = stepKind(step);
    if (kind === 'ask') {
      // "Actually, where is ORD-10001?" while a return asks for an order number: another flow's
      // intent, with words besides the entity, is a digression even though the entity fits.
      if (step.entity === 'text') {
        // Free text fits anything, so only a message the NLU is sure is another intent the bot
        // can answer ("what's your return policy?" while asking which item) is a side question.
        if (this.confidentlyElsewhere(flow)) return 'digression';
        // A button (or its number) from an earlier question is not this question's answer.
        if (await this.isStaleChoice()) {
          await this.say(this.engine.message('stale_choice'));
          await this.prompt(step);
          return 'done';
        }
      } else if (this.startsOtherFlow(flow) && this.hasWordsBesides(step)) return 'digression';
      const value = this.extract(step);
      if (value !== undefined && this.valid(step, value)) {
        state.slots[step.slot as string] = value;
        return this.continueAfter(flow, state.step, step.next);
      }
      if (value === undefined && this.isLikelyDigression(flow)) return 'digression';
      return this.retry(flow, step, value === undefined ? 'missing' : 'invalid');
    }
    const option = this.chosen(step.options ?? []);
    if (option) {
      if (step.slot) state.slots[step.slot] = option.value;
      return this.continueAfter(flow, state.step, option.goto ?? step.next);
    }
    if (this.isLikelyDigression(flow)) return 'digression';
    return this.retry(flow, step, 'missing');
  }

  /**
   * A button from an earlier question pressed (or its number typed) while a free-text question
   * waits: text questions have no buttons, so any press is stale, and a bare "2" after a numbered
   * menu is that menu's option.
   */
  private isStaleChoice(): Promise<boolean> {
    return isStaleChoice(this.ctx);
  }

  private async continueAfter(flow: FlowDefinition, from: string, next: string | undefined): Promise<'done'> {
    const target = next ?? following(flow, from);
    if (target) await this.enter(target);
    else await this.finish();
    return 'done';
  }

  private async retry(flow: FlowDefinition, step: Step, why: 'missing' | 'invalid'): Promise<'done'> {
    const state = this.state as FlowState;
    const retries = ((state.data as StepData | undefined)?.retries ?? 0) + 1;
    if (retries > (step.retries ?? 2)) {
      if (step.give_up && step.give_up !== 'handoff') {
        await this.enter(step.give_up);
      } else {
        await this.handOff({
          reason: `The customer could not answer step '${state.step}' of flow '${flow.id}'`,
          source: 'repair',
        });
      }
      return 'done';
    }
    await this.explain(step, why);
    state.data = { ...state.data, retries };
    return 'done';
  }

  /**
   * Why the answer did not do, and what would: a value that fails `validate:` gets the author's
   * `invalid:` text (which says what is expected); no value at all gets what the question expects
   * (its options, the entity's form) and the question again. The `invalid:` text is not used for
   * a missing value: "it hasn't arrived" is not a malformed order number.
   */
  private async explain(step: Step, why: 'missing' | 'invalid'): Promise<void> {
    if (why === 'invalid' && step.invalid) {
      await this.say(step.invalid);
      return;
    }
    if (why === 'invalid') await this.say(this.engine.message('invalid'));
    else if (step.choice !== undefined) {
      const scope = this.scope();
      const titles = expectedChoice(step.options ?? [], (o) => this.engine.template(o.title).render(scope));
      await this.say(this.engine.message('expected_choice'), undefined, { expected: titles });
    } else {
      const entity = expectedEntity(step.entity ?? 'text', this.engine.options.intents?.entities);
      await this.say(this.engine.message('expected'), undefined, { expected: entity });
    }
    await this.prompt(step);
  }

  /** A different intent the bot knows (a flow or an FAQ answer) while a flow waits for an answer. */
  private isDigression(flow: FlowDefinition): boolean {
    const intent = this.intent;
    if (!intent || flow.triggers.includes(intent)) return false;
    return this.engine.flows.byIntent.has(intent) || this.engine.answerFor(intent) !== undefined;
  }

  /**
   * A digression from a question that got no usable answer: the NLU must be fairly sure
   * ({@link DIGRESSION_CONFIDENCE}). Below that the message is more likely a bad answer ("the
   * sofa" to "which product?") than a new request, and the question is explained and asked again.
   */
  private isLikelyDigression(flow: FlowDefinition): boolean {
    if (!this.nlu || !this.isDigression(flow)) return false;
    return this.nlu.confidence >= digressionBar('answer', this.text, this.engine.options.nlu?.threshold);
  }

  /**
   * A digression (see {@link isDigression}) the NLU is confident about: at least
   * {@link FREE_TEXT_DIGRESSION_CONFIDENCE}, and never below the bot's own threshold.
   */
  private confidentlyElsewhere(flow: FlowDefinition): boolean {
    if (!this.nlu || !this.isDigression(flow)) return false;
    return this.nlu.confidence >= digressionBar('free_text', this.text, this.engine.options.nlu?.threshold);
  }

  private startsOtherFlow(flow: FlowDefinition): boolean {
    const intent = this.intent;
    return Boolean(intent && !flow.triggers.includes(intent) && this.engine.flows.byIntent.has(intent));
  }

  private hasWordsBesides(step: Step): boolean {
    let rest = this.answerText ?? '';
    for (const e of this.nlu?.entities ?? []) if (e.entity === step.entity) rest = rest.replace(e.text, ' ');
    return (rest.match(/\p{L}{2,}/gu) ?? []).length >= 2;
  }

  /** What the message says about the current step's slot, or undefined. */
  private extract(step: Step): unknown {
    const entity = step.entity as string;
    if (entity === 'text') return this.answerText || undefined;
    const fromNlu = this.nlu?.entities.find((e) => e.entity === entity);
    if (fromNlu) return fromNlu.value;
    const nlu = this.engine.options.nlu;
    if (!nlu) return undefined;
    for (const text of [this.answerText, this.ctx.payload]) {
      const found = text ? nlu.extractEntities(text, [entity]) : [];
      const value = localiseEntities(found, this.engine.extractOptions)[0]?.value;
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private valid(step: Step, value: unknown): boolean {
    if (!step.validate) return true;
    return Boolean(this.engine.expression(step.validate).evaluate(this.scope({ value })));
  }

  /**
   * The option the message picks. A button whose payload is an option of this question picks it;
   * any other button (a stale one, from an earlier question) counts as its title typed in.
   */
  private chosen(options: ChoiceOption[]): ChoiceOption | undefined {
    const payload = this.ctx.payload;
    if (payload !== undefined) {
      const byPayload = options.find((o) => o.value === payload);
      if (byPayload) return byPayload;
    }
    const text = norm(this.answerText ?? '');
    const scope = this.scope();
    const byText = options.find(
      (o) => norm(o.value) === text || norm(this.engine.template(o.title).render(scope)) === text,
    );
    if (byText) return byText;
    const intent = this.intent;
    return intent ? options.find((o) => o.intent === intent) : undefined;
  }

  private yesNo(): YesNo | undefined {
    return yesNoOf(this.text ?? '', this.intent, this.ctx.payload);
  }

  /** No flow is waiting for this message (or it is a digression): route it by its intent. */
  private async route(): Promise<void> {
    const intent = this.intent;
    const flowId = intent ? this.engine.flows.byIntent.get(intent) : undefined;
    const flow = flowId ? this.engine.flows.flows.get(flowId) : undefined;
    if (flow) {
      this.memory.oos = 0;
      const interrupted = this.state;
      this.state = null;
      // Asked again for the flow the bot offered to resume: it starts afresh in its place.
      const again = interrupted?.data?.awaiting === 'resume' && interrupted.flowId === flow.id;
      const stack = interrupted ? (again ? (interrupted.stack ?? []) : pushed(interrupted)) : [];
      await this.start(flow, stack);
      return;
    }
    const answers = intent ? this.engine.answerFor(intent) : undefined;
    if (answers) {
      this.memory.oos = 0;
      await this.say(answers[(this.ctx.message.seq - 1) % answers.length] as string);
      // An FAQ in the middle of a flow (or while offering to resume one): answer, then ask the
      // pending question again.
      await this.askAgain();
      return;
    }
    return this.notUnderstood();
  }

  /**
   * The repair path, all of it: a message the bot has no intent (or nothing to say) for. First
   * "could you say it another way?"; from the second in a row, the offer of a person, or, when
   * nobody can take over, the bot's help (an intent named `help` with an answer). A pending
   * question (the offer to resume a flow) is asked again after the first.
   */
  private async notUnderstood(): Promise<void> {
    // Nothing the author wrote answers it: the bot's documents may, before the repair.
    if (this.text && (await this.engine.options.knowledge?.answer(this.ctx, this.text))) {
      this.memory.oos = 0;
      await this.askAgain();
      return;
    }
    this.memory.oos = (this.memory.oos ?? 0) + 1;
    if (this.memory.oos < 2) {
      await this.say(this.engine.message('rephrase'));
      await this.askAgain();
      return;
    }
    if (humanAvailability(this.ctx).available) {
      this.memory.pending = 'human';
      await this.say(this.engine.message('offer_human'), this.yesNoButtons());
      return;
    }
    this.memory.oos = 0;
    await this.say(this.engine.message('offer_help'));
    const help = this.engine.answerFor('help');
    if (help) await this.say(help[0] as string);
    await this.askAgain();
  }

  /** `/start` (or "start over" with nothing started): hello, then the pending question if any. */
  private async greet(): Promise<void> {
    this.memory.oos = 0;
    delete this.memory.pending;
    const hello = this.engine.answerFor('greet');
    await this.say(hello?.[0] ?? this.engine.message('welcome'));
    await this.askAgain();
  }

  /** Asks what the conversation waits for again: the step's question, or the offer to resume. */
  private async askAgain(): Promise<void> {
    const state = this.state;
    const awaiting = state?.data?.awaiting;
    if (!state || !awaiting) return;
    if (awaiting === 'resume') return this.offerResume();
    const step = this.engine.resolve(state)?.steps[state.step];
    if (step) await this.prompt(step);
  }

  private async start(
    flow: FlowDefinition,
    stack: FlowState['stack'],
    options = { prefill: true },
  ): Promise<void> {
    this.engine.remember(flow);
    const first = flow.order[0] as string;
    this.state = { flowId: flow.id, flowVersion: flow.version, step: first, slots: {}, data: {} };
    if (stack?.length) this.state.stack = stack;
    if (options.prefill) this.prefill(flow);
    await this.enter(first);
  }

  /** Slots the triggering message already answers ("where is ORD-12345?") are filled up front. */
  private prefill(flow: FlowDefinition): void {
    const state = this.state as FlowState;
    for (const step of Object.values(flow.steps)) {
      if (stepKind(step) !== 'ask' || !step.slot || !step.entity || step.entity === 'text') continue;
      if (filled(state.slots[step.slot])) continue;
      const found = this.nlu?.entities.find((e) => e.entity === step.entity);
      if (!found) continue;
      // A value given up front that fails `validate:` is not used, and the customer is told why
      // when its question comes: "book for 20" is not quietly forgotten.
      if (this.valid(step, found.value)) state.slots[step.slot] = found.value;
      else this.rejected.add(step.slot);
    }
  }

  /** Runs from step `name` until the flow waits for the customer, ends or hands off. */
  private async enter(name: string, options: { reprompt?: boolean } = {}): Promise<void> {
    let current: string | undefined = name;
    let reprompt = options.reprompt ?? false;
    while (current !== undefined) {
      const state = this.state;
      if (!state) return;
      if (++this.steps > MAX_STEPS_PER_MESSAGE) {
        this.ctx.logger.error(
          { flow: state.flowId, step: current },
          'flow loops without waiting for the customer',
        );
        await this.handOff({
          reason: `Flow '${state.flowId}' loops at step '${current}'`,
          source: 'flow_error',
        });
        return;
      }
      const flow = this.engine.resolve(state);
      const step = flow?.steps[current];
      if (!flow || !step) {
        await this.lost();
        return;
      }
      state.step = current;
      state.data = {};
      this.lastSeen = { flowId: state.flowId, slots: state.slots };
      const kind = stepKind(step);
      const skipAsk = kind === 'ask' && !step.always && filled(state.slots[step.slot as string]);
      // "I'm connecting you with a colleague" is not said when nobody is there.
      const unstaffed = kind === 'handoff' && !humanAvailability(this.ctx).available;
      if (step.say && !skipAsk && !reprompt && !unstaffed) {
        for (const line of step.say) await this.say(line);
      }
      reprompt = false;
      let next: GotoTarget | undefined = step.next;
      switch (kind) {
        case 'say':
        case 'set':
          if (step.set) {
            const scope = this.scope();
            for (const [slot, value] of Object.entries(step.set)) {
              state.slots[slot] =
                typeof value === 'string' ? this.engine.template(value).value(scope) : value;
            }
          }
          break;
        case 'ask':
          if (skipAsk) break;
          if (this.rejected.delete(step.slot as string))
            await this.say(step.invalid ?? this.engine.message('invalid'));
          await this.prompt(step);
          state.data = { awaiting: 'ask' };
          return;
        case 'choice':
          await this.prompt(step);
          state.data = { awaiting: 'choice' };
          return;
        case 'branch': {
          const scope = this.scope();
          const hit = step.branch?.find((b) => Boolean(this.engine.expression(b.if).evaluate(scope)));
          next = hit ? hit.goto : (step.else ?? step.next);
          break;
        }
        case 'call': {
          const outcome = await this.call(flow, step);
          if (outcome === 'failed') {
            if (step.on_error && step.on_error !== 'handoff') {
              next = step.on_error;
              break;
            }
            await this.say(this.engine.message('action_failed'));
            await this.handOff({
              reason: `Action ${typeof step.call === 'string' ? `'${step.call}'` : 'webhook'} failed in flow '${flow.id}'`,
              source: 'action_failed',
            });
            return;
          }
          break;
        }
        case 'goto':
          next = step.goto;
          break;
        case 'handoff': {
          const spec: HandoffSpec = step.handoff === true ? {} : (step.handoff as HandoffSpec);
          const reason = spec.reason
            ? this.engine.template(spec.reason).render(this.scope())
            : `Flow '${flow.id}'`;
          await this.handOff({ ...spec, reason, source: 'flow' }, { said: Boolean(step.say) });
          return;
        }
        case 'knowledge': {
          const question =
            step.knowledge === true
              ? (this.text ?? '')
              : this.engine.template(step.knowledge ?? '').render(this.scope());
          const found = await this.engine.options.knowledge?.answer(this.ctx, question);
          const source = found?.sources[0];
          state.slots[step.result ?? 'knowledge'] = source
            ? {
                found: true,
                title: source.title,
                url: source.url ?? null,
                document: source.document,
                confidence: found.confidence,
              }
            : { found: false };
          break;
        }
        case 'end':
          await this.finish();
          return;
      }
      if (next === undefined) current = following(flow, current);
      else if (typeof next === 'string') current = next;
      else {
        const target = this.engine.flows.flows.get(next.flow);
        if (!target) {
          await this.lost();
          return;
        }
        const stack = state.stack;
        this.state = null;
        this.engine.remember(target);
        this.state = {
          flowId: target.id,
          flowVersion: target.version,
          step: next.step ?? (target.order[0] as string),
          slots: { ...state.slots },
          data: {},
          ...(stack?.length ? { stack } : {}),
        };
        current = this.state.step;
      }
      if (current === undefined) await this.finish();
    }
  }

  private async call(flow: FlowDefinition, step: Step): Promise<'ok' | 'failed'> {
    const state = this.state as FlowState;
    const outcome = await runCall(this.engine, this.ctx, flow, step, state, this.scope());
    if (outcome.ok) state.slots[step.result ?? 'result'] = outcome.result;
    return outcome.ok ? 'ok' : 'failed';
  }

  /** Asks the current step's question (again). */
  private async prompt(step: Step): Promise<void> {
    const scope = this.scope();
    if (step.ask) {
      await this.say(step.ask);
      return;
    }
    const buttons: PostbackButton[] = (step.options ?? []).map((o) => ({
      type: 'postback',
      title: this.engine.template(o.title).render(scope),
      payload: o.value,
    }));
    const content: Content = {
      type: 'text',
      text: this.engine.template(step.choice ?? '').render(scope),
      ...(step.style === 'quick_replies' ? { quickReplies: buttons } : { buttons }),
    };
    await this.ctx.reply(content);
  }

  /** The flow is done: offer to resume an interrupted one, if any. */
  private async finish(): Promise<void> {
    const stack = this.state?.stack ?? [];
    const top = stack.at(-1);
    if (!top) {
      this.state = null;
      return;
    }
    this.state = {
      ...top,
      data: { awaiting: 'resume' },
      ...(stack.length > 1 ? { stack: stack.slice(0, -1) } : {}),
    };
    await this.offerResume();
  }

  /** "Shall we get back to your return?" for the flow waiting in the current state. */
  private async offerResume(): Promise<void> {
    const state = this.state as FlowState;
    const flow = this.engine.resolve(state);
    const scope = { ...this.scope(), flow: flow?.description ?? flow?.id ?? state.flowId };
    await this.ctx.reply({
      type: 'text',
      text: this.engine.template(this.engine.message('resume')).render(scope),
      quickReplies: this.yesNoButtons(),
    });
  }

  private async lost(): Promise<'done'> {
    this.state = null;
    await this.say(this.engine.message('lost'));
    return 'done';
  }

  /**
   * Hands the conversation to a person, or, when nobody can take it, says so and carries on
   * (see {@link noOneAvailable}). `said`: the step already told the customer; `keepFlow`: the
   * customer asked in the middle of something that can go on without a person.
   */
  private async handOff(
    spec: HandoffSpec & { source: string },
    options: { said?: boolean; keepFlow?: boolean } = {},
  ): Promise<void> {
    if (!humanAvailability(this.ctx).available) return this.noOneAvailable(spec, options.keepFlow ?? false);
    const state = this.state;
    this.handoff = {
      reason: spec.reason ?? 'Handoff requested',
      team: spec.team ?? 'support',
      priority: spec.priority ?? 'normal',
      source: spec.source,
      requestedAt: Date.now(),
      flow: state ? summaryOf(state) : null,
      intent: this.intent,
      sentiment: this.nlu?.sentiment ?? null,
    };
    this.state = null;
    this.memory.oos = 0;
    delete this.memory.pending;
    delete this.memory.queued;
    if (!options.said) await this.say(this.engine.message('handoff'));
  }

  /**
   * Nobody can take the conversation (no operator desk, or nobody at it): the customer is told
   * so honestly (handoff.yml's `messages.unavailable`) and the bot stays in charge. When asked in
   * the middle of something (`keepFlow`), its question is asked again; a flow that cannot go on
   * without a person ends, and an interrupted one is offered back.
   */
  private async noOneAvailable(spec: HandoffSpec & { source: string }, keepFlow: boolean): Promise<void> {
    this.memory.oos = 0;
    delete this.memory.pending;
    await this.recordEvent('handoff_unavailable', {
      reason: spec.reason ?? null,
      team: spec.team ?? null,
      source: spec.source,
    });
    await this.ctx.reply(humanAvailability(this.ctx).message);
    if (keepFlow) await this.askAgain();
    else if (this.state) await this.finish();
  }

  private yesNoButtons(): PostbackButton[] {
    return [
      { type: 'postback', title: this.engine.message('yes'), payload: 'sb:yes' },
      { type: 'postback', title: this.engine.message('no'), payload: 'sb:no' },
    ];
  }

  private async say(
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
      ...(this.handoff ? { status: 'queued' as const, handoff: this.handoff } : {}),
      ...(this.released ? { status: 'bot' as const, handoff: null } : {}),
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

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function filled(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function following(flow: FlowDefinition, step: string): string | undefined {
  return flow.order[flow.order.indexOf(step) + 1];
}

/** The stack with `state` on top, to come back to once the flow starting now ends. */
function pushed(state: FlowState): NonNullable<FlowState['stack']> {
  return [...(state.stack ?? []), { ...withoutStack(state), data: {} }];
}

function withoutStack(state: FlowState): Omit<FlowState, 'stack'> {
  const { stack: _stack, ...rest } = state;
  return rest;
}

function summaryOf(state: FlowState): Record<string, unknown> {
  return { flowId: state.flowId, flowVersion: state.flowVersion, step: state.step, slots: state.slots };
}

function norm(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
