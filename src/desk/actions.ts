/**
 * What operators do: claim a waiting conversation, transfer it to another team, resolve
 * it or hand it back to the bot (optionally resuming a flow at a step, once the slots that
 * step needs are known), reply to the customer, set themselves available or away.
 *
 * Each action changes the queue first (the truth about who has what), then the
 * conversation's status, then tells Slack and the customer; each answers the operator with
 * a {@link DeskResult}. The buttons, the thread replies and the `/switchboard` commands
 * all end here.
 *
 * @module
 */
import type { FlowDefinition } from '../flows/types';
import type { QueueEntry } from '../handoff';
import type { ContentInput, Conversation } from '../model';
import {
  closedRequest,
  conversationOf,
  customerName,
  type DeskCore,
  type DeskMemory,
  notOperator,
  say,
  tellPosition,
} from './core';
import { requestOf } from './envelope';
import { handoffLifecycle } from '../handoff/lifecycle';

export interface ResolveOptions {
  outcome: 'resolved' | 'handed_back';
  /** Continue the bot at this flow step with these slot values. */
  resume?: { flow: string; step?: string; values?: Record<string, unknown> };
}

/** The outcome of an operator's action, with a sentence for them. */
export type DeskResult = { ok: true; message: string } | { ok: false; message: string };

/** An operator takes a waiting conversation. */
export async function claim(desk: DeskCore, conversationId: string, operatorId: string): Promise<DeskResult> {
  const result = await desk.queue.claim(conversationId, operatorId);
  if (!result.ok)
    return { ok: false, message: await refusal(desk, conversationId, operatorId, result.reason) };
  const operator = await desk.queue.operator(operatorId);
  const name = operator?.name ?? operatorId;
  const conversation = await conversationOf(desk, conversationId);
  const claimedAt = result.entry.claimedAt ?? desk.clock();
  await desk.store.conversations.update(
    conversationId,
    handoffLifecycle.assign({ ...(conversation.handoff ?? {}), operatorId, operatorName: name, claimedAt }),
  );
  await desk.store.events.add(conversationId, 'handoff_claimed', { operatorId, operatorName: name });
  const tag = `claim:${claimedAt}:${operatorId}`;
  await desk.note(
    conversationId,
    tag,
    `:raising_hand: <@${operatorId}> claimed this conversation. Reply in this thread to answer the customer; start with \`note:\` to keep a reply internal.`,
  );
  await desk.updateCard(conversationId, tag);
  await desk.bot.send(conversationId, say(desk, 'joined', { operator: name }), {
    author: 'system',
    idempotencyKey: `joined:${conversationId}:${claimedAt}`,
  });
  return {
    ok: true,
    message: `You have the conversation with ${desk.escape(await customerName(desk, conversation))}. Reply in its thread.`,
  };
}

/** To another team: a new card in that team's channel, the old one marked. */
export async function transfer(
  desk: DeskCore,
  conversationId: string,
  team: string,
  operatorId: string | null,
): Promise<DeskResult> {
  const config = desk.config;
  if (!config.teams[team])
    return {
      ok: false,
      message: `There is no team "${team}". Teams: ${Object.keys(config.teams).join(', ')}.`,
    };
  // Only operators move conversations (the SLA timer moves them with no operator).
  if (operatorId && !(await desk.queue.operator(operatorId)))
    return { ok: false, message: notOperator(operatorId) };
  const before = await desk.queue.get(conversationId);
  if (!before) return { ok: false, message: 'This conversation is not waiting for a person any more.' };
  if (before.team === team)
    return {
      ok: false,
      message: `It is already with ${team}${before.state === 'waiting' ? ', waiting' : ''}.`,
    };
  if (before.state === 'claimed' && operatorId && before.operatorId !== operatorId) {
    const holder = await desk.queue.operator(before.operatorId ?? '');
    return {
      ok: false,
      message: `${holder?.name ?? 'Another operator'} has this conversation; only they can transfer it.`,
    };
  }
  const entry = await desk.queue.transfer(conversationId, team);
  if (!entry) return { ok: false, message: 'This conversation is not waiting for a person any more.' };
  const by = operatorId ? ((await desk.queue.operator(operatorId))?.name ?? operatorId) : null;
  await moved(desk, conversationId, before, entry, by ? `by ${by}` : 'automatically');
  return { ok: true, message: `Transferred to ${team}.` };
}

/**
 * Marks the old card, posts the new one, moves the conversation back to `queued`. `tag`
 * names this move in the desk's outbox keys: the same tag again (a timer delivered twice)
 * posts nothing twice.
 */
export async function moved(
  desk: DeskCore,
  conversationId: string,
  before: QueueEntry,
  entry: QueueEntry,
  how: string,
  tag = `t${desk.clock()}`,
): Promise<void> {
  if (before.state === 'claimed')
    await desk.store.conversations.update(conversationId, handoffLifecycle.requeue());
  await desk.store.events.add(conversationId, 'handoff_transferred', {
    from: before.team,
    to: entry.team,
    how,
  });
  const old = await desk.outbox.currentThread(conversationId).catch(() => null);
  await desk.note(conversationId, `moved:${tag}`, `:arrow_right: Transferred to *${entry.team}* ${how}.`);
  if (desk.slack && old)
    await desk.outbox.add(conversationId, `moved-card:${conversationId}:${tag}`, 'update_card', {
      channel: old.channel,
      ts: old.ts,
      state: { kind: 'transferred', to: entry.team },
    });
  await desk.postCard(conversationId, entry.team, tag);
  await desk.note(
    conversationId,
    `from:${tag}`,
    `:arrow_left: Transferred from *${before.team}* ${how}.`,
    false,
    // A link to the earlier thread: its internal notes stay there.
    { linkPrevious: true },
  );
  await tellPosition(
    desk,
    conversationId,
    // An SLA move is the desk's business; the customer only needs their new place in line.
    how.startsWith('by the SLA') ? 'position' : 'transferred',
    `transferred:${conversationId}:${tag}`,
    entry.team,
  );
}

/** Done (Resolve) or back to the bot (Hand back): the bot answers again. */
export async function resolve(
  desk: DeskCore,
  conversationId: string,
  operatorId: string,
  options: ResolveOptions,
): Promise<DeskResult> {
  const operator = await desk.queue.operator(operatorId);
  if (!operator) return { ok: false, message: notOperator(operatorId) };
  const entry = await desk.queue.get(conversationId);
  if (!entry) return { ok: false, message: 'This conversation is not with a person any more.' };
  if (entry.state === 'claimed' && entry.operatorId !== operatorId) {
    const holder = await desk.queue.operator(entry.operatorId ?? '');
    return {
      ok: false,
      message: `${holder?.name ?? 'Another operator'} has this conversation; only they can close it.`,
    };
  }
  const conversation = await conversationOf(desk, conversationId);
  const resume = options.resume ? resumeState(desk, options.resume, conversation.handoff) : undefined;
  if (resume && 'error' in resume) return { ok: false, message: resume.error };
  const removed = await desk.queue.resolve(conversationId);
  if (!removed) return { ok: false, message: 'This conversation is not with a person any more.' };
  const name = operator.name;
  const now = desk.clock();
  const askRating =
    options.outcome === 'resolved' && desk.config.csat && !resume && entry.state === 'claimed';
  const memory: DeskMemory = {
    closed: {
      kind: options.outcome,
      by: name,
      at: now,
      ...closedRequest(desk, conversation.handoff, entry),
    },
    ...(askRating && { csat: { operatorId, operatorName: name, askedAt: now } }),
  };
  await desk.store.conversations.update(conversationId, {
    ...handoffLifecycle.release(),
    data: { ...conversation.data, desk: memory },
    ...(resume && { flow: resume.state }),
  });
  await desk.store.events.add(
    conversationId,
    options.outcome === 'resolved' ? 'handoff_resolved' : 'handoff_handed_back',
    {
      operatorId,
      operatorName: name,
      team: entry.team,
      waitedMs: (entry.claimedAt ?? now) - entry.waitingSince,
      ...(options.resume && { resume: options.resume }),
    },
  );
  const tag = `${options.outcome}:${now}`;
  await desk.note(
    conversationId,
    tag,
    options.outcome === 'resolved'
      ? `:white_check_mark: Resolved by <@${operatorId}>.${resume ? ` The bot resumes *${resume.state.flowId}* at \`${resume.state.step}\`.` : ''}`
      : `:robot_face: Handed back to the bot by <@${operatorId}>.${resume ? ` It resumes *${resume.state.flowId}* at \`${resume.state.step}\`.` : ''}`,
  );
  await desk.updateCard(conversationId, tag);
  const key = (what: string) => `${what}:${conversationId}:${now}`;
  await desk.bot.send(
    conversationId,
    // Closed before anyone joined: the customer never met this operator.
    say(desk, options.outcome === 'resolved' && entry.state === 'claimed' ? 'resolved' : 'handed_back', {
      operator: name,
    }),
    { author: 'system', idempotencyKey: key('closed') },
  );
  if (resume) {
    await desk.bot.send(
      conversationId,
      {
        type: 'text',
        text: say(desk, 'resume', { flow: resume.title }),
        quickReplies: [
          { type: 'postback', title: 'Yes', payload: 'sb:yes' },
          { type: 'postback', title: 'No', payload: 'sb:no' },
        ],
      },
      { idempotencyKey: key('resume') },
    );
  } else if (askRating) {
    await desk.bot.send(
      conversationId,
      {
        type: 'text',
        text: say(desk, 'csat', { operator: name }),
        quickReplies: [1, 2, 3, 4, 5].map((n) => ({
          type: 'postback' as const,
          title: String(n),
          payload: `sb:csat:${n}`,
        })),
      },
      { idempotencyKey: key('csat') },
    );
  }
  return { ok: true, message: options.outcome === 'resolved' ? 'Resolved.' : 'Handed back to the bot.' };
}

/** The flow state to resume at, with the slots it needs, or why it cannot be resumed there. */
function resumeState(
  desk: DeskCore,
  resume: NonNullable<ResolveOptions['resume']>,
  handoff: Record<string, unknown> | null,
): { state: NonNullable<Conversation['flow']>; title: string } | { error: string } {
  const flows = desk.flows();
  const flow = flows?.flows.get(resume.flow);
  if (!flows || !flow)
    return {
      error: `There is no flow "${resume.flow}"${flows ? `. Flows: ${[...flows.flows.keys()].join(', ')}` : ''}.`,
    };
  const step = resume.step ?? flow.order[0];
  if (!step || !flow.steps[step])
    return { error: `Flow "${flow.id}" has no step "${resume.step}". Steps: ${flow.order.join(', ')}.` };
  // What the customer had already given in this flow before the handoff, then the operator's values.
  const before = requestOf(handoff, desk.clock())?.flow;
  const slots = { ...(before?.flowId === flow.id ? (before.slots ?? {}) : {}), ...(resume.values ?? {}) };
  const missing = slotsNeededFrom(flow, step).filter((slot) => !(slot in slots));
  if (missing.length) {
    const setters = flow.order.filter((name) => {
      const def = flow.steps[name] as { slot?: string; result?: string };
      return missing.includes(def.slot ?? '') || missing.includes(def.result ?? '');
    });
    return {
      error: `From step "${step}" on, the flow uses ${missing.map((m) => `\`${m}\``).join(', ')}, which nothing after it asks for. Give ${missing.length > 1 ? 'them' : 'it'} (\`${missing[0]}=…\`) or resume at an earlier step${setters.length ? ` (${setters.map((n) => `\`${flow.id}.${n}\``).join(', ')})` : ''}.`,
    };
  }
  return {
    state: { flowId: flow.id, flowVersion: flow.version, step, slots, data: { awaiting: 'resume' } },
    title: flow.description ?? flow.id.replace(/_/g, ' '),
  };
}

/** An operator's thread reply: to the customer (claiming a waiting conversation on the way). */
export async function operatorReply(
  desk: DeskCore,
  conversationId: string,
  operatorId: string,
  content: ContentInput,
  idempotencyKey: string,
): Promise<DeskResult> {
  const operator = await desk.queue.operator(operatorId);
  if (!operator) return { ok: false, message: notOperator(operatorId) };
  let entry = await desk.queue.get(conversationId);
  if (!entry)
    return {
      ok: false,
      message: 'Not sent: this conversation is no longer with a person (resolved, or back with the bot).',
    };
  if (entry.state === 'waiting') {
    const claimed = await claim(desk, conversationId, operatorId);
    if (!claimed.ok) return { ok: false, message: `Not sent: ${claimed.message}` };
    entry = await desk.queue.get(conversationId);
  }
  if (entry?.operatorId !== operatorId) {
    const holder = await desk.queue.operator(entry?.operatorId ?? '');
    return {
      ok: false,
      message: `Not sent: ${holder?.name ?? 'another operator'} has this conversation. Start with \`note:\` to write an internal note.`,
    };
  }
  await desk.bot.send(conversationId, content, {
    author: 'operator',
    authorName: operator.name,
    idempotencyKey,
  });
  await desk.queue.touch(conversationId, operatorId);
  return { ok: true, message: 'Sent.' };
}

export async function setAvailability(
  desk: DeskCore,
  operatorId: string,
  availability: 'available' | 'away',
): Promise<DeskResult> {
  const state = await desk.queue.setAvailability(operatorId, availability);
  if (!state) return { ok: false, message: notOperator(operatorId) };
  return {
    ok: true,
    message:
      availability === 'available'
        ? `You're available (${state.active}/${state.capacity} chats).`
        : "You're away: no new chats for you. The ones you hold stay yours.",
  };
}

/** Why the queue refused a claim, in words for the operator. */
async function refusal(
  desk: DeskCore,
  conversationId: string,
  operatorId: string,
  reason: string,
): Promise<string> {
  switch (reason) {
    case 'unknown_operator':
      return notOperator(operatorId);
    case 'operator_away':
      return "You're set to away: `/switchboard available` first.";
    case 'at_capacity': {
      const op = await desk.queue.operator(operatorId);
      return `You already hold ${op?.active ?? 'your maximum of'} conversations (capacity ${op?.capacity ?? '?'}). Resolve or transfer one first.`;
    }
    default: {
      const entry = await desk.queue.get(conversationId);
      if (entry?.state === 'claimed') {
        const holder = await desk.queue.operator(entry.operatorId ?? '');
        return entry.operatorId === operatorId
          ? 'You already have it.'
          : `${holder?.name ?? 'Someone'} already claimed it.`;
      }
      return 'It is not waiting any more (resolved, cancelled or back with the bot).';
    }
  }
}

/**
 * The slots that the steps from `step` on (in file order) read before any of them sets
 * them: what a flow resumed there needs already filled.
 */
export function slotsNeededFrom(flow: FlowDefinition, step: string): string[] {
  const needed = new Set<string>();
  const set = new Set<string>();
  for (const name of flow.order.slice(Math.max(0, flow.order.indexOf(step)))) {
    const def = flow.steps[name] as { slot?: string; result?: string };
    for (const match of JSON.stringify(def).matchAll(/slots\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const slot = match[1] as string;
      if (!set.has(slot) && slot !== def.slot && slot !== def.result) needed.add(slot);
    }
    if (def.slot) set.add(def.slot);
    if (def.result) set.add(def.result);
  }
  return [...needed];
}
