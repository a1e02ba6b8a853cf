/**
 * A conversation's handoff lifecycle, in one place. Every status change between the bot and a
 * person is built here, by the flows, `ctx.handOff()`, the desk's actions, its timers and its
 * crash recovery alike:
 *
 * ```
 *   bot ──queue──▶ queued ──assign──▶ assigned
 *    ▲               │  ▲                │
 *    │               │  └────requeue─────┘   (a lapsed claim, a transfer, recovery)
 *    └───release─────┴───────────────────┘   (resolved, handed back, cancelled)
 * ```
 *
 * The queue (src/handoff) is the truth about who has what; the conversation's status follows
 * it. The desk acts on a turn's transition (`transitionOf`): entering `queued` escalates (the
 * card, the customer's place in line); leaving it for `bot` is the customer leaving the line.
 *
 * @module
 */
import type { ConversationStatus } from '../model';
import type { ConversationPatch } from '../store';

/** The stages of the lifecycle (`closed` is outside it: a closed conversation is over). */
export type HandoffStage = Extract<ConversationStatus, 'bot' | 'queued' | 'assigned'>;

/** What may follow what. */
const NEXT: Record<HandoffStage, readonly HandoffStage[]> = {
  bot: ['queued'],
  queued: ['assigned', 'bot'],
  assigned: ['queued', 'bot'],
};

/** Whether a conversation in `from` may move to `to`. */
export function canMove(from: ConversationStatus, to: HandoffStage): boolean {
  return from !== 'closed' && (NEXT[from].includes(to) || from === to);
}

/** The named transitions, as the conversation patches that make them. */
export const handoffLifecycle = {
  /** bot → queued: handed off, with the request (reason, team, priority, source…). */
  queue(handoff: Record<string, unknown>): ConversationPatch {
    return { status: 'queued', handoff };
  },
  /** queued → assigned: a person took it (their id and name on the handoff). */
  assign(handoff?: Record<string, unknown>): ConversationPatch {
    return handoff ? { status: 'assigned', handoff } : { status: 'assigned' };
  },
  /** assigned → queued: back in line (a lapsed claim, a transfer, recovery). */
  requeue(): ConversationPatch {
    return { status: 'queued' };
  },
  /** queued | assigned → bot: resolved, handed back or cancelled; the handoff is cleared. */
  release(): ConversationPatch {
    return { status: 'bot', handoff: null };
  },
} as const;

/** What a turn did to the lifecycle, from the status before it to the status after. */
export type Transition = 'queued' | 'left_queue' | 'none';

/** `queued`: the turn handed the conversation off; `left_queue`: the customer left the line. */
export function transitionOf(before: ConversationStatus, after: ConversationStatus): Transition {
  if (after === 'queued' && before !== 'queued') return 'queued';
  if (before === 'queued' && after === 'bot') return 'left_queue';
  return 'none';
}
