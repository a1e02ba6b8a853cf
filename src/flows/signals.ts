/**
 * What a customer's message says, besides its intent: yes or no, a command ("cancel", "start
 * over", "talk to a person", Telegram's `/start`), a question, an option of an earlier menu; and
 * how sure the NLU must be before a message that does not answer the waiting question counts as
 * a new request (a digression). The engine's repair decisions read these.
 *
 * @module
 */
import type { Context } from '../core/context';
import { offeredButtons } from '../model';

const YES =
  /^(y|yes|yeah|yep|yup|sure|ok|okay|please|please do|go ahead|absolutely|of course|yes please|correct|right)\b/i;
const NO = /^(n|no|nope|nah|no thanks|not now|not really|don'?t)\b/i;
const CANCEL = /^(cancel|stop|never ?mind|forget it|quit|abort|cancel (that|it|this))[.!]*$/i;
const RESTART = /^(start over|restart|start again|begin again|from the (top|beginning|start))[.!]*$/i;
const HUMAN =
  /\b(talk|speak|chat|connect me)\b.*\b(person|human|agent|someone|somebody|representative|operator|staff)\b|^(human|agent|operator|representative|real person)( please)?[.!]*$/i;
/** Telegram's `/start` (with a deep-link payload or a bot name): a new customer says hello. */
const START = /^\/start(@\w+)?(\s+\S+)?\s*$/i;
/** A bare number, as typed for "option 2" of a numbered menu. */
const BARE_NUMBER = /^\s*#?\d{1,2}\s*[.)]?\s*$/;
/** A question: a question mark, or a question word first ("whats", "how", "do you", "can i"). */
const QUESTION =
  /\?\s*$|^(what|whats|what's|wat|how|hows|when|where|why|who|which|do|does|did|can|could|is|are|will|would)\b/i;

/**
 * How sure the NLU must be that an answer to a free-text question (`entity: text`) is really
 * another intent. Far above the out-of-scope threshold: short free answers ("the mug", "it
 * arrived cracked") often lean towards some intent at 0.4–0.6; side questions score 0.9 and more.
 */
const FREE_TEXT_DIGRESSION_CONFIDENCE = 0.85;
/**
 * The same for a free-text answer shaped like a question: "whats ur return polcy" is rarely the
 * answer to "which item?", and typos lower the NLU's confidence.
 */
const QUESTION_DIGRESSION_CONFIDENCE = 0.6;
/**
 * How sure the NLU must be that a message which does not answer the waiting question (no order
 * number where one was asked) is another request; below it, it is more likely a bad answer ("the
 * sofa" to "which product?"), and the question is explained and asked again.
 */
const DIGRESSION_CONFIDENCE = 0.5;

export type YesNo = 'yes' | 'no';
export type Command = 'cancel' | 'restart' | 'human';

/** Yes or no: the built-in Yes/No buttons, the `affirm` / `deny` intents, or the words. */
export function yesNoOf(text: string, intent: string | null, payload: string | undefined): YesNo | undefined {
  if (payload === 'sb:yes') return 'yes';
  if (payload === 'sb:no') return 'no';
  if (intent === 'affirm' || YES.test(text)) return 'yes';
  if (intent === 'deny' || NO.test(text)) return 'no';
  return undefined;
}

/** "cancel" / "never mind" (or the `cancel` intent). */
export function isCancel(text: string, intent: string | null): boolean {
  return intent === 'cancel' || CANCEL.test(text);
}

/** "cancel", "start over", "talk to a person": by the bot's intents of those names, or by the words. */
export function commandOf(text: string, intent: string | null): Command | undefined {
  if (isCancel(text, intent)) return 'cancel';
  if (intent === 'start_over' || RESTART.test(text)) return 'restart';
  if (intent === 'human' || HUMAN.test(text)) return 'human';
  return undefined;
}

/** Telegram's `/start`, with or without a deep-link payload. */
export function isStart(text: string | undefined): boolean {
  return START.test(text ?? '');
}

/**
 * The confidence a digression needs: from a free-text question (`free_text`), or from a
 * question whose entity the message does not contain (`answer`); never below the bot's threshold.
 */
export function digressionBar(from: 'free_text' | 'answer', text: string | undefined, threshold = 0): number {
  const wanted =
    from === 'answer'
      ? DIGRESSION_CONFIDENCE
      : QUESTION.test(text ?? '')
        ? QUESTION_DIGRESSION_CONFIDENCE
        : FREE_TEXT_DIGRESSION_CONFIDENCE;
  return Math.max(wanted, threshold);
}

/**
 * A button from an earlier question pressed (or its number typed) while a free-text question
 * waits: text questions have no buttons, so any press is stale, and a bare "2" after a numbered
 * menu (or buttons) in the last few messages is that menu's option, not an answer.
 */
export async function isStaleChoice(ctx: Context): Promise<boolean> {
  if (ctx.message.content.type === 'postback') return true;
  if (!BARE_NUMBER.test(ctx.text ?? '')) return false;
  const seq = ctx.message.seq;
  const recent = await ctx.store.messages.list(ctx.conversation.id, {
    afterSeq: Math.max(0, seq - 12),
    limit: 12,
  });
  return recent.some((m) => m.direction === 'out' && m.seq < seq && offeredButtons(m.content).length > 0);
}
