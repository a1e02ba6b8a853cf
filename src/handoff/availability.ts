/**
 * Whether a person can take a conversation the bot hands off, right now. The operator desk
 * says so for each message (it is staffed when an operator face, Slack, is connected); without
 * a desk nobody is. When nobody is, a handoff is not queued: the customer is told so honestly
 * (handoff.yml's `messages.unavailable`) and the bot stays in charge, instead of a place in a
 * line nobody works.
 *
 * Middleware that routes handoffs elsewhere (an author's own helpdesk integration) declares it:
 *
 * ```ts
 * bot.use((ctx, next) => {
 *   setHumanAvailability(ctx, { available: true });
 *   return next();
 * });
 * ```
 *
 * @module
 */
import { DEFAULT_DESK_MESSAGES } from './config';
import { type HasSlots, stateSlot } from '../core/state';

/** Who can take a handed-off conversation now, and what to say when nobody can. */
export interface HumanAvailability {
  available: boolean;
  /** Told to the customer when nobody is available (default: handoff.yml's `messages.unavailable`). */
  message?: string;
}

/** Declared for this message: whether a person can take a handoff. */
const humans = stateSlot<HumanAvailability>('humans');

/** The customer's place in line, set by the desk when it queues the conversation this turn. */
export interface QueuePlace {
  position: number;
  /** The expected wait, as a person says it (`5 minutes`). */
  wait: string;
}

/** The customer's place in line this turn (the desk sets it; the flows' queued message reads it). */
export const queuePlace = stateSlot<QueuePlace>('queuePlace');

/** Declares, for this message, whether a person can take a handoff. */
export function setHumanAvailability(ctx: HasSlots, availability: HumanAvailability): void {
  ctx.set(humans, availability);
}

/** Whether a person can take a handoff of this message's conversation (nobody, unless declared). */
export function humanAvailability(ctx: HasSlots): Required<HumanAvailability> {
  const declared = ctx.get(humans);
  return {
    available: declared?.available ?? false,
    message: declared?.message ?? DEFAULT_DESK_MESSAGES.unavailable,
  };
}
