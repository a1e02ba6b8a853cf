/**
 * The desk's relay does not care which channel the customer is on: the same flow as the
 * web end-to-end test, with the customer on Telegram (updates POSTed to the bot's webhook
 * with the secret header, replies arriving at a fake Bot API) and the operator in the fake
 * Slack. Ask for a person → card with transcript → signed Claim → the operator's thread
 * reply is a Telegram sendMessage → the customer's Telegram answer appears in the thread →
 * a `note:` reply never reaches Telegram → Resolve → rating → the bot answers again.
 */
import { type FakeTelegram, SECRET, startFakeTelegram, TOKEN, type TgCall } from '../channels/fake-telegram';
import { until } from '../channels/slack/harness';
import { ADA, type DeskBot, SUPPORT, slackText, startDeskBot } from './harness';

jest.setTimeout(90_000);

const CHAT_ID = 700_300_400;
let tg: FakeTelegram;
let h: DeskBot;
let updateId = 920_000_000;
let messageId = 500;

beforeAll(async () => {
  tg = await startFakeTelegram();
  h = await startDeskBot({
    env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: tg.url },
  });
});
afterAll(async () => {
  await h?.stop();
  await tg?.close();
});

/** The customer sends a message in Telegram (`text`, or other fields): an update to the webhook, as Telegram sends it. */
async function customerSends(fields: Record<string, unknown>): Promise<void> {
  const from = { id: CHAT_ID, is_bot: false, first_name: 'Tomás', username: 'tomas_tg', language_code: 'en' };
  const res = await fetch(`${h.url}/webhooks/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify({
      update_id: ++updateId,
      message: {
        message_id: ++messageId,
        from,
        chat: { id: CHAT_ID, first_name: 'Tomás', username: 'tomas_tg', type: 'private' },
        date: Math.floor(Date.now() / 1000),
        ...fields,
      },
    }),
  });
  expect(res.status).toBe(200);
}

const customerSays = (text: string) => customerSends({ text });

/** What reached the customer's Telegram chat, in order. */
const sent = (): TgCall[] => tg.deliveries().filter((c) => c.method === 'sendMessage');
const sentTexts = () => sent().map((c) => String(c.body.text ?? ''));

async function telegramGets(pattern: RegExp, ms = 20_000): Promise<TgCall> {
  let found: TgCall | undefined;
  await until(() => {
    found = sent().find((c) => pattern.test(String(c.body.text ?? '')));
    return found !== undefined;
  }, ms);
  return found as TgCall;
}

const threadPosts = (ts: string) => h.fake.messages.filter((m) => m.thread_ts === ts);

test('telegram customer → card → claim → live chat both ways → note stays internal → resolve → bot again', async () => {
  await customerSays('hi');
  await until(() => sent().length > 0, 20_000);
  await customerSays('I want to talk to a person');
  await telegramGets(/connecting you with a colleague/i);
  await telegramGets(/number 1 in line/i);

  const identity = await h.bot.store.identities.find('telegram', String(CHAT_ID));
  if (!identity) throw new Error('no telegram identity');
  const conversation = await h.bot.store.conversations.findOpen(identity.customerId);
  if (!conversation) throw new Error('no conversation');
  const conversationId = conversation.id;
  expect(conversation.status).toBe('queued');

  // The card in the support channel says the customer is on Telegram; the transcript follows.
  await until(() => h.fake.messages.some((m) => m.channel === SUPPORT && !m.thread_ts), 20_000);
  const card = h.fake.messages.find((m) => m.channel === SUPPORT && !m.thread_ts);
  if (!card) throw new Error('no card');
  expect(slackText(card)).toContain(conversationId);
  expect(slackText(card)).toMatch(/\*Channel\*\\ntelegram/);
  expect(slackText(card)).toContain('desk:claim');
  await until(() => threadPosts(card.ts).some((m) => /Transcript/.test(slackText(m))), 20_000);
  const transcript = slackText(threadPosts(card.ts)[0] ?? {});
  expect(transcript).toContain('I want to talk to a person');
  expect(transcript).toContain('connecting you with a colleague');

  // Claim: the customer hears it on Telegram.
  expect((await h.click(ADA, 'desk:claim', conversationId)).status).toBe(200);
  await telegramGets(/Ada has joined/);
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('assigned');

  // The operator's thread reply is a sendMessage to the customer's chat.
  await h.threadReply(ADA, SUPPORT, card.ts, 'Hi, I am Ada. How can I help?');
  const fromAda = await telegramGets(/I am Ada/);
  expect(Number(fromAda.body.chat_id)).toBe(CHAT_ID);
  const stored = (await h.bot.store.messages.list(conversationId)).find((m) => /I am Ada/.test(m.text));
  expect(stored).toMatchObject({ author: 'operator', authorName: 'Ada', channel: 'telegram' });

  // The customer's Telegram answer shows up in the thread; the bot says nothing.
  const botBefore = sent().length;
  await customerSays('My parcel never arrived');
  await until(
    () => threadPosts(card.ts).some((m) => slackText(m).includes('My parcel never arrived')),
    20_000,
  );
  await h.idle();
  expect(sent().length).toBe(botBefore);

  // A photo: kept on Telegram, shown in the thread as a link through this server that opens it.
  tg.addFile('AgACAgQAAxkBAAMrZ0deskPhoto', Buffer.from('jpeg bytes'), 'photos/file_9.jpg', 'image/jpeg');
  await customerSends({
    photo: [{ file_id: 'AgACAgQAAxkBAAMrZ0deskPhoto', file_unique_id: 'u1', width: 800, height: 600 }],
    caption: 'the damaged box',
  });
  let relay = '';
  await until(() => {
    relay =
      threadPosts(card.ts)
        .map(slackText)
        .find((t) => t.includes('the damaged box')) ?? '';
    return relay !== '';
  }, 20_000);
  const link = /<(http:\/\/[^|>]+\/media\/[^|>]+)\|/.exec(relay)?.[1];
  expect(link).toBeDefined();
  const opened = await fetch(link as string);
  expect([opened.status, await opened.text()]).toEqual([200, 'jpeg bytes']);

  // A note stays in Slack; the next reply reaches Telegram.
  await h.threadReply(ADA, SUPPORT, card.ts, 'note: courier lost it, reorder');
  await h.threadReply(ADA, SUPPORT, card.ts, 'I have sent a new one: it arrives tomorrow.');
  await telegramGets(/arrives tomorrow/);
  await h.idle();
  expect(sentTexts().join('\n')).not.toMatch(/courier|reorder/);
  expect((await h.bot.store.messages.list(conversationId)).map((m) => m.text).join('\n')).not.toContain(
    'courier',
  );

  // Resolve: the customer hears it and is asked for a rating (buttons on Telegram).
  await h.click(ADA, 'desk:resolve', conversationId);
  await telegramGets(/Ada has closed the chat/);
  const csat = await telegramGets(/How did Ada do/);
  expect(JSON.stringify(csat.body.reply_markup ?? {})).toMatch(/5/);
  await customerSays('5');
  await telegramGets(/Thank you for the feedback/);
  const events = await h.bot.store.events.list(conversationId);
  expect(events.find((e) => e.type === 'csat')?.data).toMatchObject({
    rating: 5,
    operatorId: ADA,
    channel: 'telegram',
  });
  await until(() => /Resolved\* by Ada/.test(slackText(card)), 20_000);

  // The bot answers the next message again, and nothing more goes to the thread.
  const threadBefore = threadPosts(card.ts).length;
  const heardBefore = sent().length;
  await customerSays('where is my order?');
  await until(() => sent().length > heardBefore, 20_000);
  await h.idle();
  expect((await h.bot.store.conversations.get(conversationId))?.status).toBe('bot');
  const last = (await h.bot.store.messages.list(conversationId)).at(-1);
  expect(last?.author).toBe('bot');
  expect(threadPosts(card.ts).filter((m) => slackText(m).includes('where is my order'))).toEqual([]);
  expect(threadPosts(card.ts).length).toBe(threadBefore);
});
