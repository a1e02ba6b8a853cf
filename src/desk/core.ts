/**
 * What the desk's modules share: {@link DeskCore}, the running desk as they see it (its
 * state once started, and the ways it reaches Slack), what the desk keeps on a
 * conversation, and the small helpers several of them use.
 *
 * The modules (middleware, operator actions, timers, Slack requests, commands, App Home,
 * performer) are functions of a `DeskCore`, not methods of the `Desk`: the desk builds the
 * one core it hands them and keeps its own fields private.
 *
 * @module
 */
import type { webApi } from '@slack/bolt';
import type { Bot } from '../core/bot';
import type { Context } from '../core/context';
import type { FlowSet } from '../flows/types';
import type { HandoffConfig, HandoffQueue, QueueEntry } from '../handoff';
import type { DeskMessageKey } from '../handoff/config';
import type { Conversation, Message } from '../model';
import { SwitchboardError } from '../errors';
import { isPlatformRef } from '../media/links';
import type { Store } from '../store';
import { type HandoffRequest, requestOf } from './envelope';
import type { DeskItem, DeskPerformer, DeskStore } from './outbox';

/** What the desk keeps on `conversation.data.desk`. */
export interface DeskMemory {
  /** Waiting for the customer's 1–5 rating of this operator. */
  csat?: { operatorId: string; operatorName: string; askedAt: number };
  /** How the last handoff ended, with what it was about (the card still shows it). */
  closed?: {
    kind: 'resolved' | 'handed_back' | 'cancelled';
    by: string | null;
    at: number;
    request?: HandoffRequest;
  };
}

/** The message that triggered an escalation, with its NLU (stored with the message only after the turn). */
export interface CardTrigger {
  messageId: string;
  nlu?: Message['nlu'];
}

/** The parts of the bot the desk uses. */
export type DeskBot = Pick<
  Bot<Context>,
  'store' | 'logger' | 'send' | 'enrichCustomer' | 'searchConversations' | 'media' | 'adapter'
>;

/**
 * A message as an operator can open it: media kept on a platform (a Telegram file id…)
 * gets a signed link through this server (src/media); anything else is returned as is.
 */
export function viewable(desk: DeskCore, message: Message): Message {
  const content = message.content;
  if (content.type !== 'media' || !isPlatformRef(content.url)) return message;
  // Only where this server can fetch it; otherwise "kept on <channel>" says more than a dead link.
  if (!desk.bot.adapter(message.channel)?.fetchMedia) return message;
  try {
    return { ...message, content: { ...content, url: desk.bot.media.urlFor(message.channel, content) } };
  } catch {
    return message; // Not running: shown as "kept on <channel>" instead.
  }
}

/**
 * The desk as its modules see it. The state is read live (a module holding the core sees
 * the desk start and stop); `config`, `queue` and `outbox` are only valid once started.
 */
export interface DeskCore {
  /** Started with a handoff.yml (false before start and after stop). */
  readonly enabled: boolean;
  readonly config: HandoffConfig;
  /** The truth about who has what; throws before start. */
  readonly queue: HandoffQueue;
  /** The desk's durable Slack calls and card threads; throws before start. */
  readonly outbox: DeskStore;
  readonly store: Store;
  readonly bot: DeskBot;
  /** Slack is configured: the desk's calls are stored and a sender makes them. */
  readonly slack: boolean;
  /** Someone can take a handoff (see {@link DeskOptions.staffed}): else the bot keeps the conversation. */
  readonly staffed: boolean;
  /** The client for the desk's own Slack calls (none without Slack, or once stopped). */
  readonly slackClient: webApi.WebClient | undefined;
  /** Customer-written text as the operators' face shows it literally (its markup escaped). */
  escape(text: string): string;
  /** Epoch ms. */
  clock(): number;
  /** The bot's flows, for "resolve and resume at a step". */
  flows(): FlowSet | undefined;

  // Slack, through the outbox: each call is stored first, then made by the sender (no-ops without Slack).

  /** A notice in the conversation's current thread (`broadcast`: also to the channel). */
  note(
    conversationId: string,
    tag: string,
    text: string,
    broadcast?: boolean,
    extra?: { linkPrevious?: boolean },
  ): Promise<void>;
  /** The card re-rendered in its current state (and the App Homes refreshed). */
  updateCard(conversationId: string, tag: string): Promise<void>;
  /** A new card in `team`'s channel, with the transcript so far in its thread. */
  postCard(conversationId: string, team: string, tag: string, trigger?: CardTrigger): Promise<void>;
  /** A customer message into the thread, exactly once. */
  relay(conversationId: string, message: Message): Promise<void>;
}

/** A wait as a person says it: `less than a minute`, `5 minutes`, `1 h 20 min`. */
export function formatWait(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} h${rest ? ` ${rest} min` : ''}`;
}

/**
 * The operators' side of the desk, provided by the channel operators work in (the Slack
 * plug-in's `adapters/slack/operator-desk`): it serves their events, clicks and commands,
 * makes the desk's stored calls (cards, relays, notices) and keeps their views current. The
 * desk itself (the queue, its durable calls and timers, the bot's middleware, the operator
 * actions) names no platform.
 */
export interface OperatorFace {
  /** The Web API client the face's calls use. */
  readonly client: webApi.WebClient;
  /** Starts serving operators for `desk` (only `teamChannels` are desk channels); returns the stop. */
  serve(desk: DeskCore, teamChannels: (channelId: string) => boolean): () => void;
  /** Makes one stored call; what it returns is kept with the row. */
  perform(desk: DeskCore, item: DeskItem): ReturnType<DeskPerformer>;
  /** The operators' views follow the queue (debounced). */
  refresh(): void;
  /** Stops what the face runs (its timers). */
  stop(): void;
  /** Text as the face shows it literally. */
  escape(text: string): string;
}

/** The operators' face `adapter` offers (the Slack adapter does), if any. */
export function operatorFaceOf(adapter: unknown): OperatorFace | undefined {
  const offer = (adapter as { operatorFace?: () => OperatorFace } | undefined)?.operatorFace;
  return typeof offer === 'function' ? offer.call(adapter) : undefined;
}

/** handoff.yml's text for `key`, its `{placeholders}` filled in. */
export function say(desk: DeskCore, key: DeskMessageKey, values: Record<string, string | number>): string {
  const template = desk.config.messages[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export async function conversationOf(desk: DeskCore, id: string): Promise<Conversation> {
  const conversation = await desk.store.conversations.get(id);
  if (!conversation) throw new SwitchboardError('SB_NOT_FOUND', `conversation ${id} does not exist`);
  return conversation;
}

export async function customerName(desk: DeskCore, conversation: Conversation): Promise<string> {
  const customer = await desk.store.customers.get(conversation.customerId);
  return customer?.profile.name ?? `a customer on ${conversation.lastChannel}`;
}

/** The request and the queue entry's team and priority, kept for the card after the queue forgets them. */
export function closedRequest(
  desk: DeskCore,
  handoff: Record<string, unknown> | null,
  entry: QueueEntry | null,
): { request?: HandoffRequest } {
  const request = requestOf(handoff, entry?.waitingSince ?? desk.clock());
  if (!request) return {};
  return {
    request: {
      ...request,
      ...(entry && { team: entry.team, priority: entry.priority, requestedAt: entry.waitingSince }),
    },
  };
}

/** Tells the customer their place in line (nothing once they are out of it). */
export async function tellPosition(
  desk: DeskCore,
  conversationId: string,
  key: DeskMessageKey,
  idempotencyKey: string,
  team: string,
) {
  const position = await desk.queue.position(conversationId);
  if (!position) return;
  await desk.bot.send(
    conversationId,
    say(desk, key, { position: position.position, wait: formatWait(position.expectedWaitMs), team }),
    { idempotencyKey },
  );
}

export function notOperator(userId: string): string {
  return `You (<@${userId}>) are not an operator: add your Slack user id to handoff.yml (\`operators:\`).`;
}
