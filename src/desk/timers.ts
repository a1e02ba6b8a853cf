/**
 * What the desk does when a handoff SLA timer fires (the timers themselves are kept with
 * the queue: `startHandoffTimers` in `src/handoff`): `renotify` reminds the team in the thread,
 * `escalate` moves the conversation to the overflow team or flags it past the SLA,
 * `claim_lapsed` puts a claimed conversation back in line when its operator never replied.
 *
 * @module
 */
import type { DueTimer } from '../handoff';
import { teamFor } from '../handoff/timing';
import { moved } from './actions';
import { type DeskCore, formatWait, say } from './core';
import { handoffLifecycle } from '../handoff/lifecycle';

/** One due timer: its notice in the thread and the card's update (and what a lapsed claim changes). */
export async function handleTimer(desk: DeskCore, timer: DueTimer): Promise<void> {
  const id = timer.conversationId;
  const tag = `${timer.kind}:${timer.dueAt}`;
  const config = desk.config;
  switch (timer.kind) {
    case 'renotify':
      await desk.note(
        id,
        tag,
        `:alarm_clock: Still waiting after ${formatWait(desk.clock() - timer.entry.waitingSince)}; nobody has claimed it yet.`,
        true,
      );
      await desk.updateCard(id, tag);
      return;
    case 'escalate': {
      if (timer.entry.team !== timer.fromTeam) {
        await moved(
          desk,
          id,
          { ...timer.entry, team: timer.fromTeam, state: 'waiting' },
          timer.entry,
          `by the SLA (waiting ${formatWait(desk.clock() - timer.entry.waitingSince)})`,
          tag,
        );
      } else {
        const team = config.teams[timer.entry.team];
        await desk.note(
          id,
          tag,
          `:rotating_light: Waiting ${formatWait(desk.clock() - timer.entry.waitingSince)}: past the ${team?.name ?? ''} team's SLA.`,
          true,
        );
        await desk.updateCard(id, tag);
      }
      return;
    }
    case 'claim_lapsed': {
      // Delivered again later (a retried job), after someone claimed it again: nothing to do.
      const now = await desk.queue.get(id);
      if (now?.state !== 'waiting') return;
      await desk.store.conversations.update(id, handoffLifecycle.requeue());
      await desk.store.events.add(id, 'handoff_claim_lapsed', { operatorId: timer.operatorId });
      const team = teamFor(config, timer.entry.team);
      await desk.note(
        id,
        tag,
        `:hourglass: <@${timer.operatorId}>'s claim lapsed after ${formatWait(team.claimTimeout * 1000)} without a reply; the conversation is waiting again.`,
        true,
      );
      await desk.updateCard(id, tag);
      // The customer thought someone was there: say so.
      const operator = await desk.queue.operator(timer.operatorId);
      const position = await desk.queue.position(id);
      await desk.bot.send(
        id,
        say(desk, 'lapsed', {
          operator: operator?.name ?? 'Your colleague',
          position: position?.position ?? 1,
        }),
        { author: 'system', idempotencyKey: `lapsed:${id}:${timer.dueAt}` },
      );
      return;
    }
  }
}
