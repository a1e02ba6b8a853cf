/**
 * Repair: the commands that work anywhere ("cancel", "start over", "talk to a person"), the one
 * path for a message the bot did not understand (`notUnderstood`: knowledge, rephrase, the offer
 * of a person), greeting and asking again, offering to resume, and handing off (or saying nobody
 * is available).
 *
 * @module
 */
import type { FlowState } from '../model';
import { humanAvailability } from '../handoff/availability';
import { type Command, commandOf } from './signals';
import type { HandoffSpec } from './types';

import { pushed, summaryOf } from './turn-core';
import { FlowSteps } from './steps';
/** A turn's repair (see the module). */
export abstract class FlowRepair extends FlowSteps {
  protected command(): Command | undefined {
    return commandOf(this.text ?? '', this.intent);
  }

  protected async repair(command: Command): Promise<void> {
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

  /**
   * The repair path, all of it: a message the bot has no intent (or nothing to say) for. First
   * "could you say it another way?"; from the second in a row, the offer of a person, or, when
   * nobody can take over, the bot's help (an intent named `help` with an answer). A pending
   * question (the offer to resume a flow) is asked again after the first.
   */
  protected async notUnderstood(): Promise<void> {
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
  protected async greet(): Promise<void> {
    this.memory.oos = 0;
    delete this.memory.pending;
    const hello = this.engine.answerFor('greet');
    await this.say(hello?.[0] ?? this.engine.message('welcome'));
    await this.askAgain();
  }

  /** Asks what the conversation waits for again: the step's question, or the offer to resume. */
  protected async askAgain(): Promise<void> {
    const state = this.state;
    const awaiting = state?.data?.awaiting;
    if (!state || !awaiting) return;
    if (awaiting === 'resume') return this.offerResume();
    const step = this.engine.resolve(state)?.steps[state.step];
    if (step) await this.prompt(step);
  }

  /** "Shall we get back to your return?" for the flow waiting in the current state. */
  protected async offerResume(): Promise<void> {
    const state = this.state as FlowState;
    const flow = this.engine.resolve(state);
    const scope = { ...this.scope(), flow: flow?.description ?? flow?.id ?? state.flowId };
    await this.ctx.reply({
      type: 'text',
      text: this.engine.template(this.engine.message('resume')).render(scope),
      quickReplies: this.yesNoButtons(),
    });
  }

  protected async lost(): Promise<'done'> {
    this.state = null;
    await this.say(this.engine.message('lost'));
    return 'done';
  }

  /**
   * Hands the conversation to a person, or, when nobody can take it, says so and carries on
   * (see {@link noOneAvailable}). `said`: the step already told the customer; `keepFlow`: the
   * customer asked in the middle of something that can go on without a person.
   */
  protected async handOff(
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
  protected async noOneAvailable(spec: HandoffSpec & { source: string }, keepFlow: boolean): Promise<void> {
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
}
