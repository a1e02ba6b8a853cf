/**
 * The outbox against a fake platform: retries honour retry_after, back off on 5xx,
 * stop at once on a refusal (recording why), and keep each conversation's order.
 */
import { WebAdapter } from '../../adapters/web';
import { loadConfig } from '../../src/config';
import type { DeliveryPlan, DeliveryTarget, OutboundDelivery, SendResult } from '../../src/core/adapter';
import { Bot } from '../../src/core/bot';
import { FakeChatAdapter } from '../fixtures/fakechat-adapter';
import { tempDir } from '../helpers/bot';
import { type FakeApi, startFakeApi } from '../helpers/fake-api';
import { until } from '../helpers/until';

let api: FakeApi;
let bot: Bot;

async function inbound(id: string, from: string, text: string) {
  const res = await fetch(`${bot.url}/webhooks/fakechat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, from, text }),
  });
  expect(res.status).toBe(200);
}

beforeEach(async () => {
  api = await startFakeApi();
  bot = new Bot({
    config: loadConfig({ PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'silent', OUTBOX_MAX_ATTEMPTS: '4' }),
    adapters: [new WebAdapter(), new FakeChatAdapter(api.url)],
    outbox: { pollIntervalMs: 20, retryBaseMs: 30, maxRetryDelayMs: 100 },
  });
  bot.on('text', async (ctx) => {
    await ctx.reply(`a: ${ctx.text}`);
    await ctx.reply(`b: ${ctx.text}`);
  });
  await bot.start();
});

afterEach(async () => {
  await bot.stop();
  await api.close();
});

const texts = () => api.calls.map((c) => (c.json as { text: string }).text);

test('a 429 with retry_after is retried after the wait, then delivered in order', async () => {
  let first = true;
  api.respond(() => {
    if (first) {
      first = false;
      return { status: 429, body: { description: 'Too Many Requests', retry_after: 1 } };
    }
    return { status: 200, body: { id: 'ok' } };
  });
  await inbound('u1', 'alice', 'hi');
  await until(() => api.calls.length >= 3);
  await bot.idle();
  expect(texts()).toEqual(['a: hi', 'a: hi', 'b: hi']);
  const [refused, retried] = api.calls;
  expect((retried?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(950);
});

test('5xx answers are retried with backoff until delivered; the message records the attempts', async () => {
  let failures = 2;
  api.respond(() => (failures-- > 0 ? { status: 502, body: {} } : { status: 200, body: { id: 'p-1' } }));
  await inbound('u2', 'bob', 'yo');
  await until(() => texts().includes('b: yo'));
  await bot.idle();
  expect(texts()).toEqual(['a: yo', 'a: yo', 'a: yo', 'b: yo']);
  const conversation = await bot.store.conversations.findOpen(
    (await bot.store.identities.find('fakechat', 'bob'))?.customerId ?? '',
  );
  const out = (await bot.store.messages.list(conversation?.id ?? '')).filter((m) => m.direction === 'out');
  expect(out.map((m) => [m.delivery, m.attempts])).toEqual([
    ['sent', 3],
    ['sent', 1],
  ]);
});

test('a permanent refusal is not retried: the message fails and the conversation records why', async () => {
  api.respond(() => ({ status: 403, body: { description: 'Forbidden: bot was blocked by the user' } }));
  await inbound('u3', 'carol', 'hello');
  await until(() => api.calls.length >= 2);
  await bot.idle();
  expect(texts()).toEqual(['a: hello', 'b: hello']);
  const identity = await bot.store.identities.find('fakechat', 'carol');
  const conversation = await bot.store.conversations.findOpen(identity?.customerId ?? '');
  const events = await bot.store.events.list(conversation?.id ?? '');
  expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
    expect.objectContaining({ reason: 'refused', status: 403, error: expect.stringContaining('blocked') }),
    expect.objectContaining({ reason: 'refused' }),
  ]);
  expect(await bot.store.messages.countPendingDelivery()).toBe(0);
});

test('a platform that never recovers: gives up after OUTBOX_MAX_ATTEMPTS, nothing retried forever', async () => {
  api.respond(() => ({ status: 500, body: {} }));
  await inbound('u4', 'dave', 'anyone?');
  await until(() => api.calls.length >= 4 + 4);
  await bot.idle();
  expect(api.calls.length).toBe(8);
  expect(await bot.store.messages.countPendingDelivery()).toBe(0);
});

test('the same platform update delivered twice gets one reply', async () => {
  await inbound('u5', 'erin', 'once');
  await inbound('u5', 'erin', 'once');
  await until(() => api.calls.length >= 2);
  await bot.idle();
  expect(texts()).toEqual(['a: once', 'b: once']);
});

test('bot.send posts into a conversation from outside a turn; receipts move delivery state forward only', async () => {
  api.respond(() => ({ status: 200, body: { id: `p-${api.calls.length}` } }));
  await inbound('u6', 'frank', 'hi');
  await until(() => api.calls.length >= 2);
  await bot.idle();
  const identity = await bot.store.identities.find('fakechat', 'frank');
  const conversation = await bot.store.conversations.findOpen(identity?.customerId ?? '');
  const sent = await bot.send(conversation?.id ?? '', 'An operator here.', {
    author: 'operator',
    authorName: 'Maya',
  });
  expect(sent).toMatchObject({
    author: 'operator',
    authorName: 'Maya',
    channel: 'fakechat',
    delivery: 'pending',
  });
  await until(() => api.calls.length >= 3);
  await bot.idle();
  expect(texts().at(-1)).toBe('An operator here.');
  const stored = await bot.store.messages.get(sent.id);
  expect(stored?.delivery).toBe('sent');
  const platformId = stored?.platformMessageId ?? '';
  expect(
    await bot.outbox.receipt({ channel: 'fakechat', platformMessageId: platformId, state: 'read' }),
  ).toBe(true);
  expect(
    await bot.outbox.receipt({ channel: 'fakechat', platformMessageId: platformId, state: 'delivered' }),
  ).toBe(true);
  expect((await bot.store.messages.get(sent.id))?.delivery).toBe('read');
  expect(await bot.outbox.receipt({ channel: 'fakechat', platformMessageId: 'unknown', state: 'read' })).toBe(
    false,
  );
});

test('a typed number answering offered buttons reaches middleware as that button’s postback', async () => {
  await bot.stop();
  bot = new Bot({
    config: loadConfig({ PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' }),
    adapters: [new WebAdapter(), new FakeChatAdapter(api.url)],
    outbox: { pollIntervalMs: 20, retryBaseMs: 30 },
  });
  bot.on('postback', (ctx) => ctx.reply(`picked ${ctx.payload}`));
  bot.on('text', (ctx) =>
    ctx.reply({
      type: 'text',
      text: 'Which size?',
      buttons: ['S', 'M', 'L', 'XL', 'XXL'].map((s) => ({
        type: 'postback' as const,
        title: s,
        payload: `size:${s}`,
      })),
    }),
  );
  await bot.start();
  await inbound('n1', 'gina', 'I want a shirt');
  await until(() => api.calls.length >= 1);
  await inbound('n2', 'gina', '2');
  await inbound('n3', 'gina', '9');
  await until(() => api.calls.length >= 3);
  await bot.idle();
  expect(texts().slice(1)).toEqual(['picked size:M', 'Which size?']);
});

test("a channel's delivery plan is carried out and recorded by the outbox: a template in place of a message (once), then a refusal with the plan's reason", async () => {
  await bot.stop();
  /** A channel whose window is closed: a template first, then nothing until the customer answers. */
  class ClosedWindowChat extends FakeChatAdapter {
    planDelivery(target: DeliveryTarget): DeliveryPlan {
      return target.templateSentAt === undefined
        ? { via: 'template', template: 'come_back' }
        : { via: 'refuse', reason: 'the invitation already went out; waiting for the customer' };
    }
    async sendTemplate(delivery: OutboundDelivery): Promise<SendResult> {
      return this.send({ ...delivery, content: { type: 'text', text: '[template come_back]' } });
    }
  }
  bot = new Bot({
    config: loadConfig({ PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' }),
    adapters: [new WebAdapter(), new ClosedWindowChat(api.url)],
    outbox: { pollIntervalMs: 20 },
  });
  bot.on('text', async (ctx) => {
    await ctx.reply(`a: ${ctx.text}`);
    await ctx.reply(`b: ${ctx.text}`);
  });
  await bot.start();
  api.respond(() => ({ status: 200, body: { id: `p-${api.calls.length}` } }));
  await inbound('w1', 'carol', 'hello');
  await until(async () => {
    const identity = await bot.store.identities.find('fakechat', 'carol');
    const conversation = await bot.store.conversations.findOpen(identity?.customerId ?? '');
    const out = (await bot.store.messages.list(conversation?.id ?? '')).filter((m) => m.direction === 'out');
    return out.length === 2 && out.every((m) => m.delivery !== 'pending');
  });
  await bot.idle();
  // The platform saw the template, never the text it stood in for.
  expect(texts()).toEqual(['[template come_back]']);
  const identity = await bot.store.identities.find('fakechat', 'carol');
  const conversation = await bot.store.conversations.findOpen(identity?.customerId ?? '');
  const out = (await bot.store.messages.list(conversation?.id ?? '')).filter((m) => m.direction === 'out');
  expect(out.map((m) => m.delivery)).toEqual(['sent', 'failed']);
  expect(out[1]?.deliveryError).toMatch(
    /the invitation already went out; waiting for the customer; this message was not sent/,
  );
  const events = await bot.store.events.list(conversation?.id ?? '');
  expect(events.find((e) => e.type === 'window_template_sent')?.data).toMatchObject({
    messageId: out[0]?.id,
    template: 'come_back',
  });
  expect(events.find((e) => e.type === 'delivery_failed')?.data).toMatchObject({
    messageId: out[1]?.id,
    reason: 'refused',
  });
});
