/**
 * The performer: turns one `desk_outbox` row into its Slack Web API call — the card
 * (posted, or updated in place), the transcript, a relay of a customer message, a notice
 * in the thread. The {@link DeskSender} calls it in order per conversation and retries
 * what fails.
 *
 * Exactly once: every post carries its item's key in Slack message metadata, so after an
 * attempt whose outcome is unknown (`item.uncertain`) the performer first looks for the
 * message that attempt may have posted ({@link findPosted}) and takes it instead of
 * posting twice.
 *
 * @module
 */
import type { webApi } from '@slack/bolt';
import { toDeliveryError } from '../errors';
import { ChannelApiError } from '../../../src/errors';
import { teamFor } from '../../../src/handoff/timing';
import { type CardState, renderCard, renderRelay, renderTranscript } from './blocks';
import {
  type CardTrigger,
  conversationOf,
  type DeskCore,
  type DeskMemory,
  viewable,
} from '../../../src/desk/core';
import { envelopeOf, type HandoffRequest, requestOf } from '../../../src/desk/envelope';
import type { DeskItem, DeskSender, DeskThread } from '../../../src/desk/outbox';

/** The Slack message metadata type the desk's posts carry (their outbox key in the payload). */
export const METADATA_TYPE = 'switchboard_desk';
/** Pages of 200 a lookup reads before concluding a call did not reach Slack. */
const MAX_LOOKUP_PAGES = 50;

/** Makes one desk item's Slack call (see {@link DeskSender}). */
export async function perform(desk: DeskCore, item: DeskItem): Promise<Record<string, unknown>> {
  const client = desk.slackClient;
  if (!client)
    throw new ChannelApiError({
      channel: 'slack',
      method: item.kind,
      description: 'Slack is not configured',
      permanent: true,
    });
  const config = desk.config;
  const metadata = { event_type: METADATA_TYPE, event_payload: { key: item.key } };
  const call = async <T>(method: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toDeliveryError(error, method);
    }
  };
  if (item.kind === 'card') {
    const team = teamFor(config, String(item.payload.team));
    if (item.uncertain) {
      const found = await findPosted(client, team.channel, undefined, item);
      if (found) {
        await desk.outbox.addThread({
          conversationId: item.conversationId,
          channel: team.channel,
          ts: found,
          team: team.name,
        });
        return { channel: team.channel, ts: found, found: true };
      }
    }
    const card = await currentCard(desk, item.conversationId, undefined, item);
    const result = await call('chat.postMessage', () =>
      client.chat.postMessage({
        channel: team.channel,
        text: card.text,
        blocks: card.blocks as never,
        metadata,
        unfurl_links: false,
      }),
    );
    const ts = String(result.ts);
    await desk.outbox.addThread({
      conversationId: item.conversationId,
      channel: String(result.channel ?? team.channel),
      ts,
      team: team.name,
    });
    return { channel: team.channel, ts };
  }
  if (item.kind === 'update_card') {
    const given = item.payload as { channel?: string; ts?: string; state?: CardState };
    const thread =
      given.channel && given.ts
        ? { channel: given.channel, ts: given.ts }
        : await desk.outbox.currentThread(item.conversationId);
    if (!thread) return { skipped: 'no card' };
    const card = await currentCard(desk, item.conversationId, given.state);
    await call('chat.update', () =>
      client.chat.update({
        channel: thread.channel,
        ts: thread.ts,
        text: card.text,
        blocks: card.blocks as never,
      }),
    );
    return { channel: thread.channel, ts: thread.ts };
  }
  const [thread, relayed] = await Promise.all([
    desk.outbox.currentThread(item.conversationId),
    item.kind === 'relay' ? desk.store.messages.get(String(item.payload.messageId)) : null,
  ]);
  if (!thread)
    throw new ChannelApiError({
      channel: 'slack',
      method: item.kind,
      description: 'the escalation card was never posted',
      permanent: true,
    });
  if (item.uncertain) {
    const found = await findPosted(client, thread.channel, thread, item);
    if (found) return { channel: thread.channel, ts: found, found: true };
  }
  let message: { text: string; blocks?: unknown[] };
  if (item.kind === 'transcript') {
    const upto = Number(item.payload.uptoSeq ?? 0);
    const messages = (await desk.store.messages.list(item.conversationId)).filter((m) => m.seq <= upto);
    message = renderTranscript(messages.map((m) => viewable(desk, m)));
  } else if (item.kind === 'relay') {
    if (!relayed) return { skipped: 'message not found' };
    message = renderRelay(viewable(desk, relayed));
  } else {
    message = { text: String(item.payload.text) };
    if (item.payload.linkPrevious === true) {
      const link = await previousThreadLink(desk, client, item.conversationId, thread);
      if (link) message = { text: `${message.text} <${link}|Earlier thread>, with its internal notes.` };
    }
  }
  const result = await call('chat.postMessage', () =>
    client.chat.postMessage({
      channel: thread.channel,
      thread_ts: thread.ts,
      text: message.text,
      ...(message.blocks && { blocks: message.blocks as never }),
      ...(item.payload.broadcast === true && { reply_broadcast: true }),
      metadata,
      unfurl_links: false,
    } as never),
  );
  return { channel: thread.channel, ts: String((result as { ts?: string }).ts) };
}

/** A permalink to the thread before `current` (best effort: none when Slack will not say). */
async function previousThreadLink(
  desk: DeskCore,
  client: webApi.WebClient,
  conversationId: string,
  current: DeskThread,
): Promise<string | undefined> {
  const threads = await desk.outbox.threads(conversationId);
  const index = threads.findIndex((t) => t.channel === current.channel && t.ts === current.ts);
  const previous = index > 0 ? threads[index - 1] : undefined;
  if (!previous) return undefined;
  try {
    const answer = await client.chat.getPermalink({ channel: previous.channel, message_ts: previous.ts });
    return typeof answer.permalink === 'string' ? answer.permalink : undefined;
  } catch {
    return undefined;
  }
}

/** After an uncertain attempt: the ts of the message this item already posted, if any. */
async function findPosted(
  client: webApi.WebClient,
  channel: string,
  thread: DeskThread | undefined,
  item: DeskItem,
): Promise<string | undefined> {
  const matches = (m: { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }) =>
    m.metadata?.event_type === METADATA_TYPE && m.metadata.event_payload?.key === item.key;
  // Every page: a long thread has more than one (replies come oldest first), and a busy
  // channel may have more than one page since the item was queued.
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_LOOKUP_PAGES; pages++) {
    let page: { messages?: unknown[]; response_metadata?: { next_cursor?: string } };
    try {
      page = thread
        ? await client.conversations.replies({
            channel,
            ts: thread.ts,
            include_all_metadata: true,
            limit: 200,
            ...(cursor && { cursor }),
          })
        : await client.conversations.history({
            channel,
            oldest: String(Math.floor(item.createdAt / 1000) - 60),
            include_all_metadata: true,
            limit: 200,
            ...(cursor && { cursor }),
          });
    } catch (error) {
      throw toDeliveryError(error, thread ? 'conversations.replies' : 'conversations.history');
    }
    const found = (page.messages ?? []).find((m) => matches(m as never)) as { ts?: string } | undefined;
    if (found) return found.ts;
    cursor = page.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** The card as it should look now (or in `override`'s state). */
async function currentCard(desk: DeskCore, conversationId: string, override?: CardState, item?: DeskItem) {
  const config = desk.config;
  const store = desk.store;
  // Independent reads issued together: one round through the store's batch, not six.
  const [conversation, entry, messages] = await Promise.all([
    conversationOf(desk, conversationId),
    desk.queue.get(conversationId),
    store.messages.list(conversationId),
  ]);
  const [customer, identities, holder] = await Promise.all([
    store.customers.get(conversation.customerId),
    store.identities.listByCustomer(conversation.customerId),
    entry?.state === 'claimed' && !override ? desk.queue.operator(entry.operatorId ?? '') : null,
  ]);
  const memory = (conversation.data.desk ?? {}) as DeskMemory;
  let state: CardState;
  if (override) state = override;
  else if (entry?.state === 'waiting') state = { kind: 'waiting', entry };
  else if (entry?.state === 'claimed') state = { kind: 'claimed', entry, operatorName: holder?.name ?? '' };
  else if (memory.closed?.kind === 'resolved') state = { kind: 'resolved', by: memory.closed.by };
  else if (memory.closed?.kind === 'handed_back') state = { kind: 'handed_back', by: memory.closed.by };
  else state = { kind: 'cancelled' };
  const request =
    requestOf(conversation.handoff, desk.clock()) ??
    memory.closed?.request ??
    ({
      reason: entry?.reason ?? 'Handoff',
      team: entry?.team ?? config.defaultTeam,
      priority: entry?.priority ?? 'normal',
      source: 'flow',
      requestedAt: entry?.waitingSince ?? conversation.updatedAt,
    } satisfies HandoffRequest);
  // The message that triggered the escalation may not carry its NLU yet (stored after the turn).
  const trigger = item?.payload.trigger as CardTrigger | undefined;
  const withTrigger = trigger?.nlu
    ? messages.map((m) => (m.id === trigger.messageId && !m.nlu ? { ...m, nlu: trigger.nlu } : m))
    : messages;
  const envelope = envelopeOf(
    conversation,
    { ...request, team: entry?.team ?? teamFor(config, request.team).name },
    customer,
    identities,
    withTrigger,
  );
  return renderCard({
    envelope,
    state,
    teams: Object.keys(config.teams),
    recent: messages.slice(-6).map((m) => viewable(desk, m)),
    now: desk.clock(),
  });
}
