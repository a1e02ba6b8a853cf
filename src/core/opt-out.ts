/**
 * Opt-outs. A customer who writes one of the opt-out keywords (`STOP`, `UNSUBSCRIBE`, …:
 * the whole message, any case, punctuation ignored) gets no more proactive messages, on
 * any channel, until they write an opt-in keyword (`START`, …). Answers to the
 * customer's own messages still go out: they asked.
 *
 * The choice lives on the customer: `attributes.optedOut` (`true` / `false`), with
 * `optedOutAt` / `optedOutVia` (the channel, or `api`) and `optedInAt`. The admin API
 * (`PATCH /api/v1/customers/:id`) sets it too. Each change is a conversation event
 * (`opted_out` / `opted_in`) when there is a conversation to record it on.
 *
 * The check costs nothing on ordinary messages: only a short text that normalises to a
 * keyword touches the store.
 *
 * @module
 */
import type { Customer } from '../model';
import type { Store } from '../store';
import type { MiddlewareFn } from './composer';
import type { Context } from './context';
import { stateSlot } from './state';

export const DEFAULT_OPT_OUT_KEYWORDS = ['stop', 'stopall', 'stop all', 'unsubscribe', 'opt out', 'optout'];
export const DEFAULT_OPT_IN_KEYWORDS = ['start', 'unstop', 'subscribe', 'opt in', 'optin'];

export interface OptOutOptions {
  /** Whole messages that opt out (any case, punctuation ignored). Empty: opt-out by keyword is off. */
  keywords?: string[];
  /** Whole messages that opt back in (only acted on while opted out). */
  optInKeywords?: string[];
  /** The confirmation after an opt-out. */
  optedOutReply?: string;
  /** The confirmation after an opt-in. */
  optedInReply?: string;
}

/**
 * The opt-out middleware handled this message as a keyword (`'out'` / `'in'`) while a person
 * has or is about to have the conversation, and let it go on (to the operator). The flows leave
 * such a message alone: "stop" is then no cancel.
 */
export const optOutKeyword = stateSlot<'out' | 'in'>('optOutKeyword');

/** Whether the opt-out middleware already handled this message as an opt-out / opt-in keyword. */
export function optOutHandled(ctx: Pick<Context, 'get'>): boolean {
  return ctx.get(optOutKeyword) !== undefined;
}

/** The longest keyword message worth normalising: anything longer is an ordinary message. */
const MAX_KEYWORD_LENGTH = 24;

/** `"Stop!"` → `stop`, `"OPT-OUT"` → `opt out`. */
export function normaliseKeyword(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Whether the customer opted out of proactive messages. */
export function isOptedOut(customer: Customer): boolean {
  return customer.attributes.optedOut === true;
}

/**
 * Records an opt-out (or opt-in) on the customer, and as an event on their open
 * conversation (or `conversationId`) if there is one. Returns the updated customer.
 */
export async function recordOptOut(
  store: Store,
  customerId: string,
  optedOut: boolean,
  how: { via: string; conversationId?: string },
): Promise<Customer> {
  const now = Date.now();
  const customer = await store.customers.update(customerId, {
    attributes: optedOut
      ? { optedOut: true, optedOutAt: now, optedOutVia: how.via }
      : { optedOut: false, optedInAt: now, optedInVia: how.via },
  });
  const conversationId = how.conversationId ?? (await store.conversations.findOpen(customerId))?.id;
  if (conversationId)
    await store.events.add(conversationId, optedOut ? 'opted_out' : 'opted_in', { via: how.via });
  return customer;
}

/**
 * The built-in middleware (installed by {@link Bot} right after the numbered-replies
 * one). The opt-out (or opt-in) is recorded and confirmed to the customer. While a person
 * owns or is about to own the conversation (queued / assigned), the customer keeps their
 * place and the message still goes on to the operator (marked {@link optOutKeyword}, so
 * the flows don't take "stop" for a cancel); otherwise the bot drops any flow in progress
 * ("stop" in the middle of a question is also a cancel), and nothing else runs.
 */
export function optOutMiddleware(options: OptOutOptions = {}): MiddlewareFn<Context> {
  const out = new Set((options.keywords ?? DEFAULT_OPT_OUT_KEYWORDS).map(normaliseKeyword));
  const back = new Set((options.optInKeywords ?? DEFAULT_OPT_IN_KEYWORDS).map(normaliseKeyword));
  const optedOutReply =
    options.optedOutReply ??
    "Done: we won't send you messages any more unless you write to us. Reply START to hear from us again.";
  const optedInReply = options.optedInReply ?? "Welcome back: we'll keep you posted again.";
  return async (ctx, next) => {
    const text = ctx.text;
    if (text === undefined || text.length > MAX_KEYWORD_LENGTH) return next();
    const word = normaliseKeyword(text);
    const optOut = out.has(word);
    const optIn = !optOut && back.has(word) && isOptedOut(ctx.customer);
    if (!optOut && !optIn) return next();
    ctx.customer = await recordOptOut(ctx.store, ctx.customer.id, optOut, {
      via: ctx.channel,
      conversationId: ctx.conversation.id,
    });
    ctx.logger.info(
      { conversationId: ctx.conversation.id, channel: ctx.channel, optedOut: optOut },
      optOut ? 'customer opted out' : 'customer opted back in',
    );
    if (ctx.conversation.status === 'queued' || ctx.conversation.status === 'assigned') {
      ctx.set(optOutKeyword, optOut ? 'out' : 'in');
      await ctx.reply(optOut ? optedOutReply : optedInReply);
      return next();
    }
    if (optOut && ctx.conversation.flow) await ctx.updateConversation({ flow: null });
    await ctx.reply(optOut ? optedOutReply : optedInReply);
  };
}
