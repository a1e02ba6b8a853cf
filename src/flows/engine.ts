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
import type { FlowState } from '../model';
import type { NluResult } from '../nlu';
import { type LocaleSettings, systemTimeZone } from '../util/locale-format';
import { Expression } from './expression';
import { Template } from './template';
import type { FlowDefinition, FlowSet, MessageKey } from './types';

export type { Action, ActionInput } from './types';
export { customerScope, type FlowEngineOptions } from './turn-core';
import type { FlowEngineOptions, TurnEngine } from './turn-core';
import { Turn } from './turn';

export class FlowEngine implements TurnEngine {
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
