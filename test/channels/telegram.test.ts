/**
 * Telegram end to end: the real bot on 127.0.0.1, updates POSTed to its webhook with the
 * secret header as Telegram sends them, replies arriving at a fake Bot API that telegraf
 * is pointed at (apiRoot).
 */
import { type TestBot, startTestBot, tempDir } from '../helpers/bot';
import {
  SECRET,
  TOKEN,
  type FakeTelegram,
  type TgCall,
  fixture,
  startFakeTelegram,
  until,
} from './fake-telegram';

let tg: FakeTelegram;
let sb: TestBot;

const env = (extra: Record<string, string> = {}) => ({
  // An empty bot folder: the built-in greeting and echo answer.
  BOT_DIR: tempDir('sb-bot-'),
  TELEGRAM_BOT_TOKEN: TOKEN,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_API_ROOT: tg.url,
  ...extra,
});

async function post(update: unknown, secret: string | null = SECRET): Promise<Response> {
  return fetch(`${sb.baseUrl}/webhooks/telegram`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret !== null && { 'x-telegram-bot-api-secret-token': secret }),
    },
    body: JSON.stringify(update),
  });
}

const texts = (calls: TgCall[]) => calls.map((c) => c.body.text as string);

async function conversationOf(externalId: string) {
  const identity = await sb.bot.store.identities.find('telegram', externalId);
  if (!identity) return null;
  const conversation = await sb.bot.store.conversations.findOpen(identity.customerId);
  return conversation;
}

beforeEach(async () => {
  tg = await startFakeTelegram();
});

afterEach(async () => {
  await sb?.stop();
  await tg.close();
});

describe('webhook', () => {
  beforeEach(async () => {
    sb = await startTestBot({ env: env() });
  });

  test('a text update signed with the secret → stored, and the reply arrives at the Bot API', async () => {
    const envelope = fixture<{ headers: Record<string, string>; body: unknown }>(
      'telegram',
      'webhook-request-envelope.json',
    );
    const res = await fetch(`${sb.baseUrl}/webhooks/telegram`, {
      method: 'POST',
      headers: envelope.headers,
      body: JSON.stringify(envelope.body),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    // The message was stored before the 200.
    const conversation = await conversationOf('700100200');
    expect(conversation).not.toBeNull();
    await until(() => tg.deliveries().length >= 2);
    await sb.bot.idle();
    const [greeting, echo] = tg.deliveries();
    expect(greeting?.method).toBe('sendMessage');
    expect(echo?.body).toEqual({
      chat_id: 700100200,
      text: 'You said: Hi, where is my order?',
      parse_mode: 'HTML',
    });
    // getMe was asked once at start, never per update.
    expect(tg.calls.filter((c) => c.method === 'getMe')).toHaveLength(1);
    const customer = await sb.bot.store.customers.get(conversation?.customerId ?? '');
    expect(customer?.profile).toMatchObject({ name: 'Ana Silva', locale: 'en' });
    const stored = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(stored.map((m) => [m.direction, m.delivery, m.platformMessageId])).toEqual([
      ['in', 'received', '700100200:41'],
      ['out', 'sent', expect.stringMatching(/^700100200:\d+$/)],
      ['out', 'sent', expect.stringMatching(/^700100200:\d+$/)],
    ]);
  });

  test('a wrong or missing secret → 401 and nothing stored', async () => {
    const update = fixture('telegram', 'update-message-text.json');
    const wrong = await post(update, 'tg_Secret-Token_124');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('SB_SIGNATURE_INVALID');
    expect((await post(update, null)).status).toBe(401);
    expect((await post(update, '')).status).toBe(401);
    expect(await sb.bot.store.identities.find('telegram', '700100200')).toBeNull();
    await sb.bot.idle();
    expect(tg.deliveries()).toHaveLength(0);
  });

  test('the same update delivered twice → one reply', async () => {
    const update = fixture('telegram', 'update-message-text.json');
    expect((await post(update)).status).toBe(200);
    expect((await post(update)).status).toBe(200);
    await until(() => tg.deliveries().length >= 2);
    await sb.bot.idle();
    expect(texts(tg.deliveries())).toEqual([
      expect.stringMatching(/^Hi!/),
      'You said: Hi, where is my order?',
    ]);
    const conversation = await conversationOf('700100200');
    expect(await sb.bot.store.messages.list(conversation?.id ?? '')).toHaveLength(3);
  });

  test('a body that is not an Update → 400, nothing stored', async () => {
    const res = await post({ hello: 'world' });
    expect(res.status).toBe(400);
    expect(await sb.bot.store.identities.find('telegram', '700100200')).toBeNull();
  });

  test('/start with a deep-link payload keeps the payload in the text', async () => {
    await post(fixture('telegram', 'update-message-command-start.json'));
    const conversation = await conversationOf('700100200');
    const [first] = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(first?.content).toEqual({ type: 'text', text: '/start ref_campaign42' });
  });

  test('a photo becomes image media (largest size, caption kept); a document keeps its name', async () => {
    await post(fixture('telegram', 'update-message-photo.json'));
    await post(fixture('telegram', 'update-message-document.json'));
    const conversation = await conversationOf('700100200');
    const inbound = (await sb.bot.store.messages.list(conversation?.id ?? '')).filter(
      (m) => m.direction === 'in',
    );
    expect(inbound.map((m) => m.content)).toEqual([
      {
        type: 'media',
        kind: 'image',
        url: 'tg-file:AgACAgQAAxkBAAMrZ0fakePhotoLarge',
        caption: 'The box arrived damaged',
      },
      {
        type: 'media',
        kind: 'file',
        url: 'tg-file:BQACAgQAAxkBAAMsZ0fakeDocument',
        filename: 'invoice-1042.pdf',
        mimeType: 'application/pdf',
      },
    ]);
  });

  test('an edited message is stored as a new message with the corrected text', async () => {
    await post(fixture('telegram', 'update-message-text.json'));
    await post(fixture('telegram', 'update-edited-message.json'));
    await post(fixture('telegram', 'update-edited-message.json'));
    const conversation = await conversationOf('700100200');
    const inbound = (await sb.bot.store.messages.list(conversation?.id ?? '')).filter(
      (m) => m.direction === 'in',
    );
    expect(inbound.map((m) => [m.text, m.platformMessageId])).toEqual([
      ['Hi, where is my order?', '700100200:41'],
      ['Hi, where is my order #1042?', '700100200:41:edit:1767225690'],
    ]);
  });

  test('a button press → postback with the button title, answered so the spinner stops', async () => {
    await post(fixture('telegram', 'update-callback-query.json'));
    await until(() => tg.calls.some((c) => c.method === 'answerCallbackQuery'));
    const answer = tg.calls.find((c) => c.method === 'answerCallbackQuery');
    expect(answer?.body).toEqual({ callback_query_id: '3006924118112345678' });
    const conversation = await conversationOf('700100200');
    const [pressed] = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(pressed?.content).toEqual({ type: 'postback', payload: 'handoff:yes', title: 'Yes, connect me' });
    expect(pressed?.platformMessageId).toBe('cb:3006924118112345678');
    await until(() => texts(tg.deliveries()).includes('You chose: Yes, connect me'));
  });

  test('typing shows as sendChatAction', async () => {
    await sb.stop();
    sb = await startTestBot({
      env: env(),
      setup: (bot) => bot.on('text', (ctx) => ctx.typing(true)),
    });
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.calls.some((c) => c.method === 'sendChatAction'));
    expect(tg.calls.find((c) => c.method === 'sendChatAction')?.body).toEqual({
      chat_id: 700100200,
      action: 'typing',
    });
  });
});

describe('buttons', () => {
  const longPayload = `order:lookup:${'x'.repeat(80)}`;
  beforeEach(async () => {
    sb = await startTestBot({
      env: env(),
      setup: (bot) =>
        bot.on('text', (ctx) =>
          ctx.reply({
            type: 'text',
            text: 'Do you want to talk to a human? <now> & later',
            buttons: [
              { type: 'postback', title: 'Yes, connect me', payload: 'handoff:yes' },
              { type: 'postback', title: 'Look it up', payload: longPayload },
              { type: 'url', title: 'Track order', url: 'https://example.com/track/1042' },
            ],
          }),
        ),
    });
  });

  test('render as an inline keyboard (fixture shape); a long payload travels as a key and comes back whole', async () => {
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.deliveries().length >= 1);
    await sb.bot.idle();
    const sent = tg.deliveries()[0]?.body;
    const reference = fixture<Record<string, unknown>>(
      'telegram',
      'sendmessage-request-inline-keyboard.json',
    );
    expect(Object.keys(sent).sort()).toEqual(Object.keys(reference).sort());
    expect(sent.text).toBe('Do you want to talk to a human? &lt;now&gt; &amp; later');
    const rows = sent.reply_markup.inline_keyboard as {
      text: string;
      callback_data?: string;
      url?: string;
    }[][];
    expect(rows.map((r) => r.map((b) => b.text))).toEqual([
      ['Yes, connect me'],
      ['Look it up'],
      ['Track order'],
    ]);
    expect(rows[0]?.[0]?.callback_data).toBe('handoff:yes');
    expect(rows[2]?.[0]?.url).toBe('https://example.com/track/1042');
    const key = rows[1]?.[0]?.callback_data as string;
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(64);
    expect(key).not.toBe(longPayload);

    // The customer presses the long one.
    const press = fixture<{ callback_query: Record<string, unknown> }>(
      'telegram',
      'update-callback-query.json',
    );
    press.callback_query.id = '777';
    press.callback_query.data = key;
    (press.callback_query.message as Record<string, unknown>).reply_markup = sent.reply_markup;
    await post(press);
    const conversation = await conversationOf('700100200');
    const stored = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(stored.at(-1)?.content).toEqual({ type: 'postback', payload: longPayload, title: 'Look it up' });
  });
});

describe('delivery failures', () => {
  beforeEach(async () => {
    sb = await startTestBot({ env: env() });
  });

  test('429 with retry_after → the reply arrives after the wait', async () => {
    const flood = fixture<{ parameters: { retry_after: number }; description: string }>(
      'telegram',
      'error-429-too-many-requests.json',
    );
    flood.parameters.retry_after = 1;
    let refused = 0;
    tg.script((call) => {
      if (call.method === 'sendMessage' && refused === 0) {
        refused++;
        return { status: 429, body: flood };
      }
      return undefined;
    });
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.deliveries().length >= 3, 15_000);
    await sb.bot.idle();
    const [first, second, third] = tg.deliveries();
    expect(texts([first, second, third] as TgCall[])).toEqual([
      expect.stringMatching(/^Hi!/),
      expect.stringMatching(/^Hi!/),
      'You said: Hi, where is my order?',
    ]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('500 → retried, then delivered', async () => {
    let failures = 2;
    tg.script((call) =>
      call.method === 'sendMessage' && failures-- > 0
        ? { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
        : undefined,
    );
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => texts(tg.deliveries()).includes('You said: Hi, where is my order?'));
    await sb.bot.idle();
    expect(tg.deliveries()).toHaveLength(4);
    const conversation = await conversationOf('700100200');
    const out = (await sb.bot.store.messages.list(conversation?.id ?? '')).filter(
      (m) => m.direction === 'out',
    );
    expect(out.map((m) => [m.delivery, m.attempts])).toEqual([
      ['sent', 3],
      ['sent', 1],
    ]);
  });

  test('403 blocked by the user → no retry, a delivery_failed conversation event', async () => {
    const blocked = fixture('telegram', 'error-403-bot-blocked.json');
    tg.script((call) => (call.method === 'sendMessage' ? { status: 403, body: blocked } : undefined));
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.deliveries().length >= 2);
    await sb.bot.idle();
    await new Promise((r) => setTimeout(r, 200)); // give a (wrong) retry the chance to happen
    expect(tg.deliveries()).toHaveLength(2);
    const conversation = await conversationOf('700100200');
    const events = await sb.bot.store.events.list(conversation?.id ?? '');
    expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
      expect.objectContaining({
        reason: 'refused',
        status: 403,
        platformCode: 403,
        error: expect.stringContaining('blocked'),
      }),
      expect.objectContaining({ reason: 'refused', status: 403 }),
    ]);
    expect(await sb.bot.store.messages.countPendingDelivery()).toBe(0);
  });

  test('400 chat not found → permanent too', async () => {
    const gone = fixture('telegram', 'error-400-chat-not-found.json');
    tg.script((call) => (call.method === 'sendMessage' ? { status: 400, body: gone } : undefined));
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.deliveries().length >= 2);
    await sb.bot.idle();
    const conversation = await conversationOf('700100200');
    const events = await sb.bot.store.events.list(conversation?.id ?? '');
    expect(events.filter((e) => e.type === 'delivery_failed')).toHaveLength(2);
    expect(tg.deliveries()).toHaveLength(2);
  });
});

describe('multi-call content', () => {
  test('a carousel interrupted by a 5xx resumes where it stopped; a picture Telegram cannot fetch becomes a link', async () => {
    sb = await startTestBot({
      env: env(),
      setup: (bot) =>
        bot.on('text', (ctx) =>
          ctx.reply({
            type: 'card',
            cards: [
              { title: 'Mug', imageUrl: 'https://shop.example/mug.png' },
              { title: 'Cap', imageUrl: 'https://shop.example/cap.png' },
              { title: 'Tee', imageUrl: 'https://shop.example/unfetchable.png' },
            ],
          }),
        ),
    });
    let capFailures = 1;
    tg.script((call) => {
      if (call.method === 'sendPhoto' && call.body.photo.endsWith('cap.png') && capFailures-- > 0) {
        return { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } };
      }
      if (call.method === 'sendPhoto' && call.body.photo.endsWith('unfetchable.png')) {
        return {
          status: 400,
          body: {
            ok: false,
            error_code: 400,
            description: 'Bad Request: wrong file identifier/HTTP URL specified',
          },
        };
      }
      return undefined;
    });
    await post(fixture('telegram', 'update-message-text.json'));
    await until(() => tg.deliveries().some((c) => c.method === 'sendMessage'));
    await sb.bot.idle();
    expect(tg.deliveries().map((c) => [c.method, c.body.photo ?? c.body.text])).toEqual([
      ['sendPhoto', 'https://shop.example/mug.png'],
      ['sendPhoto', 'https://shop.example/cap.png'],
      ['sendPhoto', 'https://shop.example/cap.png'],
      ['sendPhoto', 'https://shop.example/unfetchable.png'],
      ['sendMessage', '<b>Tee</b>'],
    ]);
    const conversation = await conversationOf('700100200');
    const [, reply] = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(reply).toMatchObject({ delivery: 'sent', attempts: 2 });
  });
});

describe('polling mode', () => {
  test('stores getUpdates results in order and keeps the offset in the store across restarts', async () => {
    const response = fixture<{ result: { update_id: number }[] }>('telegram', 'getupdates-response.json');
    tg.queueUpdates(response.result);
    sb = await startTestBot({ env: env({ TELEGRAM_MODE: 'polling', TELEGRAM_WEBHOOK_SECRET: '' }) });
    await until(async () => (await sb.bot.store.kv.get<number>(`telegram:offset:6000000001`)) === 910000003);
    expect(tg.calls.findIndex((c) => c.method === 'deleteWebhook')).toBeLessThan(
      tg.calls.findIndex((c) => c.method === 'getUpdates'),
    );
    const conversation = await conversationOf('700100200');
    const inbound = (await sb.bot.store.messages.list(conversation?.id ?? '')).filter(
      (m) => m.direction === 'in',
    );
    expect(inbound.map((m) => m.text)).toEqual(['Hi, where is my order?', '/start']);
    // No webhook route in polling mode.
    expect((await post(fixture('telegram', 'update-message-text.json'))).status).toBe(404);

    const dataDir = sb.dataDir;
    await sb.stop();
    tg.calls.length = 0;
    sb = await startTestBot({ dataDir, env: env({ TELEGRAM_MODE: 'polling', TELEGRAM_WEBHOOK_SECRET: '' }) });
    await until(() => tg.calls.some((c) => c.method === 'getUpdates'));
    expect(tg.calls.find((c) => c.method === 'getUpdates')?.body.offset).toBe(910000003);
  });
});
