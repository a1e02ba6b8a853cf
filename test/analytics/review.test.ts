/**
 * The review inbox on the sample bot (a copy of its folder): customers' messages the bot
 * could not answer, grouped by similarity; a group taught as a new intent is written into
 * intents/ (comments kept), the NLU retrains and the bot now answers it; a group sent to
 * out-of-scope as a patch changes no file.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestBot, type TestBot, tempDir } from '../helpers/bot';

const TOKEN = 'test-admin-token-0123456789abcdef';
const root = path.resolve(__dirname, '../..');
let sb: TestBot;
let botDir: string;

beforeAll(async () => {
  botDir = tempDir('sb-review-bot-');
  for (const sub of ['intents', 'flows', 'actions', 'handoff.yml'])
    if (existsSync(path.join(root, sub)))
      cpSync(path.join(root, sub), path.join(botDir, sub), { recursive: true });
  sb = await startTestBot({ env: { BOT_DIR: botDir, ADMIN_API_TOKEN: TOKEN } });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: response JSON read freely by tests
async function api(method: string, query: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.baseUrl}/api/v1/${query}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

async function say(visitorId: string, text: string): Promise<string[]> {
  const res = await fetch(`${sb.baseUrl}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, text }),
  });
  const { conversationId } = (await res.json()) as { conversationId: string };
  await sb.bot.idle();
  const messages = await sb.bot.store.messages.list(conversationId);
  const last = messages.findLastIndex((m) => m.author === 'customer');
  return messages.slice(last + 1).map((m) => m.text);
}

test('grouped by similarity; taught as a new intent: the file is written, the NLU retrains, the bot answers', async () => {
  const loyalty = ['can I collect loyalty points', 'do you sell loyalty points', 'loyalty points program?'];
  for (const [i, text] of loyalty.entries()) await say(`visitor-review-${i}`, text);
  await say('visitor-review-9', 'what is the capital of peru');

  const inbox = await api('GET', 'review');
  expect(inbox.status).toBe(200);
  const group = inbox.body.groups.find((g: { texts: { text: string }[] }) =>
    g.texts.some((t) => t.text === 'do you sell loyalty points'),
  );
  expect(group.count).toBe(3);
  // Out of scope, or matched with little confidence.
  expect((group.reasons.out_of_scope ?? 0) + (group.reasons.low_confidence ?? 0)).toBe(3);
  expect(group.texts.map((t: { text: string }) => t.text).sort()).toEqual([...loyalty].sort());
  const peru = inbox.body.groups.find((g: { text: string }) => g.text === 'what is the capital of peru');
  expect(peru).toMatchObject({ count: 1 });

  const answer = 'We have no loyalty programme yet; newsletter subscribers get 10% off their first order.';
  const taught = await api('POST', `review/${group.id}`, {
    action: 'intent',
    intent: 'loyalty_points',
    answer,
  });
  expect(taught.status).toBe(200);
  expect(taught.body).toMatchObject({ applied: true, file: 'intents/learned.yml', newIntent: true });
  expect(taught.body.nowAnswers).toEqual(
    loyalty.map((text) => expect.objectContaining({ text, intent: 'loyalty_points', answered: true })),
  );
  const written = readFileSync(path.join(botDir, 'intents/learned.yml'), 'utf8');
  expect(written).toMatch(/^# Intents added from the review inbox/);
  expect(written).toContain('  loyalty_points:\n    examples:\n      - ');
  // The bot answers it now, without a restart.
  expect(await say('visitor-review-new', 'do you sell loyalty points')).toEqual([answer]);

  // Decided: out of the inbox.
  const after = await api('GET', 'review');
  expect(after.body.groups.map((g: { id: string }) => g.id)).not.toContain(group.id);
  expect((await api('POST', `review/${group.id}`, { action: 'out_of_scope' })).status).toBe(404);
});

test("an example added to an existing intent keeps the file's comments; patch mode writes nothing", async () => {
  const outOfScopeBefore = readFileSync(path.join(botDir, 'intents/out_of_scope.yml'), 'utf8');
  await say('visitor-review-20', 'what is the capital of peru');
  const inbox = await api('GET', 'review');
  const peru = inbox.body.groups.find((g: { text: string }) => g.text === 'what is the capital of peru');
  expect(peru.count).toBe(2);
  const patch = await api('POST', `review/${peru.id}`, { action: 'out_of_scope', mode: 'patch' });
  expect(patch.status).toBe(200);
  expect(patch.body).toMatchObject({ applied: false, file: 'intents/out_of_scope.yml' });
  expect(patch.body.patch).toContain('+  - what is the capital of peru');
  expect(patch.body.patch).toContain('--- a/intents/out_of_scope.yml');
  expect(readFileSync(path.join(botDir, 'intents/out_of_scope.yml'), 'utf8')).toBe(outOfScopeBefore);

  const shop = readFileSync(path.join(botDir, 'intents/shop.yml'), 'utf8');
  await say('visitor-review-30', 'is bitcoin accepted');
  const crypto = (await api('GET', 'review')).body.groups.find(
    (g: { text: string }) => g.text === 'is bitcoin accepted',
  );
  expect(crypto).toBeDefined();
  const added = await api('POST', `review/${crypto.id}`, { action: 'intent', intent: 'payment_methods' });
  expect(added.body).toMatchObject({ applied: true, file: 'intents/shop.yml', newIntent: false });
  const changed = readFileSync(path.join(botDir, 'intents/shop.yml'), 'utf8');
  // Exactly one line more, every comment and answer as it was.
  expect(changed.split('\n').length).toBe(shop.split('\n').length + 1);
  expect(changed.replace('      - is bitcoin accepted\n', '')).toBe(shop);
  expect(added.body.nowAnswers).toEqual([
    expect.objectContaining({ text: 'is bitcoin accepted', answered: true }),
  ]);
});

test('bad decisions are a 400 naming the field', async () => {
  const bad = await api('POST', 'review/rg_nope', { action: 'intent' });
  expect(bad.status).toBe(400);
  expect(bad.body.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID', field: 'intent' });
  expect((await api('POST', 'review/rg_nope', { action: 'forget' })).body.error.field).toBe('action');
  expect((await api('POST', 'review/rg_nope', { action: 'intent', intent: '1x' })).body.error.field).toBe(
    'intent',
  );
  expect((await api('POST', 'review/rg_nope', { action: 'out_of_scope' })).status).toBe(404);
});
