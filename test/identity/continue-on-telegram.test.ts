/**
 * One customer across channels, end to end: the sample bot on 127.0.0.1, the web channel's
 * HTTP API, Telegram updates POSTed to the webhook as Telegram sends them and replies
 * arriving at a fake Bot API (telegraf pointed at it).
 */
import path from 'node:path';
import { issueLinkCode, linkCustomers, requestOneTimeCode, unlinkCustomers } from '../../src/identity';
import type { Message } from '../../src/model';
import { type FakeTelegram, SECRET, TOKEN, startFakeTelegram, until } from '../channels/fake-telegram';
import { type TestBot, startTestBot } from '../helpers/bot';

let tg: FakeTelegram;
let sb: TestBot;
let updateId = 920000000;
let messageId = 500;

beforeAll(async () => {
  tg = await startFakeTelegram();
  sb = await startTestBot({
    env: {
      BOT_DIR: path.resolve(__dirname, '../..'),
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: tg.url,
      LINK_MAX_ATTEMPTS: '3',
    },
  });
});

afterAll(async () => {
  await sb?.stop();
  await tg?.close();
});

async function web(visitorId: string, text: string): Promise<{ conversationId: string }> {
  const res = await fetch(`${sb.baseUrl}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, text }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { conversationId: string };
}

async function webHistory(visitorId: string): Promise<{ author: string; channel: string; text: string }[]> {
  const res = await fetch(`${sb.baseUrl}/web/messages?visitorId=${visitorId}`);
  return ((await res.json()) as { messages: { author: string; channel: string; text: string }[] }).messages;
}

/** A Telegram text message from user `userId`, as Telegram POSTs it; resolves once stored. */
async function telegram(userId: number, text: string): Promise<string> {
  const body = JSON.stringify({
    update_id: ++updateId,
    message: {
      message_id: ++messageId,
      from: { id: userId, is_bot: false, first_name: 'Ana', language_code: 'en' },
      chat: { id: userId, first_name: 'Ana', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(text.startsWith('/') && {
        entities: [{ type: 'bot_command', offset: 0, length: text.indexOf(' ') }],
      }),
    },
  });
  await redeliver(body);
  return body;
}

/** Telegram POSTing an update (again). */
async function redeliver(body: string): Promise<void> {
  const res = await fetch(`${sb.baseUrl}/webhooks/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body,
  });
  expect(res.status).toBe(200);
}

/** Texts the bot sent to a Telegram chat, in order. */
const sentTo = (chatId: number) =>
  tg
    .deliveries()
    .filter((c) => c.method === 'sendMessage' && c.body.chat_id === chatId)
    .map((c) => String(c.body.text));

/** The texts of the bot's answers, once the bot is idle. */
async function settled(): Promise<void> {
  await sb.bot.idle();
}

async function linkFor(visitorId: string): Promise<{ url: string; code: string }> {
  await web(visitorId, 'continue on telegram');
  let offer: { text: string } | undefined;
  await until(async () => {
    offer = (await webHistory(visitorId))
      .filter((m) => m.author === 'bot')
      .find((m) => m.text.includes('t.me/'));
    return offer !== undefined;
  });
  const url = /https:\/\/t\.me\/\S+/.exec(offer?.text ?? '')?.[0] ?? '';
  const code = /start=(LINK-[0-9A-Z]{5}-[0-9A-Z]{5})/.exec(url)?.[1] ?? '';
  return { url, code };
}

test('web → "continue on telegram" → /start CODE: the same conversation continues mid-flow on Telegram', async () => {
  const visitor = 'visitor-e2e-0001';
  const { conversationId } = await web(visitor, 'where is my order?');
  await until(async () =>
    (await webHistory(visitor)).some((m) => m.text.includes("What's your order number?")),
  );

  const { url, code } = await linkFor(visitor);
  expect(url).toBe(`https://t.me/acme_support_bot?start=${code}`);
  await settled();
  // The request for a link did not disturb the flow: it is still waiting for the order number.
  const waiting = await sb.bot.store.conversations.get(conversationId);
  expect(waiting?.flow).toMatchObject({ flowId: 'order_status', step: 'ask_order' });

  const user = 700100201;
  await telegram(user, `/start ${code}`);
  await until(() => sentTo(user).length >= 2);
  await settled();
  expect(sentTo(user)).toEqual([
    "You're connected: let's continue here.",
    "Sure, I can check that. What's your order number? It looks like ORD-10001.",
  ]);

  await telegram(user, 'ORD-10001');
  await until(() => sentTo(user).length >= 4);
  await settled();
  expect(sentTo(user).slice(2)).toEqual([
    'Let me check order ORD-10001…',
    expect.stringMatching(/^Good news: ORD-10001 is on its way with DHL/),
  ]);

  // One customer, one conversation, both channels in its transcript.
  const identity = await sb.bot.store.identities.find('telegram', String(user));
  const webIdentity = await sb.bot.store.identities.find('web', visitor);
  expect(identity).toMatchObject({
    customerId: webIdentity?.customerId,
    linkedBy: 'link_code',
    linkedByWhom: 'customer',
  });
  const open = await sb.bot.store.conversations.findOpen(webIdentity?.customerId ?? '');
  expect(open).toMatchObject({ id: conversationId, lastChannel: 'telegram', lastIdentityId: identity?.id });
  const transcript = (await sb.bot.store.messages.list(conversationId)).map((m: Message) => [
    m.direction,
    m.channel,
    m.text.slice(0, 30),
  ]);
  expect(transcript).toEqual([
    ['in', 'web', 'where is my order?'],
    ['out', 'web', "Sure, I can check that. What's"],
    ['in', 'web', 'continue on telegram'],
    ['out', 'web', expect.stringMatching(/^To continue on Telegram/)],
    ['in', 'telegram', `/start ${code}`.slice(0, 30)],
    ['out', 'telegram', "You're connected: let's contin"],
    ['out', 'telegram', "Sure, I can check that. What's"],
    ['in', 'telegram', 'ORD-10001'],
    ['out', 'telegram', 'Let me check order ORD-10001…'],
    ['out', 'telegram', expect.stringMatching(/^Good news: ORD-10001/)],
  ]);
  // The web widget shows the whole conversation too.
  expect((await webHistory(visitor)).map((m) => m.channel)).toEqual(transcript.map((t) => t[1]));
  const events = await sb.bot.store.events.list(conversationId);
  expect(events.filter((e) => e.type === 'identity_linked')).toEqual([
    expect.objectContaining({
      data: expect.objectContaining({
        method: 'link_code',
        byWhom: 'customer',
        identityId: identity?.id,
        channel: 'telegram',
      }),
    }),
  ]);

  // Replies from outside a turn (an operator, a notice) go to the channel used last.
  const before = sentTo(user).length;
  await sb.bot.send(conversationId, 'Your parcel is out for delivery.');
  await until(() => sentTo(user).length > before);
  expect(sentTo(user).at(-1)).toBe('Your parcel is out for delivery.');

  // The same /start delivered again by Telegram links nothing twice and answers once.
  const code2 = (await linkFor('visitor-e2e-0002')).code;
  const user2 = 700100202;
  await redeliver(await telegram(user2, `/start ${code2}`));
  await until(() => sentTo(user2).length >= 1);
  await settled();
  expect(sentTo(user2)).toEqual(["You're connected: this chat continues our conversation. How can I help?"]);
  const customer2 = (await sb.bot.store.identities.find('web', 'visitor-e2e-0002'))?.customerId ?? '';
  expect(await sb.bot.store.links.listByCustomer(customer2)).toHaveLength(1);
});

test('a wrong, expired or reused code links nothing and says so; too many wrong codes and it must wait', async () => {
  const visitor = 'visitor-e2e-0003';
  await web(visitor, 'hello');
  const { code } = await linkFor(visitor);
  const owner = (await sb.bot.store.identities.find('web', visitor))?.customerId ?? '';

  // Used by one Telegram user, then presented by another.
  await telegram(700100301, `/start ${code}`);
  const intruder = 700100302;
  await telegram(intruder, `/start ${code}`);
  await until(() => sentTo(intruder).length >= 1);
  // Never issued.
  await telegram(intruder, '/start LINK-ABCDE-FGHJK');
  await until(() => sentTo(intruder).length >= 2);
  // Expired.
  const expired = await issueLinkCode(sb.bot.store, { customerId: owner, ttlMs: 0 });
  await telegram(intruder, `/start ${expired.code}`);
  await until(() => sentTo(intruder).length >= 3);
  // Three failures: now even a valid code is refused until the window passes.
  const valid = await issueLinkCode(sb.bot.store, { customerId: owner });
  await telegram(intruder, `/start ${valid.code}`);
  await until(() => sentTo(intruder).length >= 4);
  await settled();

  expect(sentTo(intruder)).toEqual([
    expect.stringMatching(/^That link has already been used, so nothing was connected\./),
    expect.stringMatching(/^I don't recognise that code, so nothing was connected\./),
    expect.stringMatching(/^That link has expired \(links work for 15 minutes\), so nothing was connected\./),
    "That's too many codes that didn't work. Please wait 15 minutes and try again.",
  ]);
  const intruderIdentity = await sb.bot.store.identities.find('telegram', String(intruder));
  expect(intruderIdentity).toMatchObject({ linkedBy: 'first_contact' });
  expect(intruderIdentity?.customerId).not.toBe(owner);
  expect((await sb.bot.store.identities.listByCustomer(owner)).map((i) => i.channel).sort()).toEqual([
    'telegram',
    'web',
  ]);
  expect(await sb.bot.store.links.listByCustomer(intruderIdentity?.customerId ?? '')).toEqual([]);
  // The codes never reached the flows: each got exactly one answer, the linking one.
  const conversation = await sb.bot.store.conversations.findOpen(intruderIdentity?.customerId ?? '');
  const rejected = await sb.bot.store.events.list(conversation?.id ?? '');
  expect(rejected.filter((e) => e.type === 'link_code_rejected').map((e) => e.data.reason)).toEqual([
    'used',
    'unknown',
    'expired',
    'rate_limited',
  ]);
});

test('an operator merge joins two customers with their conversations; unmerge gives each back its own', async () => {
  const visitor = 'visitor-e2e-0004';
  const { conversationId: webConversation } = await web(visitor, 'where is my order?');
  const user = 700100401;
  await telegram(user, 'hello');
  await until(() => sentTo(user).length >= 1);
  await settled();
  const webCustomer = (await sb.bot.store.identities.find('web', visitor))?.customerId ?? '';
  const tgCustomer = (await sb.bot.store.identities.find('telegram', String(user)))?.customerId ?? '';
  const tgConversation = (await sb.bot.store.conversations.findOpen(tgCustomer))?.id ?? '';
  const before = {
    web: await sb.bot.store.messages.list(webConversation),
    tg: await sb.bot.store.messages.list(tgConversation),
    webIdentities: await sb.bot.store.identities.listByCustomer(webCustomer),
    tgIdentities: await sb.bot.store.identities.listByCustomer(tgCustomer),
  };

  const link = await linkCustomers(sb.bot.store, {
    from: tgCustomer,
    into: webCustomer,
    by: 'operator_merge',
    byWhom: 'U024BE7LH',
  });
  expect(link).toMatchObject({
    method: 'operator_merge',
    byWhom: 'U024BE7LH',
    conversationId: webConversation,
  });
  expect((await sb.bot.store.messages.list(webConversation)).map((m) => m.channel)).toEqual([
    ...before.web.map(() => 'web'),
    ...before.tg.map(() => 'telegram'),
  ]);
  expect((await sb.bot.store.events.list(webConversation)).map((e) => e.type)).toContain('identity_linked');

  await unlinkCustomers(sb.bot.store, { linkId: link.id, byWhom: 'U024BE7LH' });
  expect(await sb.bot.store.messages.list(webConversation)).toEqual(before.web);
  expect(await sb.bot.store.messages.list(tgConversation)).toEqual(before.tg);
  expect(await sb.bot.store.identities.listByCustomer(webCustomer)).toEqual(before.webIdentities);
  expect(await sb.bot.store.identities.listByCustomer(tgCustomer)).toEqual(before.tgIdentities);
  expect((await sb.bot.store.conversations.findOpen(tgCustomer))?.id).toBe(tgConversation);
  expect((await sb.bot.store.events.list(tgConversation)).map((e) => e.type)).toEqual([
    'identity_linked',
    'identity_unlinked',
  ]);
  // And the Telegram user's next message goes to their own conversation again.
  await telegram(user, 'hello again');
  await settled();
  expect((await sb.bot.store.messages.list(tgConversation)).at(-1)?.direction).toBe('out');
  expect((await sb.bot.store.messages.list(webConversation)).map((m) => m.text)).toEqual(
    before.web.map((m) => m.text),
  );
});

test('a one-time code sent to the email on file links the identity that typed it', async () => {
  const visitor = 'visitor-e2e-0005';
  await web(visitor, 'hello');
  const owner = (await sb.bot.store.identities.find('web', visitor))?.customerId ?? '';
  await sb.bot.store.customers.update(owner, { profile: { email: 'ana.silva@example.com' } });
  const user = 700100501;
  await telegram(user, 'hi');
  await until(() => sentTo(user).length >= 1);
  await settled();
  const identity = await sb.bot.store.identities.find('telegram', String(user));
  const ownConversation = (await sb.bot.store.conversations.findOpen(identity?.customerId ?? ''))?.id ?? '';
  const sent: { to: unknown; code: string }[] = [];
  const sender = async (message: { to: unknown; code: string }) => {
    sent.push(message);
  };

  // Only to a contact on file.
  await expect(
    requestOneTimeCode(sb.bot.store, sender, {
      identityId: identity?.id ?? '',
      customerId: owner,
      to: { email: 'someone.else@example.com' },
    }),
  ).rejects.toMatchObject({ code: 'SB_NOT_FOUND' });
  const { destination } = await requestOneTimeCode(sb.bot.store, sender, {
    identityId: identity?.id ?? '',
    customerId: owner,
    to: { email: 'Ana.Silva@example.com' },
  });
  expect(destination).toBe('A***@example.com');
  expect(sent).toHaveLength(1);
  const code = sent[0]?.code ?? '';
  const wrong = code === '000000' ? '000001' : '000000';

  const count = sentTo(user).length;
  await telegram(user, wrong);
  await until(() => sentTo(user).length >= count + 1);
  await telegram(user, code);
  await until(() => sentTo(user).length >= count + 2);
  await settled();
  expect(sentTo(user).slice(count)).toEqual([
    "That code isn't right. Please check it and type it again.",
    "You're connected: this chat continues our conversation. How can I help?",
  ]);
  expect(await sb.bot.store.identities.find('telegram', String(user))).toMatchObject({
    customerId: owner,
    linkedBy: 'one_time_code',
  });
  // The Telegram chat so far (with the wrong code) was appended to the customer's conversation.
  const open = (await sb.bot.store.conversations.findOpen(owner))?.id ?? '';
  expect((await sb.bot.store.messages.list(open)).map((m) => m.text)).toEqual(
    expect.arrayContaining(['hi', wrong, code]),
  );
  expect((await sb.bot.store.events.list(ownConversation)).map((e) => [e.type, e.data.reason])).toEqual([
    ['link_code_rejected', 'unknown'],
    ['identity_linked', undefined],
  ]);
  // Six digits with no code awaited are just a message: they reach the flows.
  await telegram(user, '123456');
  await until(() => sentTo(user).length >= count + 3);
  await settled();
  expect(sentTo(user).at(-1)).not.toMatch(/code|connected/);
});
