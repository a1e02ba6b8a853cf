/**
 * Scale mode: two bot processes (here two Bot instances with their own HTTP servers,
 * stores and buses) sharing one PostgreSQL database and one Redis. Messages of one
 * conversation posted to either are handled once each, in order (the conversation lease),
 * and a socket on one sees the replies produced by the other (Redis pub/sub).
 */
import { channels } from '../../adapters';
import { WebSocket } from 'ws';
import { createSwitchboard } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Bot } from '../../src/core/bot';
import type { Context } from '../../src/core/context';
import { tempDir } from '../helpers/bot';
import { describeWithPostgres, freshPostgresSchema, redisUrl } from '../helpers/services';

const describeScale = redisUrl ? describeWithPostgres : describe.skip;

describeScale('two processes sharing PostgreSQL and Redis', () => {
  let drop: () => Promise<void>;
  let bots: Bot<Context>[] = [];

  beforeAll(async () => {
    const schema = await freshPostgresSchema();
    drop = schema.drop;
    bots = [0, 1].map((i) =>
      createSwitchboard(
        loadConfig({
          PORT: '0',
          DATA_DIR: tempDir(),
          BOT_DIR: tempDir(),
          LOG_LEVEL: 'silent',
          DATABASE_URL: schema.url,
          REDIS_URL: redisUrl,
          BOT_NAME: `node-${i}`,
        }),
        { channels, worker: { sweepIntervalMs: 100 } },
      ),
    );
    for (const bot of bots) await bot.start();
  });

  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await drop();
  });

  test('each message is handled once, in order, and pushes reach sockets on either process', async () => {
    const [a, b] = bots as [Bot<Context>, Bot<Context>];
    const visitorId = 'scale-visitor-0001';
    const ws = new WebSocket(`${a.url.replace('http', 'ws')}/web/socket?visitorId=${visitorId}`);
    const pushed: { author: string; text: string }[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'message') pushed.push(frame.message);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const post = (bot: Bot<Context>, text: string) =>
      fetch(`${bot.url}/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorId, text, clientMessageId: text }),
      });
    // First a message only B receives and handles: its replies must reach the socket on A.
    await post(b, 'm00');
    const firstDeadline = Date.now() + 10_000;
    while (pushed.filter((m) => m.author === 'bot').length < 2 && Date.now() < firstDeadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(pushed.map((m) => [m.author, (m as { authorName?: string }).authorName ?? null, m.text])).toEqual([
      ['customer', null, 'm00'],
      ['bot', 'node-1', "Hi! I'm node-1. How can I help?"],
      ['bot', 'node-1', 'You said: m00'],
    ]);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(i % 2 ? a : b, `m${String(i + 1).padStart(2, '0')}`)),
    );
    const deadline = Date.now() + 20_000;
    while (pushed.filter((m) => m.author === 'bot').length < 22 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ws.close();
    const identity = await a.store.identities.find('web', visitorId);
    const conversation = await a.store.conversations.findOpen(identity?.customerId ?? '');
    const messages = await a.store.messages.list(conversation?.id ?? '');
    const questions = messages.filter((m) => m.author === 'customer');
    const answers = messages.filter((m) => m.author === 'bot' && m.text.startsWith('You said'));
    expect(questions).toHaveLength(21);
    expect(answers.map((m) => m.text)).toEqual(questions.map((m) => `You said: ${m.text}`));
    // The socket on A saw every reply, whichever process produced it.
    expect(pushed.filter((m) => m.author === 'bot').length).toBe(22);
  });
});
