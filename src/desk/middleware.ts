/**
 * The bot's side of human handoff: a middleware around the bot's own behaviour, and
 * escalation.
 *
 * - While a person is involved (`queued`, `assigned`) each customer message is relayed
 *   into the card's thread; while one owns the conversation the bot says nothing.
 * - After a resolve the customer's 1–5 rating of the operator is taken (CSAT).
 * - The desk's own triggers hand off too: a bot error (`escalate_on_error`), or the last
 *   few customer messages all negative (`negative_sentiment`).
 * - A conversation that became `queued` this turn is escalated: into the queue, its card
 *   and transcript into the outbox, the customer told their place in line. One that went
 *   back to the bot while waiting ("cancel") leaves the queue.
 *
 * @module
 */
import type { Middleware } from '../core/composer';
import type { Context } from '../core/context';
import type { QueueEntry } from '../handoff';
import { queuePlace, setHumanAvailability } from '../handoff/availability';
import { teamFor } from '../handoff/timing';
import type { Conversation } from '../model';
import {
  type CardTrigger,
  closedRequest,
  type DeskCore,
  type DeskMemory,
  formatWait,
  say,
  tellPosition,
} from './core';
import { type HandoffRequest, requestOf } from './envelope';
import { handoffLifecycle, transitionOf } from '../handoff/lifecycle';

/** A rating typed instead of tapped: `4`, `5/5`, `3 stars`, `4 ⭐`. */
const RATING = /^\s*([1-5])\s*(\/\s*5|stars?|⭐+)?\s*[.!]*\s*$/i;

/**
 * The middleware, installed before the bot's own behaviour: relays while a person is
 * involved, keeps the bot silent while one owns the conversation, takes ratings, and
 * escalates what the behaviour (or a trigger) hands off.
 */
export function deskMiddleware(desk: DeskCore): Middleware<Context> {
  return async (ctx, next) => {
    if (!desk.enabled) return next();
    // The flows (and `ctx.handOff()`) queue a handoff only when someone works the queue.
    setHumanAvailability(ctx, { available: desk.staffed, message: say(desk, 'unavailable', {}) });
    const before = ctx.conversation.status;
    const handoffBefore = ctx.conversation.handoff;
    const memory = (ctx.conversation.data.desk ?? {}) as DeskMemory;
    if (before === 'bot' && memory.csat) {
      if (await takeRating(desk, ctx, memory)) return;
    }
    if (before === 'queued' || before === 'assigned') await desk.relay(ctx.conversation.id, ctx.message);
    // A person owns the conversation: the bot says nothing.
    if (before === 'assigned') return;
    if (before === 'queued') {
      const position = await desk.queue.position(ctx.conversation.id);
      if (position)
        ctx.set(queuePlace, { position: position.position, wait: formatWait(position.expectedWaitMs) });
    }
    let failure: unknown;
    try {
      await next();
    } catch (error) {
      failure = error;
    }
    const config = desk.config;
    // Nobody to escalate to: the desk's own triggers stay quiet (the customer did not ask).
    if (ctx.conversation.status === 'bot' && before === 'bot' && desk.staffed) {
      if (failure !== undefined && config.escalateOnError) {
        await ctx.handOff({ reason: 'The bot failed on a message', source: 'bot_error', priority: 'high' });
      } else if (config.negativeSentiment > 0 && (await upset(desk, ctx, config.negativeSentiment))) {
        await ctx.handOff({
          reason: 'The customer seems upset',
          source: 'negative_sentiment',
          priority: 'high',
        });
      }
    }
    const transition = transitionOf(before, ctx.conversation.status);
    if (transition === 'queued')
      // The message that triggered it is stored with its NLU only after this turn: the card gets it now.
      await escalate(desk, ctx.conversation, {
        messageId: ctx.message.id,
        ...(ctx.nlu && { nlu: ctx.nlu }),
      });
    else if (transition === 'left_queue') await customerLeft(desk, ctx, handoffBefore);
    if (failure !== undefined) throw failure;
  };
}

/** The last `n` customer messages (this one included) were all negative. */
async function upset(desk: DeskCore, ctx: Context, n: number): Promise<boolean> {
  if (ctx.nlu?.sentiment?.label !== 'negative') return false;
  if (n === 1) return true;
  const recent = await desk.store.messages.list(ctx.conversation.id, {
    afterSeq: Math.max(0, ctx.message.seq - 4 * n),
  });
  const inbound = recent.filter((m) => m.direction === 'in' && m.seq < ctx.message.seq).slice(-(n - 1));
  return inbound.length === n - 1 && inbound.every((m) => m.nlu?.sentiment?.label === 'negative');
}

async function takeRating(desk: DeskCore, ctx: Context, memory: DeskMemory): Promise<boolean> {
  const pending = memory.csat as NonNullable<DeskMemory['csat']>;
  const { csat: _asked, ...rest } = memory;
  const raw = ctx.payload?.startsWith('sb:csat:') ? ctx.payload.slice(8) : RATING.exec(ctx.text ?? '')?.[1];
  const rating = raw ? Number(raw) : Number.NaN;
  await ctx.updateConversation({ data: { ...ctx.conversation.data, desk: rest } });
  if (!(rating >= 1 && rating <= 5)) return false;
  await desk.store.events.add(ctx.conversation.id, 'csat', {
    rating,
    operatorId: pending.operatorId,
    operatorName: pending.operatorName,
    channel: ctx.channel,
  });
  await ctx.reply(say(desk, 'csat_thanks', { operator: pending.operatorName }));
  return true;
}

/**
 * Puts a `queued` conversation in the queue: the team's card and transcript, the
 * customer's place in line. Idempotent (crash recovery runs it again).
 */
export async function escalate(
  desk: DeskCore,
  queued: Conversation,
  trigger?: CardTrigger,
): Promise<QueueEntry> {
  let conversation = queued;
  const config = desk.config;
  // Queued without a handoff request (code set the status itself): the defaults, dated when
  // the conversation last changed, kept on the conversation like any request (the card, a
  // claim and crash recovery all read it there).
  if (!conversation.handoff) {
    const handoff = { requestedAt: conversation.updatedAt, source: 'status' };
    conversation = await desk.store.conversations.update(conversation.id, { handoff });
  }
  const request = requestOf(conversation.handoff, desk.clock()) as HandoffRequest;
  const team = teamFor(config, request.team).name;
  const { entry, created } = await desk.queue.enqueue({
    conversationId: conversation.id,
    team,
    priority: request.priority,
    reason: request.reason,
    waitingSince: request.requestedAt,
  });
  const spell = request.requestedAt;
  // Independent steps run together (each store round trip waits for a commit under load).
  await Promise.all([
    created &&
      desk.store.events.add(conversation.id, 'handoff_requested', {
        reason: request.reason,
        team: entry.team,
        requestedTeam: request.team,
        priority: request.priority,
        source: request.source,
      }),
    (async () => {
      // The CRM's view of the customer for the card (bounded by CRM_TIMEOUT_MS; a failing CRM only logs).
      if (created) await desk.bot.enrichCustomer(conversation.customerId, 'handoff').catch(() => undefined);
      await desk.postCard(conversation.id, entry.team, `${spell}`, trigger);
    })(),
    tellPosition(desk, conversation.id, 'position', `queue:${conversation.id}:${spell}`, entry.team),
  ]);
  return entry;
}

/** The customer said "cancel" while waiting (the flows gave the conversation back to the bot). */
async function customerLeft(
  desk: DeskCore,
  ctx: Context,
  handoff: Record<string, unknown> | null,
): Promise<void> {
  const id = ctx.conversation.id;
  const left = await desk.queue.cancel(id);
  if (!left) {
    const entry = await desk.queue.get(id);
    if (entry?.state === 'claimed') {
      // An operator claimed it in the same instant: they keep it.
      const operator = await desk.queue.operator(entry.operatorId ?? '');
      await ctx.updateConversation(handoffLifecycle.assign({ ...(handoff ?? {}) }));
      await ctx.reply(say(desk, 'already_claimed', { operator: operator?.name ?? 'A colleague' }));
      return;
    }
  }
  await ctx.updateConversation({
    data: {
      ...ctx.conversation.data,
      desk: {
        closed: {
          kind: 'cancelled',
          by: null,
          at: desk.clock(),
          ...closedRequest(desk, handoff, left),
        },
      },
    },
  });
  await desk.note(
    id,
    `left:${ctx.message.id}`,
    ':leftwards_arrow_with_hook: The customer left the queue; the bot has the conversation again.',
  );
  await desk.updateCard(id, `left:${ctx.message.id}`);
}
