/**
 * Slack rate-limiting and failing while a customer waits and talks: 429 with Retry-After,
 * then 500s, then a Slack that posts but answers 500 anyway (the outcome is unknown to the
 * desk) — and afterwards everything the desk had to say is in Slack exactly once, in order:
 * the card, the transcript, every customer message relayed, the notices. Operator replies
 * (with Slack redelivering their events) reach the customer once each.
 */
import type { SlackCall } from '../channels/slack/harness';
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, SUPPORT, slackText, startDeskBot, webVisitor } from './harness';

jest.setTimeout(120_000);

let h: DeskBot;
beforeAll(async () => {
  h = await startDeskBot();
});
afterAll(async () => {
  h?.fake.respond(null);
  await h?.stop();
});

/** The calls the desk's outbox makes (ephemerals and the App Home are best effort, not in it). */
const DESK_METHODS = new Set([
  'chat.postMessage',
  'chat.update',
  'conversations.replies',
  'conversations.history',
]);

type Phase = 'up' | 'ratelimited' | 'down' | 'lying';

test('429s, 500s and 500-after-posting: afterwards each card, transcript, relay and notice is in Slack once, in order', async () => {
  let phase: Phase = 'up';
  const seen = { ratelimited: 0, down: 0, lying: 0, lookupsFailed: 0 };
  let lookups = 0;
  let updates = 0;
  let historyUp = false;
  h.fake.respond((call: SlackCall) => {
    if (!DESK_METHODS.has(call.method) || phase === 'up') return null;
    if (phase === 'ratelimited') {
      seen.ratelimited++;
      return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
    }
    if (phase === 'down') {
      seen.down++;
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    }
    // Lying: every post is made but answered 500; every other lookup and update fails too.
    if (call.method === 'chat.postMessage') {
      h.fake.postAnyway(call);
      seen.lying++;
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    }
    if (call.method === 'chat.update') return ++updates % 2 ? { status: 500, body: { ok: false } } : null;
    // Once the card is posted, the desk cannot find it for a while (its lookups fail).
    const cardPosted = h.fake.messages.some((m) => m.channel === SUPPORT && !m.thread_ts);
    if (call.method === 'conversations.history' && cardPosted && !historyUp) {
      seen.lookupsFailed++;
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    }
    if (++lookups % 2) {
      seen.lookupsFailed++;
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    }
    return null;
  });

  const customer = await webVisitor(h.url, 'visitor-outage-001');
  phase = 'ratelimited';
  const { conversationId } = await customer.say('I want to talk to a person');
  await customer.hears(/number 1 in line/i);
  const said: string[] = [];
  const say = async (text: string) => {
    said.push(text);
    await customer.say(text);
  };
  await say('first: are you there?');
  await say('second: the parcel says delivered');
  // Rate limited: the desk waits Retry-After and tries again, and is refused again.
  await until(() => seen.ratelimited >= 3, 30_000);
  expect(h.fake.messages.filter((m) => m.channel === SUPPORT)).toEqual([]);
  const limited = h.fake.calls.filter((c) => c.method === 'chat.postMessage');
  expect(limited.length).toBeGreaterThanOrEqual(2);

  phase = 'down';
  await say('third: but it is not here');
  await until(() => seen.down >= 4, 30_000);
  expect(h.fake.messages.filter((m) => m.channel === SUPPORT)).toEqual([]);

  // Slack now acts on the calls but the desk cannot know: every post answers 500.
  phase = 'lying';
  const card = await (async () => {
    await until(() => h.fake.messages.some((m) => m.channel === SUPPORT && !m.thread_ts), 30_000);
    return h.fake.messages.find((m) => m.channel === SUPPORT && !m.thread_ts);
  })();
  if (!card) throw new Error('no card');
  // Ada claims while Slack is still lying: a notice and a card update, queued behind the relays.
  expect((await h.click(ADA, 'desk:claim', conversationId)).status).toBe(200);
  await customer.hears(/Ada has joined/);
  await say('fourth: hello Ada');
  await say('fifth: order ORD-10002');
  // An operator reply, delivered twice by Slack (a retry with a new envelope): sent once.
  const reply = {
    type: 'message',
    channel: SUPPORT,
    user: ADA,
    text: 'Sorry about that, I am looking into it.',
    ts: '1767230000.000901',
    thread_ts: card.ts,
  };
  // The card is in Slack but the desk has not found it yet: the reply is not dropped. The
  // desk asks Slack which card the thread belongs to; that fails once (500: Slack delivers
  // the event again), then works.
  await until(() => seen.lookupsFailed >= 2, 30_000);
  expect(await h.desk.outbox.currentThread(conversationId)).toBeNull();
  expect((await h.event(reply, 'EvOUTAGE1')).status).toBe(500);
  expect((await h.event(reply, 'EvOUTAGE2')).status).toBe(200);
  await customer.hears(/looking into it/);
  expect((await h.desk.outbox.currentThread(conversationId))?.ts).toBe(card.ts);
  historyUp = true;
  await until(
    () => h.fake.messages.some((m) => m.thread_ts === card.ts && slackText(m).includes('fifth: order')),
    60_000,
  );
  expect(seen.lying).toBeGreaterThanOrEqual(5);

  // Slack recovers.
  phase = 'up';
  await say('sixth: thanks');
  await h.event(reply, 'EvOUTAGE3');
  await h.threadReply(ADA, SUPPORT, card.ts, 'A new one ships today.');
  await customer.hears(/ships today/);
  await until(
    () => h.fake.messages.some((m) => m.thread_ts === card.ts && slackText(m).includes('sixth: thanks')),
    30_000,
  );
  await h.click(ADA, 'desk:resolve', conversationId);
  await customer.hears(/Ada has closed the chat/);
  await h.idle();
  await until(() => /Resolved\* by Ada/.test(slackText(card)), 30_000);

  // Nothing is left to do, nothing failed.
  const items = await h.desk.outbox.list(conversationId);
  expect(items.filter((i) => i.state !== 'done')).toEqual([]);

  // One card in the channel, for this conversation.
  const cards = h.fake.messages.filter((m) => m.channel === SUPPORT && !m.thread_ts);
  expect(cards).toHaveLength(1);
  expect(slackText(cards[0] ?? {})).toContain(conversationId);

  // The thread: the transcript first, then every customer message and notice once, in order.
  const thread = h.fake.messages.filter((m) => m.thread_ts === card.ts);
  const label = (m: { text?: unknown; blocks?: unknown }): string => {
    const text = slackText(m);
    if (/Transcript/.test(text)) return 'transcript';
    if (/claimed this conversation/.test(text)) return 'claimed';
    if (/Resolved by/.test(text)) return 'resolved';
    const relayed = said.find((s) => String(m.text ?? '').includes(s));
    return relayed ? `customer: ${relayed}` : `other: ${String(m.text ?? '')}`;
  };
  expect(thread.map(label)).toEqual([
    'transcript',
    ...said.slice(0, 3).map((s) => `customer: ${s}`),
    'claimed',
    ...said.slice(3).map((s) => `customer: ${s}`),
    'resolved',
  ]);
  // Each was posted with its own outbox key (the metadata the lookups matched).
  const keys = thread.map((m) => JSON.stringify((m.metadata as { event_payload?: unknown })?.event_payload));
  expect(new Set(keys).size).toBe(keys.length);

  // The transcript covers the conversation up to the escalation.
  const transcript = slackText(thread[0] ?? {});
  expect(transcript).toContain('I want to talk to a person');
  expect(transcript).not.toContain('first: are you there?');

  // The customer got each operator reply once, in order.
  const fromOperator = (await h.bot.store.messages.list(conversationId))
    .filter((m) => m.author === 'operator')
    .map((m) => m.text);
  expect(fromOperator).toEqual(['Sorry about that, I am looking into it.', 'A new one ships today.']);
  expect(customer.heard.filter((m) => m.author === 'operator').map((m) => m.text)).toEqual(fromOperator);
  customer.close();
});

test('a long thread: after an uncertain relay the desk pages through the replies and posts it once', async () => {
  const customer = await webVisitor(h.url, 'visitor-outage-002');
  const { conversationId } = await customer.say('I want to talk to a person');
  await customer.hears(/number 1 in line/i);
  await h.click(ADA, 'desk:claim', conversationId);
  await customer.hears(/Ada has joined/);
  await h.idle();
  const thread = await h.desk.outbox.currentThread(conversationId);
  if (!thread) throw new Error('no thread');
  // A long chat: 250 earlier replies in the thread.
  for (let i = 0; i < 250; i++) {
    h.fake.messages.push({
      channel: SUPPORT,
      ts: `1767228000.${String(i).padStart(6, '0')}`,
      thread_ts: thread.ts,
      text: `earlier reply ${i}`,
      user: ADA,
    });
  }
  // Slack as it is: conversations.replies returns the thread oldest first, `limit` at a
  // time, with a cursor for the rest. The relay's first post is made but answered 500.
  const text = 'long thread: are you still there?';
  let lied = false;
  h.fake.respond((call) => {
    if (call.method === 'conversations.replies') {
      const all = h.fake.messages.filter(
        (m) => m.channel === call.args.channel && (m.ts === call.args.ts || m.thread_ts === call.args.ts),
      );
      const start = Number(call.args.cursor ?? 0);
      const limit = Number(call.args.limit ?? 1000);
      const next = start + limit < all.length ? String(start + limit) : '';
      return {
        body: {
          ok: true,
          messages: all.slice(start, start + limit),
          has_more: next !== '',
          response_metadata: { next_cursor: next },
        },
      };
    }
    if (call.method === 'chat.postMessage' && !lied && String(call.args.text).includes(text)) {
      lied = true;
      h.fake.postAnyway(call);
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    }
    return null;
  });
  try {
    await customer.say(text);
    await until(async () => {
      const items = await h.desk.outbox.list(conversationId);
      return lied && items.every((i) => i.state === 'done');
    }, 30_000);
    await h.idle();
    const relays = h.fake.messages.filter((m) => m.thread_ts === thread.ts && String(m.text).includes(text));
    expect(relays).toHaveLength(1);
  } finally {
    h.fake.respond(null);
  }
  await h.click(ADA, 'desk:resolve', conversationId);
  await customer.hears(/Ada has closed the chat/);
  customer.close();
});
