/**
 * Walks EVERY fixture in fixtures/messenger, fixtures/whatsapp-cloud and
 * fixtures/whatsapp-web and shows what the adapters do with it: inbound payloads are
 * stored, applied as receipts, or ignored with a logged reason; request bodies are
 * what the renderers produce; responses and errors are what the Graph client reads.
 * A fixture added later without a case here fails the coverage check.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { channels } from '../../../adapters';
import { adaptersFromConfig } from '../../../src/core/channel';
import { loadConfig } from '../../../src/config';
import { Bot } from '../../../src/core/bot';
import type { Context } from '../../../src/core/context';
import { ChannelApiError } from '../../../src/errors';
import {
  ageWindow,
  FIXTURES_DIR,
  fixture,
  fixtureText,
  type LogLine,
  PSID,
  postSigned,
  testBehaviour,
  transcript,
  until,
  VERIFY_TOKEN,
  WA_ID,
  whatsappMessage,
} from '../meta-harness';
import { FakeWaClient, messageFixture } from '../wa-web-fake';
import { tempDir } from '../../helpers/bot';
import { type FakeApi, startFakeApi } from '../../helpers/fake-api';
import type { ChannelAdapter } from '../../../src/core/adapter';
import { renderMessenger } from '../../../adapters/messenger/render';
import { renderWhatsApp } from '../../../adapters/whatsapp/render';
import { WhatsAppWebAdapter } from '../../../adapters/whatsapp-web';
import { whatsappWebSettings } from '../../../adapters/whatsapp-web/config';
import { GraphClient, isWindowClosed } from '../../../adapters/meta-graph/graph';

const covered = new Map<string, Set<string>>();
function cover(folder: string, file: string): void {
  expect(fs.existsSync(path.join(FIXTURES_DIR, folder, file))).toBe(true);
  if (!covered.has(folder)) covered.set(folder, new Set());
  covered.get(folder)?.add(file);
}

let graph: FakeApi;
let bot: Bot<Context>;
let adapters: ChannelAdapter[];
let logs: LogLine[];
let clients: FakeWaClient[];
const shared = { sent: [] as { chatId: string; content: string }[], nextIds: [] as string[] };

beforeAll(async () => {
  // The fake Graph API answers with the fixtures' own success bodies.
  // The fake Graph API answers the first send with the fixtures' own success bodies, later ones with fresh ids.
  let messengerSends = 0;
  let whatsappSends = 0;
  graph = await startFakeApi((call) => {
    if (call.path.includes('/me/messages')) {
      const body = fixture('messenger', 'send-api-response.json');
      return {
        status: 200,
        body: messengerSends++ === 0 ? body : { ...body, message_id: `m_walk_${messengerSends}` },
      };
    }
    if ((call.json as { status?: string }).status === 'read') return { status: 200, body: { success: true } };
    const body = fixture('whatsapp-cloud', 'send-response.json');
    return {
      status: 200,
      body: whatsappSends++ === 0 ? body : { ...body, messages: [{ id: `wamid.walk.${whatsappSends}` }] },
    };
  });
  logs = [];
  clients = [];
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('sb-fixtures-'),
    META_GRAPH_URL: `${graph.url}/v21.0`,
    MESSENGER_VERIFY_TOKEN: VERIFY_TOKEN,
    MESSENGER_APP_SECRET: fixture('messenger', 'signature-vector.json').app_secret,
    MESSENGER_PAGE_ACCESS_TOKEN: 'page-token',
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WHATSAPP_APP_SECRET: fixture('whatsapp-cloud', 'signature-vector.json').app_secret,
    WHATSAPP_ACCESS_TOKEN: 'wa-token',
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    WHATSAPP_TEMPLATE_NAME: 'order_update',
  });
  const settings = whatsappWebSettings({ WHATSAPP_WEB: 'true' });
  if (!settings) throw new Error('unreachable');
  adapters = [
    ...adaptersFromConfig(config, channels).filter((a) => a.channel !== 'whatsapp-web'),
    new WhatsAppWebAdapter(settings, {
      createClient: () => {
        const fake = new FakeWaClient(shared);
        clients.push(fake);
        return fake;
      },
      printQr: () => {},
      reconnect: { baseMs: 10, maxMs: 50 },
    }),
  ];
  bot = new Bot<Context>({
    config,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    adapters,
    outbox: { pollIntervalMs: 20, retryBaseMs: 30, maxRetryDelayMs: 100 },
  });
  testBehaviour(bot);
  await bot.start();
});

afterAll(async () => {
  await bot?.stop();
  await graph?.close();
});

const ignoredReasons = () => logs.filter((l) => /^ignored/.test(l.msg)).map((l) => l.reason ?? '');
const adapter = (channel: string) => adapters.find((a) => a.channel === channel) as ChannelAdapter;

async function replyCount(n: number): Promise<void> {
  await until(() => graph.calls.filter((c) => (c.json as { status?: string }).status !== 'read').length >= n);
  await bot.idle();
}

describe('fixtures/messenger', () => {
  const F = 'messenger';
  const hook = () => `${bot.url}/webhooks/messenger`;
  const inbound = async () => (await transcript(bot, 'messenger', PSID)).filter((m) => m.direction === 'in');
  const out = async () => (await transcript(bot, 'messenger', PSID)).filter((m) => m.direction === 'out');

  test('verify-challenge-request.json: the handshake answers the challenge', async () => {
    cover(F, 'verify-challenge-request.json');
    const { path: p, query, expected_response } = fixture(F, 'verify-challenge-request.json');
    const res = await fetch(`${bot.url}${p}?${new URLSearchParams(query)}`);
    expect([res.status, await res.text()]).toEqual([expected_response.status, expected_response.body]);
  });

  test('signature-vector.json: the exact bytes with their header are accepted and stored', async () => {
    cover(F, 'signature-vector.json');
    const v = fixture(F, 'signature-vector.json');
    expect(
      (await postSigned(hook(), v.raw_body, { signature: v.headers['x-hub-signature-256'] })).status,
    ).toBe(200);
    expect((await inbound()).map((m) => m.platformMessageId)).toContain(
      'm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
    );
  });

  test('webhook-message-text.json: stored (a redelivery of the vector: deduplicated), answered', async () => {
    cover(F, 'webhook-message-text.json');
    expect((await postSigned(hook(), fixtureText(F, 'webhook-message-text.json'))).status).toBe(200);
    await replyCount(1);
    expect(await inbound()).toHaveLength(1);
  });

  test('send-api-response.json: the message id it returns becomes the stored platform id', async () => {
    cover(F, 'send-api-response.json');
    expect((await out())[0]?.platformMessageId).toBe(fixture(F, 'send-api-response.json').message_id);
  });

  test('send-api-request-text.json: the reply has the fixture’s shape', async () => {
    cover(F, 'send-api-request-text.json');
    const expected = fixture(F, 'send-api-request-text.json');
    const sent = graph.calls[0]?.json as typeof expected;
    expect(Object.keys(sent).sort()).toEqual(Object.keys(expected).sort());
    expect(sent.messaging_type).toBe(expected.messaging_type);
    expect(renderMessenger({ type: 'text', text: expected.message.text })).toEqual([expected.message]);
  });

  test('webhook-message-deliveries.json: the named mid becomes delivered', async () => {
    cover(F, 'webhook-message-deliveries.json');
    await postSigned(hook(), fixtureText(F, 'webhook-message-deliveries.json'));
    expect((await out())[0]?.delivery).toBe('delivered');
  });

  test('webhook-message-reads.json: a watermark older than our message reads nothing; a newer one reads it', async () => {
    cover(F, 'webhook-message-reads.json');
    await postSigned(hook(), fixtureText(F, 'webhook-message-reads.json'));
    expect((await out())[0]?.delivery).toBe('delivered');
    const reads = fixture(F, 'webhook-message-reads.json');
    reads.entry[0].messaging[0].read.watermark = Date.now();
    await postSigned(hook(), reads);
    expect((await out())[0]?.delivery).toBe('read');
  });

  test('webhook-message-quick-reply.json and webhook-postback.json: stored as postbacks', async () => {
    cover(F, 'webhook-message-quick-reply.json');
    cover(F, 'webhook-postback.json');
    await postSigned(hook(), fixtureText(F, 'webhook-message-quick-reply.json'));
    await postSigned(hook(), fixtureText(F, 'webhook-postback.json'));
    await replyCount(3);
    expect((await inbound()).slice(-2).map((m) => m.content)).toEqual([
      { type: 'postback', payload: 'HANDOFF_YES', title: 'Talk to a human' },
      { type: 'postback', payload: 'HANDOFF_YES', title: 'Talk to a human' },
    ]);
  });

  test('webhook-message-attachment-image.json: stored as an image', async () => {
    cover(F, 'webhook-message-attachment-image.json');
    await postSigned(hook(), fixtureText(F, 'webhook-message-attachment-image.json'));
    await replyCount(4);
    expect((await inbound()).at(-1)?.content).toMatchObject({ type: 'media', kind: 'image' });
  });

  test('webhook-batched-two-entries.json: both entries stored in order', async () => {
    cover(F, 'webhook-batched-two-entries.json');
    await postSigned(hook(), fixtureText(F, 'webhook-batched-two-entries.json'));
    await replyCount(6);
    expect((await inbound()).slice(-2).map((m) => m.text)).toEqual(['one', 'two']);
  });

  test('webhook-message-echo.json and webhook-message-edit.json: ignored with a logged reason', async () => {
    cover(F, 'webhook-message-echo.json');
    cover(F, 'webhook-message-edit.json');
    const before = (await inbound()).length;
    await postSigned(hook(), fixtureText(F, 'webhook-message-echo.json'));
    await postSigned(hook(), fixtureText(F, 'webhook-message-edit.json'));
    expect(await inbound()).toHaveLength(before);
    expect(ignoredReasons()).toEqual(
      expect.arrayContaining([expect.stringMatching(/echo/), expect.stringMatching(/edit/)]),
    );
  });

  test('send-api-request-quick-replies.json, -button-template.json, -image-url.json: what the renderer produces', () => {
    for (const f of [
      'send-api-request-quick-replies.json',
      'send-api-request-button-template.json',
      'send-api-request-image-url.json',
    ])
      cover(F, f);
    const qr = fixture(F, 'send-api-request-quick-replies.json').message;
    expect(
      renderMessenger({
        type: 'text',
        text: qr.text,
        quickReplies: qr.quick_replies.map((q: { title: string; payload: string }) => ({
          type: 'postback',
          title: q.title,
          payload: q.payload,
        })),
      }),
    ).toEqual([qr]);
    const bt = fixture(F, 'send-api-request-button-template.json').message;
    expect(
      renderMessenger({
        type: 'text',
        text: bt.attachment.payload.text,
        buttons: [
          { type: 'postback', title: 'Talk to a human', payload: 'HANDOFF_YES' },
          { type: 'url', title: 'Track order', url: 'https://example.com/track/1042' },
        ],
      }),
    ).toEqual([bt]);
    const img = fixture(F, 'send-api-request-image-url.json').message;
    expect(renderMessenger({ type: 'media', kind: 'image', url: img.attachment.payload.url })).toEqual([img]);
  });

  test('send-api-request-typing-on.json: what sendTyping sends', async () => {
    cover(F, 'send-api-request-typing-on.json');
    await adapter('messenger').sendTyping?.({ psid: PSID }, true);
    expect(graph.calls.at(-1)?.json).toEqual(fixture(F, 'send-api-request-typing-on.json'));
  });

  test('send-api-request-human-agent-tag.json: an operator reply outside the window', async () => {
    cover(F, 'send-api-request-human-agent-tag.json');
    await ageWindow(bot, 'messenger', PSID, 48);
    const expected = fixture(F, 'send-api-request-human-agent-tag.json');
    const conversationId = (await inbound())[0]?.conversationId ?? '';
    await bot.send(conversationId, expected.message.text, { author: 'operator' });
    await until(() => JSON.stringify(graph.calls.at(-1)?.json ?? {}).includes('HUMAN_AGENT'));
    expect(graph.calls.at(-1)?.json).toEqual(expected);
  });

  test('error-*.json: rate limits are retried, a closed window and a bad token are final', async () => {
    for (const f of ['error-rate-limit.json', 'error-outside-window.json', 'error-invalid-token.json'])
      cover(F, f);
    const refusal = await graphRefusal('messenger', 400, fixture(F, 'error-rate-limit.json'));
    expect(refusal).toMatchObject({ permanent: false, platformCode: 613 });
    const window = await graphRefusal('messenger', 400, fixture(F, 'error-outside-window.json'));
    expect(window).toMatchObject({ permanent: true, platformCode: 10 });
    expect(isWindowClosed(window)).toBe(true);
    const token = await graphRefusal('messenger', 400, fixture(F, 'error-invalid-token.json'));
    expect(token.permanent).toBe(true);
    expect(token.description).toMatch(/access token is invalid/);
  });
});

describe('fixtures/whatsapp-cloud', () => {
  const F = 'whatsapp-cloud';
  const hook = () => `${bot.url}/webhooks/whatsapp`;
  const inbound = async () => (await transcript(bot, 'whatsapp', WA_ID)).filter((m) => m.direction === 'in');
  const out = async () => (await transcript(bot, 'whatsapp', WA_ID)).filter((m) => m.direction === 'out');
  const sends = () =>
    graph.calls.filter(
      (c) => c.path.includes('106540352242922') && (c.json as { status?: string }).status !== 'read',
    );

  test('verify-challenge-request.json: the handshake answers the challenge', async () => {
    cover(F, 'verify-challenge-request.json');
    const { path: p, query, expected_response } = fixture(F, 'verify-challenge-request.json');
    const res = await fetch(`${bot.url}${p}?${new URLSearchParams(query)}`);
    expect([res.status, await res.text()]).toEqual([expected_response.status, expected_response.body]);
  });

  test('signature-vector.json and webhook-message-text.json: accepted once, answered in context, marked read', async () => {
    cover(F, 'signature-vector.json');
    cover(F, 'webhook-message-text.json');
    cover(F, 'mark-as-read-request.json');
    cover(F, 'send-request-reply-context.json');
    cover(F, 'send-request-text.json');
    cover(F, 'send-response.json');
    const v = fixture(F, 'signature-vector.json');
    expect(
      (await postSigned(hook(), v.raw_body, { signature: v.headers['x-hub-signature-256'] })).status,
    ).toBe(200);
    expect((await postSigned(hook(), fixtureText(F, 'webhook-message-text.json'))).status).toBe(200);
    await until(() => sends().length >= 1);
    await bot.idle();
    expect(await inbound()).toHaveLength(1);
    await until(() => graph.calls.some((c) => (c.json as { status?: string }).status === 'read'));
    expect(graph.calls.find((c) => (c.json as { status?: string }).status === 'read')?.json).toEqual(
      fixture(F, 'mark-as-read-request.json'),
    );
    const context = fixture(F, 'send-request-reply-context.json');
    const reply = sends()[0]?.json as Record<string, unknown>;
    expect(reply).toMatchObject({ ...context, text: { body: 'echo: Hi, where is my order?' } });
    const text = fixture(F, 'send-request-text.json');
    expect({ ...reply, context: undefined, text: text.text }).toEqual({ ...text, context: undefined });
    expect((await out())[0]?.platformMessageId).toBe(fixture(F, 'send-response.json').messages[0].id);
  });

  test('webhook-status-sent/delivered/read.json: sent is already known, then delivered, then read', async () => {
    for (const f of ['webhook-status-sent.json', 'webhook-status-delivered.json', 'webhook-status-read.json'])
      cover(F, f);
    await postSigned(hook(), fixtureText(F, 'webhook-status-sent.json'));
    expect((await out())[0]?.delivery).toBe('sent');
    await postSigned(hook(), fixtureText(F, 'webhook-status-delivered.json'));
    expect((await out())[0]?.delivery).toBe('delivered');
    await postSigned(hook(), fixtureText(F, 'webhook-status-read.json'));
    expect((await out())[0]?.delivery).toBe('read');
  });

  test('webhook-status-failed-131047.json: a read message stays read; an unread one fails and the template goes out', async () => {
    cover(F, 'webhook-status-failed-131047.json');
    cover(F, 'send-request-template.json');
    await postSigned(hook(), fixtureText(F, 'webhook-status-failed-131047.json'));
    expect((await out())[0]?.delivery).toBe('read');
    // A second reply, which the platform then reports as failed (131047).
    await postSigned(hook(), whatsappMessage('wamid.walk.in', { type: 'text', text: { body: 'later' } }));
    await until(async () => (await out())[1]?.delivery === 'sent');
    const second = (await out())[1];
    const firstId = fixture(F, 'send-response.json').messages[0].id;
    await postSigned(
      hook(),
      fixtureText(F, 'webhook-status-failed-131047.json').replace(firstId, second?.platformMessageId ?? ''),
    );
    const failed = await bot.store.messages.get(second?.id ?? '');
    expect(failed?.delivery).toBe('failed');
    expect(failed?.deliveryError).toMatch(/Re-engagement message \(code 131047\)/);
    const events = await bot.store.events.list(failed?.conversationId ?? '');
    expect(events.find((e) => e.type === 'delivery_failed')?.data).toMatchObject({
      messageId: second?.id,
      reason: 'platform_receipt',
    });
    // WHATSAPP_TEMPLATE_NAME is set: the template invites the customer back.
    await until(() => sends().some((c) => (c.json as { type?: string }).type === 'template'));
    const template = fixture(F, 'send-request-template.json');
    const sentTemplate = sends().find((c) => (c.json as { type?: string }).type === 'template')?.json as
      | typeof template
      | undefined;
    expect(sentTemplate).toMatchObject({
      ...template,
      template: { name: template.template.name, language: template.template.language },
    });
    expect(sentTemplate?.template.components).toBeUndefined();
  });

  test('webhook-message-image/document.json: media with a wa-media reference', async () => {
    cover(F, 'webhook-message-image.json');
    cover(F, 'webhook-message-document.json');
    await postSigned(hook(), fixtureText(F, 'webhook-message-image.json'));
    await postSigned(hook(), fixtureText(F, 'webhook-message-document.json'));
    expect((await inbound()).slice(-2).map((m) => m.content)).toEqual([
      expect.objectContaining({ type: 'media', kind: 'image', url: 'wa-media:1003383421387256' }),
      expect.objectContaining({ type: 'media', kind: 'file', url: 'wa-media:1003383421387257' }),
    ]);
  });

  test('webhook-message-interactive-button/list-reply.json and template-quick-reply.json: postbacks', async () => {
    for (const f of [
      'webhook-message-interactive-button-reply.json',
      'webhook-message-interactive-list-reply.json',
      'webhook-message-template-quick-reply.json',
    ]) {
      cover(F, f);
      await postSigned(hook(), fixtureText(F, f));
    }
    expect((await inbound()).slice(-3).map((m) => m.content)).toEqual([
      { type: 'postback', payload: 'handoff_yes', title: 'Talk to a human' },
      { type: 'postback', payload: 'topic_billing', title: 'Billing' },
      { type: 'postback', payload: 'RESUME_CHAT', title: 'Continue chat' },
    ]);
  });

  test('send-request-interactive-buttons/list.json and send-request-image-link.json: what the renderer produces', () => {
    for (const f of [
      'send-request-interactive-buttons.json',
      'send-request-interactive-list.json',
      'send-request-image-link.json',
    ])
      cover(F, f);
    const envelope = { messaging_product: 'whatsapp', recipient_type: 'individual', to: WA_ID };
    const buttons = fixture(F, 'send-request-interactive-buttons.json');
    const [rendered] = renderWhatsApp({
      type: 'text',
      text: buttons.interactive.body.text,
      buttons: buttons.interactive.action.buttons.map((b: { reply: { id: string; title: string } }) => ({
        type: 'postback',
        title: b.reply.title,
        payload: b.reply.id,
      })),
    });
    // Footers are not used: a bot's messages carry no fixed footer.
    delete buttons.interactive.footer;
    expect({ ...envelope, ...rendered }).toEqual(buttons);
    const list = fixture(F, 'send-request-interactive-list.json');
    const rows = list.interactive.action.sections[0].rows;
    const fourRows = [
      ...rows,
      { id: 'topic_returns', title: 'Returns' },
      { id: 'topic_other', title: 'Other' },
    ];
    const [renderedList] = renderWhatsApp({
      type: 'text',
      text: list.interactive.body.text,
      buttons: fourRows.map((r: { id: string; title: string }) => ({
        type: 'postback',
        title: r.title,
        payload: r.id,
      })),
    });
    expect(renderedList).toMatchObject({
      type: 'interactive',
      interactive: {
        type: 'list',
        body: list.interactive.body,
        action: {
          sections: [
            { rows: fourRows.map(({ id, title }: { id: string; title: string }) => ({ id, title })) },
          ],
        },
      },
    });
    const image = fixture(F, 'send-request-image-link.json');
    expect({
      ...envelope,
      ...renderWhatsApp({
        type: 'media',
        kind: 'image',
        url: image.image.link,
        caption: image.image.caption,
      })[0],
    }).toEqual(image);
  });

  test('error-*.json: 130429 and 131056 are retried, 131047 is final and means a closed window', async () => {
    for (const f of [
      'error-130429-rate-limit.json',
      'error-131056-pair-rate-limit.json',
      'error-131047-reengagement.json',
    ])
      cover(F, f);
    expect(await graphRefusal('whatsapp', 429, fixture(F, 'error-130429-rate-limit.json'))).toMatchObject({
      permanent: false,
      platformCode: 130429,
    });
    expect(
      await graphRefusal('whatsapp', 400, fixture(F, 'error-131056-pair-rate-limit.json')),
    ).toMatchObject({ permanent: false, platformCode: 131056 });
    const closed = await graphRefusal('whatsapp', 400, fixture(F, 'error-131047-reengagement.json'));
    expect(closed).toMatchObject({ permanent: true, platformCode: 131047 });
    expect(isWindowClosed(closed)).toBe(true);
  });
});

describe('fixtures/whatsapp-web', () => {
  const F = 'whatsapp-web';
  const CHAT = '16505551234@c.us';
  const client = () => clients.at(-1) as FakeWaClient;

  test('event-qr.json then event-ready.json: QR served, then ready', async () => {
    cover(F, 'event-qr.json');
    cover(F, 'event-ready.json');
    await until(() => clients.length > 0);
    await until(
      async () => ((await (await fetch(`${bot.url}/whatsapp-web/qr`)).json()) as { qr: unknown }).qr !== null,
    );
    client().login();
    expect(((await (await fetch(`${bot.url}/whatsapp-web/qr`)).json()) as { state: string }).state).toBe(
      'ready',
    );
  });

  test('message-text.json and message-image.json: stored and answered', async () => {
    cover(F, 'message-text.json');
    cover(F, 'message-image.json');
    client().emit('message', messageFixture('message-text.json'));
    client().emit('message', messageFixture('message-image.json'));
    await until(() => shared.sent.length >= 2);
    const inbound = (await transcript(bot, 'whatsapp-web', CHAT)).filter((m) => m.direction === 'in');
    expect(inbound.map((m) => m.content.type)).toEqual(['text', 'media']);
  });

  test('message-group.json: ignored with a logged reason', async () => {
    cover(F, 'message-group.json');
    client().emit('message', messageFixture('message-group.json'));
    await until(() => ignoredReasons().some((r) => /group/.test(r)));
  });

  test('message-ack.json: marks the acknowledged message read', async () => {
    cover(F, 'message-ack.json');
    const [message, ack] = fixture(F, 'message-ack.json').args;
    shared.nextIds.push(message.id._serialized);
    client().emit('message', {
      ...messageFixture('message-text.json'),
      id: { _serialized: 'false_walk_3' },
      body: 'ack me',
    });
    await until(() => shared.sent.length >= 3);
    await bot.idle();
    client().emit('message_ack', message, ack);
    await until(async () =>
      (await transcript(bot, 'whatsapp-web', CHAT)).some(
        (m) => m.platformMessageId === message.id._serialized && m.delivery === 'read',
      ),
    );
  });

  test('event-disconnected.json: the client is rebuilt', async () => {
    cover(F, 'event-disconnected.json');
    const before = clients.length;
    client().emit('disconnected', ...fixture(F, 'event-disconnected.json').args);
    await until(() => clients.length === before + 1 && (clients.at(-1)?.initialized ?? 0) === 1);
  });
});

test('every fixture in the three folders was walked', () => {
  for (const folder of ['messenger', 'whatsapp-cloud', 'whatsapp-web']) {
    const files = fs
      .readdirSync(path.join(FIXTURES_DIR, folder))
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect([...(covered.get(folder) ?? [])].sort()).toEqual(files);
  }
});

/** A Graph error body served over HTTP, as the Graph client classifies it. */
async function graphRefusal(channel: string, status: number, body: unknown): Promise<ChannelApiError> {
  const fake = await startFakeApi(() => ({ status, body }));
  const client = new GraphClient(channel, `${fake.url}/v21.0`, 'token');
  try {
    await client.post('x/messages', {});
    throw new Error('expected a refusal');
  } catch (error) {
    expect(error).toBeInstanceOf(ChannelApiError);
    return error as ChannelApiError;
  } finally {
    await client.close();
    await fake.close();
  }
}
