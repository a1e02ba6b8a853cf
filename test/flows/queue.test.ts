/**
 * A conversation waiting for a person (`queued`) is not a dead end: "cancel" gives it back to the
 * bot (and records a `handoff_cancelled` event), other messages get a quiet reminder; once a person
 * has it (`assigned`) the bot says nothing at all.
 */
import { channels } from '../../adapters';
import path from 'node:path';
import { createSwitchboard, type SwitchboardBot } from '../../src/app';
import { loadConfig } from '../../src/config';
import pino from 'pino';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');
let bot: SwitchboardBot;
/** The texts that got past the built-ins and the desk (which relays queued/assigned ones to the operator). */
const pastTheDesk: { text: string | undefined; status: string }[] = [];
/** Every log record, at debug and above. */
const logged: { level: number; msg: string; type?: string; reason?: unknown }[] = [];

beforeAll(async () => {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('sb-queue-'),
    BOT_DIR: root,
    LOG_LEVEL: 'silent',
  });
  bot = createSwitchboard(config, {
    channels,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    nluCacheDir: tempDir('sb-nlu-'),
    outbox: { pollIntervalMs: 1000 },
    // Operators work the queue without Slack here: handoffs are queued.
    desk: { staffed: true },
    setup: (b) =>
      b.use(async (ctx, next) => {
        pastTheDesk.push({ text: ctx.text, status: ctx.conversation.status });
        await next();
      }),
  });
  await bot.start();
}, 60_000);

afterAll(async () => {
  await bot?.stop();
});

async function send(visitorId: string, text: string): Promise<{ replies: string[]; conversationId: string }> {
  const accepted = await bot.inbox.accept({
    channel: 'web',
    sender: { externalId: visitorId },
    address: { visitorId },
    content: { type: 'text', text },
  });
  await bot.idle();
  const messages = await bot.store.messages.list(accepted.conversation.id, {
    afterSeq: accepted.message.seq,
  });
  return {
    conversationId: accepted.conversation.id,
    replies: messages.flatMap((m) =>
      m.direction === 'out' && m.content.type === 'text' ? [m.content.text] : [],
    ),
  };
}

test('cancel while queued: back to the bot, handoff cleared, an event recorded', async () => {
  const { conversationId } = await send('queue-1', 'I want to speak to a human');
  expect((await bot.store.conversations.get(conversationId))?.status).toBe('queued');
  const { replies } = await send('queue-1', 'never mind');
  expect(replies).toEqual([expect.stringContaining("you've left the queue")]);
  const conversation = await bot.store.conversations.get(conversationId);
  expect(conversation).toMatchObject({ status: 'bot', handoff: null, flow: null });
  const events = await bot.store.events.list(conversationId);
  expect(events.map((e) => [e.type, e.data])).toEqual([
    // The desk (the sample bot has a handoff.yml) queued it…
    ['handoff_requested', expect.objectContaining({ source: 'flow', team: 'support' })],
    ['handoff_cancelled', expect.objectContaining({ by: 'customer', team: 'support' })],
  ]);
  // The event's data can hold the customer's words (the handoff reason): at info only the event's
  // type; the data at debug, which an operator turns on deliberately.
  const cancelled = logged.filter((l) => l.type === 'handoff_cancelled');
  expect(cancelled.filter((l) => l.level >= 30)).toEqual([
    expect.not.objectContaining({ reason: expect.anything() }),
  ]);
  expect(cancelled.filter((l) => l.level < 30)).toEqual([
    expect.objectContaining({ reason: events[1]?.data.reason }),
  ]);
}, 30_000);

test('the reminder while queued is not on every message', async () => {
  await send('queue-2', 'I want to speak to a human');
  const said: number[] = [];
  for (let i = 0; i < 8; i++) said.push((await send('queue-2', `hello? (${i})`)).replies.length);
  expect(said).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
}, 30_000);

test('assigned to a person: the bot is silent, even for cancel', async () => {
  const { conversationId } = await send('queue-3', 'I want to speak to a human');
  await bot.store.conversations.update(conversationId, { status: 'assigned' });
  for (const text of ['cancel', 'where is my order?', 'hello?']) {
    expect((await send('queue-3', text)).replies).toEqual([]);
  }
  expect((await bot.store.conversations.get(conversationId))?.status).toBe('assigned');
}, 30_000);

test('STOP while queued: the opt-out is recorded and confirmed, the customer keeps their place, the operator gets it', async () => {
  const { conversationId } = await send('queue-4', 'I want to speak to a human');
  const customerId = (await bot.store.conversations.get(conversationId))?.customerId as string;
  pastTheDesk.length = 0;
  const { replies } = await send('queue-4', 'STOP');
  expect(replies).toEqual([expect.stringContaining("we won't send you messages any more")]);
  // Still waiting, in the queue.
  const conversation = await bot.store.conversations.get(conversationId);
  expect(conversation).toMatchObject({
    status: 'queued',
    handoff: expect.objectContaining({ team: 'support' }),
  });
  expect(await bot.desk?.queue.get(conversationId)).toMatchObject({ state: 'waiting', team: 'support' });
  expect((await bot.store.customers.get(customerId))?.attributes).toMatchObject({
    optedOut: true,
    optedOutVia: 'web',
  });
  const events = (await bot.store.events.list(conversationId)).map((e) => e.type);
  expect(events).toContain('opted_out');
  expect(events).not.toContain('handoff_cancelled');
  // It went on past the desk's middleware, which relays a queued conversation's messages.
  expect(pastTheDesk).toEqual([{ text: 'STOP', status: 'queued' }]);

  // "cancel" still leaves the queue; START (now opted out) opts back in, also without leaving.
  const back = await send('queue-4', 'start');
  expect(back.replies).toEqual([expect.stringContaining('Welcome back')]);
  expect((await bot.store.conversations.get(conversationId))?.status).toBe('queued');
  expect((await bot.store.customers.get(customerId))?.attributes.optedOut).toBe(false);
  expect((await send('queue-4', 'cancel')).replies).toEqual([
    expect.stringContaining("you've left the queue"),
  ]);
}, 30_000);

test('STOP while a person has it: recorded and confirmed, still with the person', async () => {
  const { conversationId } = await send('queue-5', 'I want to speak to a human');
  await bot.store.conversations.update(conversationId, { status: 'assigned' });
  const { replies } = await send('queue-5', 'unsubscribe');
  expect(replies).toEqual([expect.stringContaining("we won't send you messages any more")]);
  expect((await bot.store.conversations.get(conversationId))?.status).toBe('assigned');
  const events = (await bot.store.events.list(conversationId)).map((e) => e.type);
  expect(events).toContain('opted_out');
  expect(events).not.toContain('handoff_cancelled');
}, 30_000);
