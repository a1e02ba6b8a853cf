/**
 * WhatsApp Cloud API end to end through real HTTP: signed webhooks into the real
 * server, messages at a fake Graph API on 127.0.0.1.
 */
import type { FakeApi, RecordedCall } from '../../helpers/fake-api';
import {
  ageWindow,
  defaultGraphAnswer,
  fixture,
  fixtureText,
  type MetaBot,
  metaEnv,
  PHONE_NUMBER_ID,
  postSigned,
  startFakeGraph,
  startMetaBot,
  testBehaviour,
  transcript,
  until,
  WA_ID,
  whatsappMessage,
} from '../meta-harness';

let graph: FakeApi & { sends(): RecordedCall[] };
let sb: MetaBot;
let hook: string;

async function boot(extra: Record<string, string> = {}) {
  graph = await startFakeGraph();
  sb = await startMetaBot(metaEnv(graph.url, extra), testBehaviour);
  hook = `${sb.url}/webhooks/whatsapp`;
}

afterEach(async () => {
  await sb.stop();
  await graph.close();
});

// biome-ignore lint/suspicious/noExplicitAny: recorded JSON
const bodies = () => graph.sends().map((c) => c.json as any);
const outbound = async () =>
  (await transcript(sb.bot, 'whatsapp', WA_ID)).filter((m) => m.direction === 'out');
const TEXT_ID = 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';

describe('with the default settings', () => {
  beforeEach(() => boot());

  test('handshake: the right verify token gets the challenge, a wrong one 403', async () => {
    const { query, expected_response } = fixture('whatsapp-cloud', 'verify-challenge-request.json');
    const ok = await fetch(`${hook}?${new URLSearchParams(query)}`);
    expect([ok.status, await ok.text()]).toEqual([expected_response.status, expected_response.body]);
    const wrong = await fetch(`${hook}?${new URLSearchParams({ ...query, 'hub.verify_token': 'wrong' })}`);
    expect(wrong.status).toBe(403);
    const noMode = await fetch(`${hook}?${new URLSearchParams({ ...query, 'hub.mode': 'unsubscribe' })}`);
    expect(noMode.status).toBe(403);
  });

  test('a signed text message: marked read, answered in context at /{phone-number-id}/messages', async () => {
    // The signature vector's exact bytes and header, as Meta would send them.
    const vector = fixture('whatsapp-cloud', 'signature-vector.json');
    const res = await postSigned(hook, vector.raw_body, { signature: vector.headers['x-hub-signature-256'] });
    expect(res.status).toBe(200);
    await until(() => graph.sends().length >= 1 && graph.calls.length >= 2);
    await sb.bot.idle();
    const read = graph.calls.find((c) => (c.json as { status?: string }).status === 'read');
    expect(read?.json).toEqual(fixture('whatsapp-cloud', 'mark-as-read-request.json'));
    const [send] = graph.sends();
    expect(send?.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/messages`);
    expect(send?.headers.authorization).toBe('Bearer EAAG-wa-token');
    expect(send?.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: WA_ID,
      context: { message_id: TEXT_ID },
      type: 'text',
      text: { preview_url: false, body: 'echo: Hi, where is my order?' },
    });
    const customer = await sb.bot.store.identities.find('whatsapp', WA_ID);
    expect((await sb.bot.store.customers.get(customer?.customerId ?? ''))?.profile).toMatchObject({
      name: 'Ana Silva',
      phone: '+16505551234',
    });
  });

  test('a forged or missing signature is refused with 401 and nothing is stored', async () => {
    const raw = fixtureText('whatsapp-cloud', 'webhook-message-text.json');
    expect((await postSigned(hook, raw, { secret: 'forged' })).status).toBe(401);
    expect((await postSigned(hook, raw, { signature: null })).status).toBe(401);
    await sb.bot.idle();
    expect(await sb.bot.store.identities.find('whatsapp', WA_ID)).toBeNull();
    expect(graph.calls).toHaveLength(0);
  });

  test('a redelivered webhook gets one reply (and one read receipt)', async () => {
    const raw = fixtureText('whatsapp-cloud', 'webhook-message-text.json');
    expect((await postSigned(hook, raw)).status).toBe(200);
    expect((await postSigned(hook, raw)).status).toBe(200);
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    await new Promise((r) => setTimeout(r, 50));
    expect(graph.sends()).toHaveLength(1);
    expect(graph.calls.filter((c) => (c.json as { status?: string }).status === 'read')).toHaveLength(1);
  });

  test('error 130429 (HTTP 429) is backed off and then delivered', async () => {
    let refusals = 0;
    const normal = defaultGraphAnswer(() => graph.calls.length);
    graph.respond((call) => {
      if ((call.json as { status?: string }).status !== 'read' && refusals < 1) {
        refusals++;
        return { status: 429, body: fixture('whatsapp-cloud', 'error-130429-rate-limit.json') };
      }
      return normal(call);
    });
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 2);
    await sb.bot.idle();
    const [first, second] = graph.sends();
    expect(second?.body).toBe(first?.body);
    expect((await outbound()).map((m) => [m.delivery, m.attempts])).toEqual([['sent', 2]]);
  });

  test('pair rate limit 131056 with Retry-After: retried no sooner than asked', async () => {
    let refused = false;
    const normal = defaultGraphAnswer(() => graph.calls.length);
    graph.respond((call) => {
      if ((call.json as { status?: string }).status !== 'read' && !refused) {
        refused = true;
        return {
          status: 400,
          body: fixture('whatsapp-cloud', 'error-131056-pair-rate-limit.json'),
          headers: { 'retry-after': '1' },
        };
      }
      return normal(call);
    });
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 2);
    const [first, second] = graph.sends();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('five buttons arrive as an interactive list; picking the second row picks size M', async () => {
    await postSigned(hook, whatsappMessage('wamid.sizes', { type: 'text', text: { body: 'sizes' } }));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    expect(bodies()[0]).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Which size?' },
        action: {
          button: 'Choose',
          sections: [{ rows: ['S', 'M', 'L', 'XL', 'XXL'].map((s) => ({ id: `size:${s}`, title: s })) }],
        },
      },
    });
    const pick = fixture('whatsapp-cloud', 'webhook-message-interactive-list-reply.json');
    pick.entry[0].changes[0].value.messages[0].interactive.list_reply = { id: 'size:M', title: 'M' };
    await postSigned(hook, pick);
    await until(() => graph.sends().length >= 2);
    expect(bodies()[1].text.body).toBe('picked size:M');
  });

  test('two buttons arrive as reply buttons; the button_reply fixture round-trips to its postback', async () => {
    await postSigned(hook, whatsappMessage('wamid.confirm', { type: 'text', text: { body: 'confirm' } }));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    const expected = fixture('whatsapp-cloud', 'send-request-interactive-buttons.json');
    delete expected.interactive.footer;
    expect(bodies()[0]).toEqual({ ...expected, context: { message_id: 'wamid.confirm' } });
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-interactive-button-reply.json'));
    await until(() => graph.sends().length >= 2);
    expect(bodies()[1].text.body).toBe('picked handoff_yes');
  });

  test('eleven buttons become a numbered menu, and a typed "2" picks the second option', async () => {
    await postSigned(hook, whatsappMessage('wamid.many', { type: 'text', text: { body: 'many' } }));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    const menu: string = bodies()[0].text.body;
    expect(menu.split('\n').slice(0, 4)).toEqual(['Which one?', '', '1. Option 1', '2. Option 2']);
    expect(menu).toContain('11. Option 11');
    await postSigned(hook, whatsappMessage('wamid.two', { type: 'text', text: { body: '2' } }));
    await until(() => graph.sends().length >= 2);
    expect(bodies()[1].text.body).toBe('picked opt:2');
  });

  test('template quick replies, media and locations arrive normalised', async () => {
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-template-quick-reply.json'));
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-image.json'));
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-document.json'));
    await postSigned(
      hook,
      whatsappMessage('wamid.loc', {
        type: 'location',
        location: { latitude: 38.7, longitude: -9.1, name: 'Shop' },
      }),
    );
    await until(() => graph.sends().length >= 4);
    await sb.bot.idle();
    const inbound = (await transcript(sb.bot, 'whatsapp', WA_ID)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => m.content)).toEqual([
      { type: 'postback', payload: 'RESUME_CHAT', title: 'Continue chat' },
      {
        type: 'media',
        kind: 'image',
        url: 'wa-media:1003383421387256',
        caption: 'The box arrived damaged',
        mimeType: 'image/jpeg',
      },
      {
        type: 'media',
        kind: 'file',
        url: 'wa-media:1003383421387257',
        filename: 'invoice-1042.pdf',
        mimeType: 'application/pdf',
      },
      { type: 'location', latitude: 38.7, longitude: -9.1, name: 'Shop' },
    ]);
  });

  test('status webhooks move the stored message to delivered, then read; a failed status records why', async () => {
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    const sentId = (await outbound())[0]?.platformMessageId ?? '';
    const withId = (file: string) =>
      fixtureText('whatsapp-cloud', file).replaceAll(
        'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
        sentId,
      );
    expect((await postSigned(hook, withId('webhook-status-sent.json'))).status).toBe(200);
    expect((await outbound())[0]?.delivery).toBe('sent');
    await postSigned(hook, withId('webhook-status-delivered.json'));
    expect((await outbound())[0]?.delivery).toBe('delivered');
    await postSigned(hook, withId('webhook-status-read.json'));
    expect((await outbound())[0]?.delivery).toBe('read');

    await postSigned(hook, whatsappMessage('wamid.again', { type: 'text', text: { body: 'again' } }));
    await until(() => graph.sends().length >= 2);
    await sb.bot.idle();
    const second = (await outbound())[1];
    await postSigned(
      hook,
      withId('webhook-status-failed-131047.json').replaceAll(sentId, second?.platformMessageId ?? ''),
    );
    const failed = await sb.bot.store.messages.get(second?.id ?? '');
    expect(failed?.delivery).toBe('failed');
    expect(failed?.deliveryError).toContain('131047');
    const events = await sb.bot.store.events.list(failed?.conversationId ?? '');
    expect(events.map((e) => e.type)).toContain('delivery_failed');
  });

  test('error 131047 without a template: one attempt, then a delivery_failed event with a clear error', async () => {
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    graph.respond(() => ({ status: 400, body: fixture('whatsapp-cloud', 'error-131047-reengagement.json') }));
    const conversationId = (await outbound())[0]?.conversationId ?? '';
    const late = await sb.bot.send(conversationId, 'Your refund went through.', { author: 'operator' });
    await sb.bot.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(graph.sends()).toHaveLength(2);
    expect((await sb.bot.store.messages.get(late.id))?.delivery).toBe('failed');
    const events = await sb.bot.store.events.list(conversationId);
    expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
      expect.objectContaining({
        messageId: late.id,
        reason: 'refused',
        platformCode: 131047,
        error: expect.stringMatching(/24-hour window.*WHATSAPP_TEMPLATE_NAME/),
      }),
    ]);
  });
});

describe('with a template configured', () => {
  beforeEach(() => boot({ WHATSAPP_TEMPLATE_NAME: 'order_update', WHATSAPP_TEMPLATE_LANGUAGE: 'en_US' }));

  test('outside the window the template goes out instead of the text, once per closed window', async () => {
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    await ageWindow(sb.bot, 'whatsapp', WA_ID, 30);
    const conversationId = (await outbound())[0]?.conversationId ?? '';
    const first = await sb.bot.send(conversationId, 'Your parcel has shipped.');
    await sb.bot.idle();
    const template = fixture('whatsapp-cloud', 'send-request-template.json');
    delete template.template.components;
    expect(bodies()[1]).toEqual(template);
    expect(JSON.stringify(bodies()[1])).not.toContain('shipped');
    expect((await sb.bot.store.messages.get(first.id))?.delivery).toBe('sent');
    const events = await sb.bot.store.events.list(conversationId);
    expect(events.find((e) => e.type === 'window_template_sent')?.data).toMatchObject({
      messageId: first.id,
      template: 'order_update',
    });

    // A second message before the customer answers: no second template, a clear failure.
    const second = await sb.bot.send(conversationId, 'Another update.');
    await sb.bot.idle();
    expect(graph.sends()).toHaveLength(2);
    expect((await sb.bot.store.messages.get(second.id))?.deliveryError).toMatch(/already went out/);

    // The customer taps the template's button: the window is open again, and the message the
    // template stood in for goes out as written, besides the answer to the tap.
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-template-quick-reply.json'));
    await until(() => graph.sends().length >= 4);
    await sb.bot.idle();
    expect(
      bodies()
        .slice(2)
        .map((b) => b.text?.body)
        .sort(),
    ).toEqual(['Your parcel has shipped.', 'picked RESUME_CHAT']);
    expect(graph.sends()).toHaveLength(4);
    expect((await sb.bot.store.messages.get(first.id))?.delivery).toBe('sent');
    expect((await sb.bot.store.events.list(conversationId)).map((e) => e.type)).toContain(
      'window_message_released',
    );
    // The failed second message stays failed: the operator saw it fail.
    expect((await sb.bot.store.messages.get(second.id))?.delivery).toBe('failed');
  });

  test('error 131047 from the platform inside our window: the template, never an endless retry', async () => {
    await postSigned(hook, fixtureText('whatsapp-cloud', 'webhook-message-text.json'));
    await until(() => graph.sends().length >= 1);
    await sb.bot.idle();
    const normal = defaultGraphAnswer(() => graph.calls.length);
    graph.respond((call) =>
      (call.json as { type?: string }).type === 'text'
        ? { status: 400, body: fixture('whatsapp-cloud', 'error-131047-reengagement.json') }
        : normal(call),
    );
    const conversationId = (await outbound())[0]?.conversationId ?? '';
    const msg = await sb.bot.send(conversationId, 'Following up.', { author: 'operator' });
    await sb.bot.idle();
    expect(bodies().map((b) => b.type)).toEqual(['text', 'text', 'template']);
    expect((await sb.bot.store.messages.get(msg.id))?.delivery).toBe('sent');
  });
});
