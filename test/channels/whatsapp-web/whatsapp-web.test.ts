/**
 * whatsapp-web.js through a fake client: an EventEmitter that emits the library's
 * events with the fixture payloads. The real Client (Chromium + web.whatsapp.com) is
 * never constructed here.
 */
import fs from 'node:fs';
import pino from 'pino';
import { fixture, type LogLine, SIZES, testBehaviour, transcript, until } from '../meta-harness';
import { FakeWaClient, messageFixture } from '../wa-web-fake';
import { tempDir } from '../../helpers/bot';
import { channels } from '../../../adapters';
import { adaptersFromConfig } from '../../../src/core/channel';
import { loadConfig } from '../../../src/config';
import { Bot } from '../../../src/core/bot';
import type { Context } from '../../../src/core/context';
import { ConfigError } from '../../../src/errors';
import type { MediaContent } from '../../../src/model';
import { whatsappWebSettings } from '../../../adapters/whatsapp-web/config';
import { WhatsAppWebAdapter } from '../../../adapters/whatsapp-web/index';

const CHAT = '16505551234@c.us';

let bot: Bot<Context>;
let clients: FakeWaClient[];
let shared: { sent: { chatId: string; content: string }[]; nextIds: string[] };
let printed: string[];
let logs: LogLine[];
let dataDir: string;

const client = () => {
  const last = clients.at(-1);
  if (!last) throw new Error('no client yet');
  return last;
};
const texts = () => shared.sent.map((s) => s.content);

beforeEach(async () => {
  clients = [];
  shared = { sent: [], nextIds: [] };
  printed = [];
  logs = [];
  dataDir = tempDir('sb-waweb-');
  const settings = whatsappWebSettings({ WHATSAPP_WEB: 'true' });
  if (!settings) throw new Error('WHATSAPP_WEB=true must turn the channel on');
  const adapter = new WhatsAppWebAdapter(settings, {
    createClient: (options) => {
      expect(options.dataPath).toBe(`${dataDir}/whatsapp-web`);
      const fake = new FakeWaClient(shared);
      clients.push(fake);
      return fake;
    },
    printQr: (qr) => printed.push(qr),
    reconnect: { baseMs: 20, maxMs: 100 },
  });
  bot = new Bot<Context>({
    // Enough attempts that a reply waiting for a reconnect never gives up on a slow machine.
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      NODE_ENV: 'test',
      OUTBOX_MAX_ATTEMPTS: '100',
    }),
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    adapters: [adapter],
    outbox: { pollIntervalMs: 20, retryBaseMs: 30, maxRetryDelayMs: 100 },
  });
  testBehaviour(bot);
  await bot.start();
  await until(() => printed.length > 0);
});

afterEach(async () => {
  await bot.stop();
});

test('the login QR is printed and served to the operator; after login the state is ready', async () => {
  const qr = fixture('whatsapp-web', 'event-qr.json').args[0];
  expect(printed).toEqual([qr]);
  const json = await (await fetch(`${bot.url}/whatsapp-web/qr`)).json();
  expect(json).toMatchObject({ state: 'qr', qr });
  const art = await fetch(`${bot.url}/whatsapp-web/qr?format=text`);
  expect(art.status).toBe(200);
  expect((await art.text()).split('\n').length).toBeGreaterThan(10);
  client().login();
  expect(await (await fetch(`${bot.url}/whatsapp-web/qr`)).json()).toMatchObject({
    state: 'ready',
    qr: null,
  });
});

test('a text message is stored and answered with client.sendMessage; a repeated event answers once', async () => {
  client().login();
  client().emit('message', messageFixture('message-text.json'));
  client().emit('message', messageFixture('message-text.json'));
  await until(() => shared.sent.length >= 1);
  await bot.idle();
  expect(shared.sent).toEqual([{ chatId: CHAT, content: 'echo: Hi, where is my order?' }]);
  const stored = await transcript(bot, 'whatsapp-web', CHAT);
  expect(stored.map((m) => [m.direction, m.text])).toEqual([
    ['in', 'Hi, where is my order?'],
    ['out', 'echo: Hi, where is my order?'],
  ]);
});

test('five buttons become a numbered menu and a typed "2" picks the second option, end to end', async () => {
  client().login();
  client().emit('message', {
    ...messageFixture('message-text.json'),
    id: { _serialized: 'false_x_1' },
    body: 'sizes',
  });
  await until(() => shared.sent.length >= 1);
  await bot.idle();
  expect(texts()[0]).toBe(
    ['Which size?', '', ...SIZES.map((s, i) => `${i + 1}. ${s.title}`), '', 'Reply with a number.'].join(
      '\n',
    ),
  );
  client().emit('message', {
    ...messageFixture('message-text.json'),
    id: { _serialized: 'false_x_2' },
    body: '2',
  });
  await until(() => shared.sent.length >= 2);
  expect(texts()[1]).toBe('picked size:M');
});

test('a picture is downloaded into the data folder and stored as media', async () => {
  client().login();
  client().emit('message', messageFixture('message-image.json'));
  await until(() => shared.sent.length >= 1);
  await bot.idle();
  const [inbound] = await transcript(bot, 'whatsapp-web', CHAT);
  expect(inbound?.content).toMatchObject({
    type: 'media',
    kind: 'image',
    caption: 'The box arrived damaged',
    mimeType: 'image/jpeg',
  });
  const url = inbound?.content.type === 'media' ? inbound.content.url : '';
  expect(url.startsWith(`file://${dataDir}/whatsapp-web/media/`)).toBe(true);
  expect(fs.readFileSync(url.slice('file://'.length)).toString('base64')).toBe(
    fixture('whatsapp-web', 'message-image.json').downloadMedia_result.data,
  );
  // An operator opens it through a signed link; nothing outside the media folder is served.
  const link = await fetch(bot.media.urlFor('whatsapp-web', inbound?.content as MediaContent));
  expect([link.status, link.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
  expect(Buffer.from(await link.arrayBuffer()).toString('base64')).toBe(
    fixture('whatsapp-web', 'message-image.json').downloadMedia_result.data,
  );
  for (const ref of ['file:///etc/passwd', `file://${dataDir}/whatsapp-web/media/../../switchboard.db`]) {
    const refused = await fetch(bot.media.link({ channel: 'whatsapp-web', ref }));
    expect(refused.status).toBe(404);
  }
});

test('group and own messages are ignored with a logged reason', async () => {
  client().login();
  client().emit('message', messageFixture('message-group.json'));
  client().emit('message', { ...messageFixture('message-text.json'), fromMe: true });
  await until(() => logs.filter((l) => l.msg === 'ignored WhatsApp Web message').length >= 2);
  await bot.idle();
  expect(shared.sent).toHaveLength(0);
  expect(await bot.store.identities.find('whatsapp-web', '16505551234@c.us')).toBeNull();
  expect(logs.filter((l) => l.msg === 'ignored WhatsApp Web message').map((l) => l.reason)).toEqual([
    expect.stringContaining('group'),
    'own message',
  ]);
});

test('message_ack 3 marks the sent message read', async () => {
  const [ackedMessage, ack] = fixture('whatsapp-web', 'message-ack.json').args;
  shared.nextIds.push(ackedMessage.id._serialized);
  client().login();
  client().emit('message', messageFixture('message-text.json'));
  await until(() => shared.sent.length >= 1);
  await bot.idle();
  client().emit('message_ack', ackedMessage, ack);
  await until(async () => (await transcript(bot, 'whatsapp-web', CHAT))[1]?.delivery === 'read');
});

test('after a disconnect the client is rebuilt; a reply that found it down is delivered once it is back', async () => {
  const first = client();
  first.login();
  first.emit('message', { ...messageFixture('message-text.json'), body: 'before' });
  await until(() => shared.sent.length >= 1);
  await bot.idle();
  first.emit('disconnected', ...fixture('whatsapp-web', 'event-disconnected.json').args);
  expect(first.destroyed).toBe(true);
  // A reply while down: refused as a transport failure, retried by the outbox.
  const conversationId = (await transcript(bot, 'whatsapp-web', CHAT))[0]?.conversationId ?? '';
  const pending = await bot.send(conversationId, 'are you still there?', { author: 'operator' });
  await until(() => clients.length === 2 && (clients[1]?.initialized ?? 0) === 1);
  await until(async () => (await bot.store.messages.get(pending.id))?.attempts !== 0);
  expect((await bot.store.messages.get(pending.id))?.delivery).toBe('pending');
  client().login();
  await until(() => texts().includes('are you still there?'));
  await bot.idle();
  expect((await bot.store.messages.get(pending.id))?.delivery).toBe('sent');
});

test('the registry turns the channel on with WHATSAPP_WEB=true without starting a browser; bad values are reported', () => {
  const config = loadConfig({ DATA_DIR: tempDir(), WHATSAPP_WEB: 'true' });
  const adapters = adaptersFromConfig(config, channels);
  expect(adapters.map((a) => a.channel)).toContain('whatsapp-web');
  expect(
    adaptersFromConfig(loadConfig({ DATA_DIR: tempDir() }), channels).map((a) => a.channel),
  ).not.toContain('whatsapp-web');
  expect(() =>
    adaptersFromConfig(
      loadConfig({ DATA_DIR: tempDir(), WHATSAPP_WEB: 'maybe', CHROMIUM_PATH: '/nope/chromium' }),
      channels,
    ),
  ).toThrow(ConfigError);
  try {
    adaptersFromConfig(
      loadConfig({ DATA_DIR: tempDir(), WHATSAPP_WEB: 'maybe', CHROMIUM_PATH: '/nope/chromium' }),
      channels,
    );
  } catch (error) {
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^WHATSAPP_WEB: must be true or false/),
      expect.stringMatching(/^CHROMIUM_PATH: no file there/),
    ]);
  }
});

test('the QR endpoint: a Bearer token when WHATSAPP_WEB_QR_TOKEN is set; without one, never in production', async () => {
  const token = 'qr-token-0123456789';
  const boot = async (env: Record<string, string>) => {
    const settings = whatsappWebSettings({ WHATSAPP_WEB: 'true', ...env });
    if (!settings) throw new Error('unreachable');
    const other = new Bot<Context>({
      config: loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: tempDir(), LOG_LEVEL: 'silent', ...env }),
      adapters: [
        new WhatsAppWebAdapter(settings, { createClient: () => new FakeWaClient(shared), printQr: () => {} }),
      ],
    });
    await other.start();
    return other;
  };
  const guarded = await boot({ WHATSAPP_WEB_QR_TOKEN: token });
  try {
    expect((await fetch(`${guarded.url}/whatsapp-web/qr`)).status).toBe(401);
    const ok = await fetch(`${guarded.url}/whatsapp-web/qr`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  } finally {
    await guarded.stop();
  }
  const production = await boot({ NODE_ENV: 'production' });
  try {
    expect((await fetch(`${production.url}/whatsapp-web/qr`)).status).toBe(404);
  } finally {
    await production.stop();
  }
});
