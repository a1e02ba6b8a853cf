/**
 * Conversation search and history over the admin HTTP API, on the sample bot (its NLU
 * scores sentiment), through the web channel: by text, channel, outcome and sentiment.
 */
import path from 'node:path';
import { setHumanAvailability } from '../../src/handoff';
import { startTestBot, type TestBot } from '../helpers/bot';

const TOKEN = 'test-admin-token-0123456789abcdef';
let sb: TestBot;

beforeAll(async () => {
  sb = await startTestBot({
    env: { BOT_DIR: path.resolve(__dirname, '../..'), ADMIN_API_TOKEN: TOKEN },
    // Someone works the queue (this test has no Slack): handoffs are queued, not declined.
    setup: (b) =>
      b.use((ctx, next) => {
        setHumanAvailability(ctx, { available: true });
        return next();
      }),
  });
}, 60_000);

afterAll(async () => {
  await sb.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: response JSON read freely by tests
async function api(query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.baseUrl}/api/v1/${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: await res.json() };
}

async function say(visitorId: string, text: string): Promise<string> {
  const res = await fetch(`${sb.baseUrl}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, text }),
  });
  const { conversationId } = (await res.json()) as { conversationId: string };
  await sb.bot.idle();
  return conversationId;
}

test('search by text, channel, outcome and sentiment; the transcript shows each message with its channel', async () => {
  const angry = await say('visitor-search-01', 'This is terrible, awful service and I am very angry');
  const calm = await say('visitor-search-02', 'when are you open?');
  const thanks = await say('visitor-search-03', 'where is my parcel?');
  await say('visitor-search-03', 'ORD-10001');
  // What the desk writes when an operator resolves the angry customer's case.
  await sb.bot.store.events.add(angry, 'handoff_claimed', { operator: 'U1' });
  await sb.bot.store.events.add(angry, 'handoff_resolved', { operator: 'U1' });
  await sb.bot.store.events.add(angry, 'csat', { rating: 4 });
  await sb.bot.store.conversations.update(angry, { status: 'bot', handoff: null });

  const all = await api('conversations');
  expect(all.status).toBe(200);
  expect(all.body.conversations.map((c: { id: string }) => c.id)).toEqual([thanks, calm, angry]);

  const negative = await api('conversations?sentiment=negative');
  expect(negative.body.conversations).toEqual([
    expect.objectContaining({
      id: angry,
      outcome: 'resolved',
      csat: 4,
      channels: ['web'],
      sentiment: expect.objectContaining({ label: 'negative' }),
    }),
  ]);
  const resolved = await api('conversations?outcome=resolved&channel=web');
  expect(resolved.body.conversations.map((c: { id: string }) => c.id)).toEqual([angry]);
  const bot = await api('conversations?outcome=bot');
  expect(bot.body.conversations.map((c: { id: string }) => c.id)).toEqual([thanks, calm]);

  const parcel = await api('conversations?q=parcel');
  expect(parcel.body.conversations).toEqual([
    expect.objectContaining({
      id: thanks,
      matches: [expect.objectContaining({ text: 'where is my parcel?', channel: 'web', author: 'customer' })],
    }),
  ]);
  expect((await api('conversations?q=parcel&channel=telegram')).body.conversations).toEqual([]);

  // The desk's search is the same function.
  expect((await sb.bot.searchConversations({ text: 'angry' })).map((c) => c.id)).toEqual([angry]);

  const history = await api(`conversations/${thanks}`);
  expect(history.status).toBe(200);
  expect(history.body.conversation).toMatchObject({ id: thanks, outcome: 'bot', messageCount: 5 });
  expect(
    history.body.messages.map((m: { author: string; channel: string }) => [m.author, m.channel]),
  ).toEqual([
    ['customer', 'web'],
    ['bot', 'web'],
    ['customer', 'web'],
    ['bot', 'web'],
    ['bot', 'web'],
  ]);
  expect(history.body.messages[4].text).toMatch(/ORD-10001 is on its way/);
  const angryHistory = await api(`conversations/${angry}`);
  expect(angryHistory.body.events.map((e: { type: string }) => e.type)).toEqual([
    'handoff_requested',
    'handoff_claimed',
    'handoff_resolved',
    'csat',
  ]);
  expect(angryHistory.body.messages[0].nlu.sentiment.label).toBe('negative');
});

test('bad filters are a 400 naming the parameter; an unknown conversation a 404', async () => {
  const bad = await api('conversations?outcome=happy');
  expect(bad.status).toBe(400);
  expect(bad.body.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID', field: 'outcome' });
  expect((await api('conversations?limit=0')).body.error.field).toBe('limit');
  expect((await api('conversations?sentiment=angry')).body.error.field).toBe('sentiment');
  expect((await api('conversations?colour=red')).body.error.field).toBe('colour');
  const missing = await api('conversations/cnv_nope');
  expect(missing.status).toBe(404);
});
