/**
 * Running a flow's steps: entering a step and going on until the flow waits for the customer,
 * ends or hands off; taking the customer's answer to the current question (or seeing that it is
 * a digression); retries and explanations; `call` steps; the end of a flow.
 *
 * @module
 */
import type { Content, FlowState, PostbackButton } from '../model';
import { humanAvailability } from '../handoff/availability';
import { localiseEntities } from '../nlu/entities';
import { runCall } from './call';
import { expectedChoice, expectedEntity } from './expected';
import { digressionBar, isStaleChoice } from './signals';
import {
  type ChoiceOption,
  type FlowDefinition,
  type GotoTarget,
  type HandoffSpec,
  type Step,
  stepKind,
} from './types';

import { MAX_STEPS_PER_MESSAGE, type StepData, filled, following, norm, TurnCore } from './turn-core';

/** A turn's step running (see the module). */
export abstract class FlowSteps extends TurnCore {
  // Repair's, used by the steps (see repair.ts).
  /** "Shall we get back to your return?" for the flow waiting in the current state. */
  protected abstract offerResume(): Promise<void>;
  /** The flow lost its way (a missing step, too many steps): say so and drop the flow. */
  protected abstract lost(): Promise<'done'>;
  /** Hands the conversation to a person (or says nobody is available). */
  protected abstract handOff(
    spec: HandoffSpec & { source: string },
    options?: { said?: boolean; keepFlow?: boolean },
  ): Promise<void>;

  /** The customer answers the question of the current step. */
  protected async answer(state: FlowState): Promise<'done' | 'digression'> {
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
  protected isStaleChoice(): Promise<boolean> {
    return isStaleChoice(this.ctx);
  }

  protected async continueAfter(
    flow: FlowDefinition,
    from: string,
    next: string | undefined,
  ): Promise<'done'> {
    const target = next ?? following(flow, from);
    if (target) await this.enter(target);
    else await this.finish();
    return 'done';
  }

  protected async retry(flow: FlowDefinition, step: Step, why: 'missing' | 'invalid'): Promise<'done'> {
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
  protected async explain(step: Step, why: 'missing' | 'invalid'): Promise<void> {
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
  protected isDigression(flow: FlowDefinition): boolean {
    const intent = this.intent;
    if (!intent || flow.triggers.includes(intent)) return false;
    return this.engine.flows.byIntent.has(intent) || this.engine.answerFor(intent) !== undefined;
  }

  /**
   * A digression from a question that got no usable answer: the NLU must be fairly sure
   * ({@link DIGRESSION_CONFIDENCE}). Below that the message is more likely a bad answer ("the
   * sofa" to "which product?") than a new request, and the question is explained and asked again.
   */
  protected isLikelyDigression(flow: FlowDefinition): boolean {
    if (!this.nlu || !this.isDigression(flow)) return false;
    return this.nlu.confidence >= digressionBar('answer', this.text, this.engine.options.nlu?.threshold);
  }

  /**
   * A digression (see {@link isDigression}) the NLU is confident about: at least
   * {@link FREE_TEXT_DIGRESSION_CONFIDENCE}, and never below the bot's own threshold.
   */
  protected confidentlyElsewhere(flow: FlowDefinition): boolean {
    if (!this.nlu || !this.isDigression(flow)) return false;
    return this.nlu.confidence >= digressionBar('free_text', this.text, this.engine.options.nlu?.threshold);
  }

  protected startsOtherFlow(flow: FlowDefinition): boolean {
    const intent = this.intent;
    return Boolean(intent && !flow.triggers.includes(intent) && this.engine.flows.byIntent.has(intent));
  }

  protected hasWordsBesides(step: Step): boolean {
    let rest = this.answerText ?? '';
    for (const e of this.nlu?.entities ?? []) if (e.entity === step.entity) rest = rest.replace(e.text, ' ');
    return (rest.match(/\p{L}{2,}/gu) ?? []).length >= 2;
  }

  /** What the message says about the current step's slot, or undefined. */
  protected extract(step: Step): unknown {
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

  protected valid(step: Step, value: unknown): boolean {
    if (!step.validate) return true;
    return Boolean(this.engine.expression(step.validate).evaluate(this.scope({ value })));
  }

  /**
   * The option the message picks. A button whose payload is an option of this question picks it;
   * any other button (a stale one, from an earlier question) counts as its title typed in.
   */
  protected chosen(options: ChoiceOption[]): ChoiceOption | undefined {
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

  protected async start(
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
  protected prefill(flow: FlowDefinition): void {
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
  protected async enter(name: string, options: { reprompt?: boolean } = {}): Promise<void> {
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

  protected async call(flow: FlowDefinition, step: Step): Promise<'ok' | 'failed'> {
    const state = this.state as FlowState;
    const outcome = await runCall(this.engine, this.ctx, flow, step, state, this.scope());
    if (outcome.ok) state.slots[step.result ?? 'result'] = outcome.result;
    return outcome.ok ? 'ok' : 'failed';
  }

  /** Asks the current step's question (again). */
  protected async prompt(step: Step): Promise<void> {
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
  protected async finish(): Promise<void> {
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
}
