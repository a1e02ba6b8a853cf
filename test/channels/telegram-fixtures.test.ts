/**
 * Every file in test/fixtures/platforms/telegram is either handled by the Telegram adapter or
 * deliberately ignored with a logged reason; and a customer on the web and on Telegram
 * is two customers (until linked), each with a complete, ordered conversation.
 */
import { channels } from '../../adapters';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { TelegramError } from 'telegraf';
import { CallbackData, TelegramRenderer } from '../../adapters/telegram/render';
import { telegramSettings, toChannelError } from '../../adapters/telegram';
import { createSwitchboard } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Bot } from '../../src/core/bot';
import type { Context } from '../../src/core/context';
import { ChannelApiError } from '../../src/errors';
import { tempDir } from '../helpers/bot';
import {
  FIXTURES_DIR,
  SECRET,
  TOKEN,
  type FakeTelegram,
  fixture,
  startFakeTelegram,
  until,
} from './fake-telegram';

interface LogLine {
  msg: string;
  reason?: string;
  updateId?: number;
  [key: string]: unknown;
}

let tg: FakeTelegram;
let bot: Bot<Context>;
let logs: LogLine[];

async function start(extraEnv: Record<string, string> = {}) {
  logs = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir(),
    // An empty bot folder: the built-in greeting and echo answer.
    BOT_DIR: tempDir('sb-bot-'),
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: tg.url,
    ...extraEnv,
  });
  bot = createSwitchboard(config, { channels, logger, outbox: { pollIntervalMs: 50, retryBaseMs: 50 } });
  await bot.start();
}

async function postUpdate(update: unknown, headers: Record<string, string> = {}) {
  return fetch(`${bot.url}/webhooks/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET, ...headers },
    body: JSON.stringify(update),
  });
}

/** The stored inbound message for a platform id, or the logged reason the update was ignored. */
async function outcome(updateId: number, platformMessageId: string | null): Promise<string> {
  if (platformMessageId) {
    const conversation = await bot.store.conversations.findOpen(
      (await bot.store.identities.find('telegram', '700100200'))?.customerId ?? '',
    );
    const messages = await bot.store.messages.list(conversation?.id ?? '');
    const stored = messages.find((m) => m.direction === 'in' && m.platformMessageId === platformMessageId);
    if (stored) return `stored ${stored.content.type}`;
  }
  const ignored = logs.find((l) => l.msg === 'telegram update ignored' && l.updateId === updateId);
  return ignored ? `ignored: ${ignored.reason}` : 'LOST';
}

beforeEach(async () => {
  tg = await startFakeTelegram();
});

afterEach(async () => {
  await bot?.stop();
  await tg.close();
});

type Check = () => Promise<void>;

test('every Telegram fixture is handled or deliberately ignored with a logged reason', async () => {
  await start();
  const update =
    (file: string, expected: RegExp): Check =>
    async () => {
      const body = fixture<{ update_id: number; message?: { chat: { id: number }; message_id: number } }>(
        'telegram',
        file,
      );
      expect((await postUpdate(body)).status).toBe(200);
      const u = body as Record<string, unknown> & { update_id: number };
      const message = (u.message ?? u.edited_message) as {
        chat: { id: number };
        message_id: number;
        edit_date?: number;
      };
      const query = u.callback_query as { id: string } | undefined;
      const platformId = message
        ? `${message.chat.id}:${message.message_id}${message.edit_date ? `:edit:${message.edit_date}` : ''}`
        : query
          ? `cb:${query.id}`
          : null;
      expect(await outcome(u.update_id, platformId)).toMatch(expected);
    };
  const renderer = new TelegramRenderer(new CallbackData(bot.store.kv));
  const refusal =
    (file: string, expectation: Partial<ChannelApiError>): Check =>
    async () => {
      const body = fixture<{ error_code: number; description: string }>('telegram', file);
      const mapped = toChannelError(new TelegramError(body), 'sendMessage');
      expect(mapped).toBeInstanceOf(ChannelApiError);
      expect(mapped).toMatchObject({
        status: body.error_code,
        description: body.description,
        ...expectation,
      });
    };

  const table: Record<string, Check> = {
    // Inbound: POSTed to the webhook.
    'update-message-text.json': update('update-message-text.json', /^stored text$/),
    'update-message-command-start.json': update('update-message-command-start.json', /^stored text$/),
    'update-message-photo.json': update('update-message-photo.json', /^stored media$/),
    'update-message-document.json': update('update-message-document.json', /^stored media$/),
    'update-callback-query.json': update('update-callback-query.json', /^stored postback$/),
    'update-edited-message.json': update('update-edited-message.json', /^stored text$/),
    'webhook-request-envelope.json': async () => {
      const envelope = fixture<{ headers: Record<string, string>; body: { update_id: number } }>(
        'telegram',
        'webhook-request-envelope.json',
      );
      const res = await postUpdate(envelope.body, envelope.headers);
      expect(res.status).toBe(200);
      expect(await outcome(envelope.body.update_id, '700100200:41')).toBe('stored text');
    },
    // Served by the fake: the bot learns its name at start, and records sent message ids.
    'getme-response.json': async () => {
      const mounted = logs.find((l) => l.msg.startsWith('telegram webhook mounted'));
      expect(mounted?.bot).toBe('acme_support_bot');
    },
    'sendmessage-response.json': async () => {
      const response = fixture<{ result: unknown }>('telegram', 'sendmessage-response.json');
      tg.script((call) => (call.method === 'sendMessage' ? { status: 200, body: response } : undefined));
      const conversation = await bot.store.conversations.findOpen(
        (await bot.store.identities.find('telegram', '700100200'))?.customerId ?? '',
      );
      const sent = await bot.send(conversation?.id ?? '', 'Do you want to talk to a human?');
      await until(async () => (await bot.store.messages.get(sent.id))?.delivery === 'sent');
      expect((await bot.store.messages.get(sent.id))?.platformMessageId).toBe('700100200:46');
      tg.script(() => undefined);
    },
    'getupdates-response.json': async () => {
      // Polling mode is exercised end to end in telegram.test.ts; here: the shape parses.
      const response = fixture<{ result: { update_id: number }[] }>('telegram', 'getupdates-response.json');
      expect(response.result.map((u) => u.update_id)).toEqual([910000001, 910000002]);
    },
    // Outbound request shapes: what we send has the fixture's shape.
    'sendmessage-request-inline-keyboard.json': async () => {
      const reference = fixture<{
        text: string;
        chat_id: number;
        reply_markup: { inline_keyboard: object[][] };
      }>('telegram', 'sendmessage-request-inline-keyboard.json');
      const [call] = await renderer.render(
        {
          type: 'text',
          text: reference.text,
          buttons: [
            { type: 'postback', title: 'Yes, connect me', payload: 'handoff:yes' },
            { type: 'postback', title: 'No', payload: 'handoff:no' },
            { type: 'url', title: 'Track order', url: 'https://example.com/track/1042' },
          ],
        },
        reference.chat_id,
      );
      expect(call?.method).toBe('sendMessage');
      const sent = call?.payload as typeof reference;
      expect(Object.keys(sent).sort()).toEqual(Object.keys(reference).sort());
      expect(sent.reply_markup.inline_keyboard.flat()).toEqual(reference.reply_markup.inline_keyboard.flat());
    },
    'answercallbackquery-request.json': async () => {
      const reference = fixture<{ callback_query_id: string }>(
        'telegram',
        'answercallbackquery-request.json',
      );
      const answered = tg.calls.filter((c) => c.method === 'answerCallbackQuery');
      expect(answered.map((c) => c.body.callback_query_id)).toContain(reference.callback_query_id);
    },
    'setwebhook-request.json': async () => {
      const request = fixture<{ secret_token: string; allowed_updates: string[] }>(
        'telegram',
        'setwebhook-request.json',
      );
      // The secret Telegram echoes is one our settings accept, and every update type it
      // subscribes to is one the adapter handles.
      expect(
        telegramSettings({
          env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: request.secret_token },
        }),
      ).toMatchObject({ webhookSecret: request.secret_token });
      expect(request.allowed_updates.sort()).toEqual(['callback_query', 'edited_message', 'message']);
    },
    // Refusals: mapped onto the outbox's retry decisions.
    'error-429-too-many-requests.json': refusal('error-429-too-many-requests.json', {
      retryAfter: 35,
      permanent: false,
    }),
    'error-403-bot-blocked.json': refusal('error-403-bot-blocked.json', { permanent: true }),
    'error-400-chat-not-found.json': refusal('error-400-chat-not-found.json', { permanent: true }),
    'error-409-conflict-webhook-active.json': refusal('error-409-conflict-webhook-active.json', {
      permanent: false,
    }),
  };

  const files = fs.readdirSync(path.join(FIXTURES_DIR, 'telegram')).filter((f) => f.endsWith('.json'));
  const unclassified = files.filter((f) => !(f in table));
  // A new fixture needs a decision: handle it, or ignore it with a reason.
  expect(unclassified).toEqual([]);
  // Inbound first (the outbound checks use the conversation they create).
  const order = [...files].sort(
    (a, b) => Number(!a.startsWith('update-')) - Number(!b.startsWith('update-')),
  );
  for (const file of order) {
    await (table[file] as Check)();
  }
  await bot.idle();
});

test('updates Switchboard does not use are acknowledged and ignored with a logged reason', async () => {
  await start();
  const user = { id: 700100200, is_bot: false, first_name: 'Ana' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      {
        update_id: 1,
        my_chat_member: {
          chat: { id: 700100200, type: 'private' },
          from: user,
          date: 1,
          old_chat_member: { status: 'member', user },
          new_chat_member: { status: 'kicked', user },
        },
      },
      /membership/,
    ],
    [
      {
        update_id: 2,
        channel_post: { message_id: 1, chat: { id: -100, type: 'channel' }, date: 1, text: 'hi' },
      },
      /broadcast/,
    ],
    [
      {
        update_id: 3,
        message: {
          message_id: 9,
          chat: { id: 5, type: 'private' },
          from: { id: 5, is_bot: true },
          date: 1,
          text: 'x',
        },
      },
      /from a bot/,
    ],
    [
      {
        update_id: 4,
        message: {
          message_id: 10,
          chat: { id: 5, type: 'group' },
          from: user,
          date: 1,
          new_chat_members: [user],
        },
      },
      /service message/,
    ],
  ];
  for (const [update, reason] of cases) {
    expect((await postUpdate(update)).status).toBe(200);
    const line = logs.find((l) => l.msg === 'telegram update ignored' && l.updateId === update.update_id);
    expect(line?.reason).toMatch(reason);
  }
  expect(await bot.store.identities.find('telegram', '700100200')).toBeNull();
});

test('a customer on the web widget and on Telegram is two customers, each conversation complete and in order', async () => {
  await start();
  const visitorId = 'visitor-ana-0001';
  const web = async (text: string, id: string) => {
    const res = await fetch(`${bot.url}/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId, text, clientMessageId: id }),
    });
    expect(res.status).toBe(202);
  };
  const telegram = async (text: string, messageId: number) => {
    const update = fixture<{ update_id: number; message: { message_id: number; text: string } }>(
      'telegram',
      'update-message-text.json',
    );
    update.update_id += messageId;
    update.message.message_id = messageId;
    update.message.text = text;
    expect((await postUpdate(update)).status).toBe(200);
  };
  await web('hello from the web', 'w1');
  await telegram('hello from telegram', 101);
  await web('second on the web', 'w2');
  await telegram('second on telegram', 102);
  await telegram('third on telegram', 103);
  await until(() => tg.deliveries().length >= 4);
  await bot.idle();

  const webIdentity = await bot.store.identities.find('web', visitorId);
  const tgIdentity = await bot.store.identities.find('telegram', '700100200');
  expect(webIdentity && tgIdentity).toBeTruthy();
  expect(webIdentity?.customerId).not.toBe(tgIdentity?.customerId);

  const transcript = async (customerId: string) => {
    const conversation = await bot.store.conversations.findOpen(customerId);
    const messages = await bot.store.messages.list(conversation?.id ?? '');
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    return messages.map((m) => `${m.direction === 'in' ? 'user' : 'bot'}: ${m.text}`);
  };
  expect(await transcript(webIdentity?.customerId ?? '')).toEqual([
    'user: hello from the web',
    "bot: Hi! I'm Switchboard. How can I help?",
    'bot: You said: hello from the web',
    'user: second on the web',
    'bot: You said: second on the web',
  ]);
  expect(await transcript(tgIdentity?.customerId ?? '')).toEqual([
    'user: hello from telegram',
    "bot: Hi! I'm Switchboard. How can I help?",
    'bot: You said: hello from telegram',
    'user: second on telegram',
    'bot: You said: second on telegram',
    'user: third on telegram',
    'bot: You said: third on telegram',
  ]);
  // Telegram got exactly its own conversation's replies, in order; nothing of the web's.
  expect(tg.deliveries().map((c) => c.body.text)).toEqual([
    "Hi! I'm Switchboard. How can I help?",
    'You said: hello from telegram',
    'You said: second on telegram',
    'You said: third on telegram',
  ]);
});
