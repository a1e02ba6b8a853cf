/**
 * The flow format, as loaded from `flows/*.yml`. Plain data (JSON-serialisable): a flow
 * version is stored as-is under DATA_DIR/flow-versions so a conversation can finish the
 * version it started on.
 *
 * @module
 */

/** A choice's option. `value` is stored in the slot and is the button's payload. */
export interface ChoiceOption {
  title: string;
  value: string;
  /** Also chosen when the customer's message has this intent (e.g. `affirm` for "Yes"). */
  intent?: string;
  /** Where to go when chosen (default: the step's `next`). */
  goto?: string;
}

export type GotoTarget = string | { flow: string; step?: string };

export interface HandoffSpec {
  team?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  reason?: string;
}

/** One step. Its kind is the one kind key it has (`ask`, `choice`, …); `say` alone is a say step. */
export interface Step {
  say?: string[];
  ask?: string;
  slot?: string;
  /** Entity filling the slot: a declared or built-in entity, or `text` for the whole message. */
  entity?: string;
  validate?: string;
  invalid?: string;
  retries?: number;
  /** After `retries` failed answers: a step, or `handoff`. */
  give_up?: string;
  /** Ask even when the slot is already filled. */
  always?: boolean;
  choice?: string;
  options?: ChoiceOption[];
  style?: 'buttons' | 'quick_replies';
  branch?: { if: string; goto: GotoTarget }[];
  else?: GotoTarget;
  set?: Record<string, unknown>;
  call?: string | { webhook: string; method?: 'POST' | 'GET' };
  with?: Record<string, unknown>;
  result?: string;
  timeout?: number;
  on_error?: string;
  goto?: GotoTarget;
  handoff?: HandoffSpec | true;
  /** Knowledge step: answer from the bot's documents (a question template, or `true`: the message). */
  knowledge?: string | true;
  end?: true;
  next?: string;
}

export type StepKind =
  | 'say'
  | 'ask'
  | 'choice'
  | 'branch'
  | 'set'
  | 'call'
  | 'goto'
  | 'handoff'
  | 'knowledge'
  | 'end';

export const STEP_KINDS: StepKind[] = [
  'ask',
  'choice',
  'branch',
  'set',
  'call',
  'goto',
  'handoff',
  'knowledge',
  'end',
];

export function stepKind(step: Step): StepKind {
  for (const kind of STEP_KINDS) if (step[kind] !== undefined) return kind;
  return 'say';
}

/** One flow: triggered by intents, made of named steps (the first one starts it). */
export interface FlowDefinition {
  id: string;
  triggers: string[];
  /** How the bot names it when offering to resume ("your return"). */
  description?: string;
  steps: Record<string, Step>;
  /** Step names in file order (a step without `next` falls through to the following one). */
  order: string[];
  /** Content hash: the flow's version. */
  version: string;
  file: string;
  line: number;
}

/** Texts the engine says on its own (repair, handoff); `messages:` in a flows file overrides them. */
export const DEFAULT_MESSAGES = {
  rephrase: "Sorry, I didn't quite get that. Could you say it another way?",
  offer_human: "I'm still not sure I understand. Would you like to talk to a person?",
  offer_help: "I'm still not sure I understand, sorry. Could you tell me in a few words what you need?",
  human_declined: 'No problem. What else can I help you with?',
  handoff: "I'm passing you to a colleague. They'll reply here as soon as they can.",
  queued: "You're in the queue; a colleague will reply here. Say 'cancel' to go back to the assistant.",
  queued_position:
    "You're number {{queue.position}} in line; the expected wait is about {{queue.wait}}. A colleague will reply here. Say 'cancel' to go back to the assistant.",
  queue_left: "OK, you've left the queue and you're back with the assistant. How can I help?",
  cancelled: "OK, I've stopped that. What else can I help you with?",
  nothing_to_cancel: "There's nothing in progress to cancel. How can I help?",
  restarted: "OK, let's start again.",
  resume: 'Shall we get back to {{flow}}?',
  resume_declined: 'OK. What else can I help you with?',
  invalid: "Sorry, that doesn't look right.",
  expected: 'Sorry, I was expecting {{expected}}.',
  expected_choice: 'Sorry, please choose one of: {{expected}}.',
  stale_choice: 'That option was for an earlier question.',
  welcome: 'Hi! How can I help you today?',
  action_failed: 'Sorry, something went wrong on my side.',
  lost: "Sorry, I lost track of where we were. Let's start again: how can I help?",
  yes: 'Yes',
  no: 'No',
};

export type MessageKey = keyof typeof DEFAULT_MESSAGES;

/** `settings:` in a flows file: how dates, times and amounts are read and written. */
export interface FlowSettings {
  /** IANA time zone of the bot ("tomorrow at 8pm" is 8 pm there). Default: the machine's. */
  timezone?: string;
  /** BCP 47 tag for dates and amounts, e.g. `en-GB`. Default: the intents' `language`. */
  locale?: string;
  /** ISO 4217 code for `money()` of a bare number, e.g. `EUR`. */
  currency?: string;
}

/** Everything in the `flows/` folder. */
export interface FlowSet {
  flows: Map<string, FlowDefinition>;
  /** intent → flow id. */
  byIntent: Map<string, string>;
  messages: Record<MessageKey, string>;
  settings: FlowSettings;
}

/** What an action receives. Return a value to store in the step's `result` slot. */
export interface ActionInput {
  /** The step's `with:` values, templates rendered. */
  args: Record<string, unknown>;
  slots: Record<string, unknown>;
  customer: Record<string, unknown>;
  conversationId: string;
  /** Aborted when the step's timeout passes. */
  signal: AbortSignal;
}

/**
 * An action a `call` step runs: a TypeScript function the bot author registers.
 *
 * ```ts
 * const lookup_order: Action = async ({ args }) => orders[String(args.order_id)] ?? { found: false };
 * ```
 */
export type Action = (input: ActionInput) => unknown;
