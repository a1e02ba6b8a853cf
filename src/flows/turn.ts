/**
 * One turn of the flow engine: where a customer message goes — a command, the answer to the
 * waiting question, a new intent's flow or answer, or repair — and what a message does while
 * the conversation waits in the human queue. Layered on `repair.ts`, `steps.ts` and
 * `turn-core.ts` (the turn's state and what every part of it does).
 *
 * @module
 */
import { optOutHandled } from '../core/opt-out';
import { queuePlace } from '../handoff/availability';
import { isCancel, isStart } from './signals';

import { QUEUE_REMINDER_EVERY, pushed } from './turn-core';
import { FlowRepair } from './repair';

/** One message's handling: from the stored state to the next one. */
export class Turn extends FlowRepair {
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

  /** No flow is waiting for this message (or it is a digression): route it by its intent. */
  protected async route(): Promise<void> {
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
}
