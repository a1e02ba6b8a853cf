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

/** Who can take a handed-off conversation now, and what to say when nobody can. */
export interface HumanAvailability {
  available: boolean;
  /** Told to the customer when nobody is available (default: handoff.yml's `messages.unavailable`). */
  message?: string;
}

const KEY = 'humans';

interface HasState {
  readonly state: Record<string, unknown>;
}

/** Declares, for this message, whether a person can take a handoff. */
export function setHumanAvailability(ctx: HasState, availability: HumanAvailability): void {
  ctx.state[KEY] = availability;
}

/** Whether a person can take a handoff of this message's conversation (nobody, unless declared). */
export function humanAvailability(ctx: HasState): Required<HumanAvailability> {
  const declared = ctx.state[KEY] as HumanAvailability | undefined;
  return {
    available: declared?.available ?? false,
    message: declared?.message ?? DEFAULT_DESK_MESSAGES.unavailable,
  };
}
