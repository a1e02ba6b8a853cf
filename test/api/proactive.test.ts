/**
 * Proactive messages through the admin HTTP API (and the TypeScript call), end to end:
 * signed WhatsApp / Messenger webhooks into the real server, deliveries at a fake Graph
 * API on 127.0.0.1. Channel rules (24-hour windows, templates, tags) and opt-outs.
 */
import {
  ageWindow,
  type MetaBot,
  messengerText,
  metaEnv,
  PSID,
  postSigned,
  startFakeGraph,
  startMetaBot,
  testBehaviour,
  until,
  WA_ID,
  whatsappMessage,
} from '../channels/meta-harness';
import type { FakeApi, RecordedCall } from '../helpers/fake-api';
import { ProactiveError } from '../../src/errors';

const TOKEN = 'test-admin-token-0123456789abcdef';
let graph: FakeApi & { sends(): RecordedCall[] };
let sb: MetaBot;
let seq = 0;

beforeEach(async () => {
  graph = await startFakeGraph();
  sb = await startMetaBot(
    metaEnv(graph.url, { WHATSAPP_TEMPLATE_NAME: 'order_update', ADMIN_API_TOKEN: TOKEN }),
    testBehaviour,
  );
});

afterEach(async () => {
  await sb.stop();
  await graph.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response JSON read freely by tests
const json = (res: Response): Promise<any> => res.json();
// biome-ignore lint/suspicious/noExplicitAny: recorded JSON
const bodies = () => graph.sends().map((c) => c.json as any);

function api(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  return fetch(`${sb.url}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
}

/** The customer writes on WhatsApp and gets the echo; returns their customer id. */
async function whatsappSays(text: string): Promise<string> {
  const before = graph.sends().length;
  const res = await postSigned(
    `${sb.url}/webhooks/whatsapp`,
    whatsappMessage(`wamid.in.${++seq}`, { type: 'text', text: { body: text } }),
  );
  expect(res.status).toBe(200);
  await until(() => graph.sends().length > before);
  await sb.bot.idle();
  const identity = await sb.bot.store.identities.find('whatsapp', WA_ID);
  if (!identity) throw new Error('no identity');
  return identity.customerId;
}

describe('authentication', () => {
  test('no token, a wrong token: 401 and nothing sent', async () => {
    const customerId = await whatsappSays('hi');
    const sent = graph.sends().length;
    const none = await api('/messages', { body: { customerId, text: 'x' }, token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await json(none)).error.code).toBe('SB_UNAUTHORIZED');
    const wrong = await api('/messages', { body: { customerId, text: 'x' }, token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).error.message).toMatch(/wrong/);
    await sb.bot.idle();
    expect(graph.sends().length).toBe(sent);
  });

  test('without ADMIN_API_TOKEN the admin API is off: the log and the API say how to turn it on', async () => {
    const plain = await startMetaBot(metaEnv(graph.url), testBehaviour);
    try {
      const res = await fetch(`${plain.url}/api/v1/conversations`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(404);
      expect((await json(res)).error.message).toMatch(/ADMIN_API_TOKEN/);
      expect(plain.logs.map((l) => l.msg)).toContain(
        'the admin API (/api/v1) is off: set ADMIN_API_TOKEN to turn it on',
      );
      expect(sb.logs.map((l) => l.msg)).not.toContain(
        'the admin API (/api/v1) is off: set ADMIN_API_TOKEN to turn it on',
      );
    } finally {
      await plain.stop();
    }
  });
});

describe('WhatsApp', () => {
  test('inside the 24-hour window the text goes out as written', async () => {
    const customerId = await whatsappSays('hi');
    const res = await api('/messages', { body: { customerId, text: 'Your order ORD-10001 has shipped.' } });
    expect(res.status).toBe(202);
    const result = await json(res);
    expect(result).toMatchObject({ channel: 'whatsapp', via: 'free_form', created: true });
    await sb.bot.idle();
    expect(bodies().at(-1)).toMatchObject({
      to: WA_ID,
      type: 'text',
      text: { body: 'Your order ORD-10001 has shipped.' },
    });
    const events = await sb.bot.store.events.list(result.conversationId);
    expect(events.map((e) => e.type)).toContain('proactive_message');
  });

  test('outside the window the approved template goes instead; a second one is refused until they answer', async () => {
    const customerId = await whatsappSays('hi');
    await ageWindow(sb.bot, 'whatsapp', WA_ID, 30);
    const res = await api('/messages', {
      body: { identity: { channel: 'whatsapp', externalId: WA_ID }, text: 'Your order has shipped.' },
    });
    expect(res.status).toBe(202);
    const result = await json(res);
    expect(result).toMatchObject({ channel: 'whatsapp', via: 'template' });
    await sb.bot.idle();
    expect(bodies().at(-1)).toMatchObject({
      to: WA_ID,
      type: 'template',
      template: { name: 'order_update', language: { code: 'en_US' } },
    });
    expect(bodies().some((b) => b.text?.body === 'Your order has shipped.')).toBe(false);
    const events = (await sb.bot.store.events.list(result.conversationId)).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['proactive_message', 'window_template_sent']));

    const again = await api('/messages', { body: { customerId, text: 'Still there?' } });
    expect(again.status).toBe(422);
    const body = await json(again);
    expect(body.error).toMatchObject({ code: 'SB_UNREACHABLE', reason: 'unreachable' });
    expect(body.error.details).toEqual([
      { channel: 'whatsapp', reason: expect.stringMatching(/template "order_update" already went out/) },
    ]);
  });

  test('the text the template stood in for follows as written once the customer answers', async () => {
    const customerId = await whatsappSays('hi');
    await ageWindow(sb.bot, 'whatsapp', WA_ID, 30);
    const res = await api('/messages', { body: { customerId, text: 'Your order ORD-10001 has shipped.' } });
    expect(await json(res)).toMatchObject({ via: 'template' });
    await sb.bot.idle();
    expect(bodies().at(-1).type).toBe('template');
    await whatsappSays('hello?');
    await until(() => bodies().some((b) => b.text?.body === 'Your order ORD-10001 has shipped.'));
    await sb.bot.idle();
    expect(bodies().filter((b) => b.text?.body === 'Your order ORD-10001 has shipped.')).toHaveLength(1);
    expect(bodies().some((b) => b.text?.body === 'echo: hello?')).toBe(true);
  });

  test('without a template, outside the window: 422 naming the missing setting', async () => {
    await sb.stop();
    sb = await startMetaBot(metaEnv(graph.url, { ADMIN_API_TOKEN: TOKEN }), testBehaviour);
    const customerId = await whatsappSays('hi');
    await ageWindow(sb.bot, 'whatsapp', WA_ID, 30);
    const res = await api('/messages', { body: { customerId, text: 'Hello again' } });
    expect(res.status).toBe(422);
    expect((await json(res)).error.message).toMatch(/WHATSAPP_TEMPLATE_NAME/);
  });

  test('an idempotency key makes a retried call send once', async () => {
    const customerId = await whatsappSays('hi');
    const body = { customerId, text: 'Shipped!', idempotencyKey: 'ship-ORD-10001' };
    const first = await api('/messages', { body });
    const second = await api('/messages', { body });
    expect([first.status, second.status]).toEqual([202, 200]);
    const [a, b] = [await json(first), await json(second)];
    expect(b).toMatchObject({ messageId: a.messageId, created: false });
    await sb.bot.idle();
    expect(bodies().filter((x) => x.text?.body === 'Shipped!')).toHaveLength(1);
  });
});

describe('opt-outs', () => {
  test('STOP opts out: the API answers 409, the TypeScript call throws; START opts back in', async () => {
    const customerId = await whatsappSays('hi');
    await whatsappSays('STOP');
    expect(bodies().at(-1).text.body).toMatch(/won't send you messages/);
    const customer = await sb.bot.store.customers.get(customerId);
    expect(customer?.attributes).toMatchObject({ optedOut: true, optedOutVia: 'whatsapp' });

    const sent = graph.sends().length;
    const res = await api('/messages', { body: { customerId, text: 'A sale!' } });
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: 'SB_OPTED_OUT', reason: 'opted_out' });
    expect(body.error.message).toMatch(/opted out/);
    const call = sb.bot.sendProactive({ to: { customerId }, content: 'A sale!' });
    await expect(call).rejects.toBeInstanceOf(ProactiveError);
    await expect(call).rejects.toMatchObject({ reason: 'opted_out', code: 'SB_OPTED_OUT' });
    await sb.bot.idle();
    expect(graph.sends().length).toBe(sent);

    await whatsappSays('start');
    expect(bodies().at(-1).text.body).toMatch(/Welcome back/);
    const again = await api('/messages', { body: { customerId, text: 'Your order has shipped.' } });
    expect(again.status).toBe(202);
  });

  test('the API sets and clears the opt-out; the customer view shows it', async () => {
    const customerId = await whatsappSays('hi');
    const patch = await api(`/customers/${customerId}`, { method: 'PATCH', body: { optedOut: true } });
    expect(patch.status).toBe(200);
    expect((await json(patch)).customer.attributes).toMatchObject({ optedOut: true, optedOutVia: 'api' });
    expect((await api('/messages', { body: { customerId, text: 'x' } })).status).toBe(409);

    const view = await json(await api(`/customers/${customerId}`));
    expect(view.customer.attributes.optedOut).toBe(true);
    expect(view.identities).toEqual([expect.objectContaining({ channel: 'whatsapp', externalId: WA_ID })]);

    await api(`/customers/${customerId}`, { method: 'PATCH', body: { optedOut: false } });
    expect((await api('/messages', { body: { customerId, text: 'x' } })).status).toBe(202);
  });

  test('a retry of a call that went through returns the original message, even after an opt-out', async () => {
    const customerId = await whatsappSays('hi');
    const body = { customerId, text: 'Shipped!', idempotencyKey: 'ship-ORD-10003' };
    const first = await api('/messages', { body });
    expect(first.status).toBe(202);
    const original = await json(first);
    await sb.bot.idle();
    await whatsappSays('STOP');

    const retry = await api('/messages', { body });
    expect(retry.status).toBe(200);
    expect(await json(retry)).toEqual({ ...original, created: false, startedConversation: false });
    const call = await sb.bot.sendProactive({
      to: { customerId },
      content: 'Shipped!',
      idempotencyKey: 'ship-ORD-10003',
    });
    expect(call).toMatchObject({ messageId: original.messageId, created: false });
    // Nothing new went out; a new key is refused.
    await sb.bot.idle();
    expect(bodies().filter((x) => x.text?.body === 'Shipped!')).toHaveLength(1);
    const other = await api('/messages', { body: { ...body, idempotencyKey: 'ship-ORD-10004' } });
    expect(other.status).toBe(409);
  });

  test('"Stop!" gets one confirmation and goes no further (no echo)', async () => {
    await whatsappSays('hi');
    const before = graph.sends().length;
    await whatsappSays('Stop!');
    expect(graph.sends().length - before).toBe(1);
  });
});

describe('Messenger and channel choice', () => {
  async function messengerSays(text: string): Promise<string> {
    const before = graph.sends().length;
    await postSigned(`${sb.url}/webhooks/messenger`, messengerText(`m_in_${++seq}`, text));
    await until(() => graph.sends().length > before);
    await sb.bot.idle();
    const identity = await sb.bot.store.identities.find('messenger', PSID);
    if (!identity) throw new Error('no identity');
    return identity.customerId;
  }

  test("outside Messenger's window a bot message is refused; an operator's follow-up goes with HUMAN_AGENT", async () => {
    const customerId = await messengerSays('hi');
    await ageWindow(sb.bot, 'messenger', PSID, 30);
    const refused = await api('/messages', { body: { customerId, text: 'Hello?' } });
    expect(refused.status).toBe(422);
    expect((await json(refused)).error.details).toEqual([
      { channel: 'messenger', reason: expect.stringMatching(/24-hour window/) },
    ]);
    const follow = await api('/messages', {
      body: { customerId, text: 'Following up on your chat', author: 'operator', authorName: 'Mia' },
    });
    expect(follow.status).toBe(202);
    expect(await json(follow)).toMatchObject({ channel: 'messenger', via: 'message_tag' });
    await sb.bot.idle();
    expect(bodies().at(-1)).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  test('free-form on a recent channel beats a template on another; `channel` forces one', async () => {
    const customerId = await whatsappSays('hi');
    await ageWindow(sb.bot, 'whatsapp', WA_ID, 30);
    // The same customer also chatted on the web a minute ago (linked by an operator).
    await sb.bot.store.identities.create({
      channel: 'web',
      externalId: 'visitor-0001',
      customerId,
      linkedBy: 'operator_merge',
      address: { visitorId: 'visitor-0001' },
      lastInboundAt: Date.now() - 60_000,
    });
    const res = await api('/messages', { body: { customerId, text: 'Your parcel is out for delivery' } });
    expect(await json(res)).toMatchObject({ channel: 'web', via: 'free_form' });
    const forced = await api('/messages', {
      body: { customerId, text: 'Parcel update', channel: 'whatsapp' },
    });
    expect(await json(forced)).toMatchObject({ channel: 'whatsapp', via: 'template' });
    const nowhere = await api('/messages', { body: { customerId, text: 'x', channel: 'telegram' } });
    expect(nowhere.status).toBe(422);
    expect((await json(nowhere)).error.message).toMatch(/never written on telegram/);
  });
});

describe("the channel's limits table", () => {
  const fiveButtons = {
    type: 'text',
    text: 'Your parcel is delayed. What would you like to do?',
    buttons: ['Wait', 'Refund', 'Reship', 'Pick up', 'Talk to us'].map((title, i) => ({
      type: 'postback',
      title,
      payload: `delay:${i}`,
    })),
  };

  test("a message beyond WhatsApp's 3 buttons goes degraded (a list), and the result says how", async () => {
    const customerId = await whatsappSays('hi');
    const res = await api('/messages', { body: { customerId, content: fiveButtons } });
    expect(res.status).toBe(202);
    const result = await json(res);
    expect(result.adjustments).toEqual([{ limit: 'buttons', value: 5, max: 3 }]);
    await sb.bot.idle();
    // Nothing lost: every choice reaches the customer (as list rows).
    const sent = JSON.stringify(bodies().at(-1));
    for (const b of fiveButtons.buttons) expect(sent).toContain(b.title);
    const event = (await sb.bot.store.events.list(result.conversationId)).find(
      (e) => e.type === 'proactive_message',
    );
    expect(event?.data.adjustments).toEqual([{ limit: 'buttons', value: 5, max: 3 }]);
  });

  test('`exact`: only a channel that shows the message as written; none: 422 naming each limit', async () => {
    const customerId = await whatsappSays('hi');
    const sent = graph.sends().length;
    const refused = await api('/messages', { body: { customerId, content: fiveButtons, exact: true } });
    expect(refused.status).toBe(422);
    expect((await json(refused)).error.details).toEqual([
      { channel: 'whatsapp', reason: expect.stringMatching(/as written \(buttons: 5 > 3\)/) },
    ]);
    const fits = await api('/messages', {
      body: {
        customerId,
        content: { ...fiveButtons, buttons: fiveButtons.buttons.slice(0, 3) },
        exact: true,
      },
    });
    expect(fits.status).toBe(202);
    expect((await json(fits)).adjustments).toEqual([]);
    await sb.bot.idle();
    expect(graph.sends().length).toBe(sent + 1);
  });
});

describe('validation', () => {
  test('bad input is a 400 naming the field; an unknown recipient a 404', async () => {
    const none = await api('/messages', { body: { text: 'x' } });
    expect(none.status).toBe(400);
    expect((await json(none)).error).toMatchObject({ code: 'SB_PAYLOAD_INVALID', field: 'customerId' });
    const noText = await api('/messages', { body: { customerId: 'c1' } });
    expect((await json(noText)).error.field).toBe('text');
    const unknown = await api('/messages', { body: { customerId: 'c1', text: 'x', colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toMatchObject({ field: 'colour' });
    const badContent = await api('/messages', {
      body: { customerId: 'c1', content: { type: 'media', kind: 'image', url: 'not a url' } },
    });
    expect((await json(badContent)).error.field).toBe('content.url');
    const missing = await api('/messages', { body: { customerId: 'cus_nobody', text: 'x' } });
    expect(missing.status).toBe(404);
    const stranger = await api('/messages', {
      body: { identity: { channel: 'whatsapp', externalId: '999' }, text: 'x' },
    });
    expect(stranger.status).toBe(404);
    expect((await json(stranger)).error.message).toMatch(/wrote first/);
  });
});
