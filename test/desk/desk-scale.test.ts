/**
 * Scale mode: two bot processes (two createSwitchboard instances with their own HTTP
 * servers and Slack adapters, pointed at one fake Slack) sharing one PostgreSQL schema and
 * one Redis (the handoff queue and its timers). Two operators click Claim on the same card
 * at the same moment, one click to each process: exactly one gets the conversation, the
 * other is told so (ephemerally, through the click's response_url).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type FakeSlack, startFakeSlack, until } from '../channels/slack/harness';
import { describeWithPostgres, freshPostgresSchema, redisUrl } from '../helpers/services';
import { ADA, type DeskBot, GRACE, SUPPORT, slackText, startDeskBot, webVisitor } from './harness';

jest.setTimeout(120_000);

const describeScale = redisUrl ? describeWithPostgres : describe.skip;

describeScale('two processes, one PostgreSQL and one Redis', () => {
  const prefix = `sb-test-desk:${randomBytes(6).toString('hex')}`;
  let drop: (() => Promise<void>) | undefined;
  let fake: FakeSlack;
  let a: DeskBot;
  let b: DeskBot;

  beforeAll(async () => {
    const schema = await freshPostgresSchema();
    drop = schema.drop;
    fake = await startFakeSlack();
    const start = () =>
      startDeskBot({
        fake,
        env: { DATABASE_URL: schema.url, REDIS_URL: String(redisUrl) },
        create: {
          outbox: { pollIntervalMs: 20, retryBaseMs: 20, maxRetryDelayMs: 100 },
          worker: { sweepIntervalMs: 100 },
          desk: {
            sender: { pollIntervalMs: 20, retryBaseMs: 20, maxRetryDelayMs: 100 },
            timerIntervalMs: 200,
            redisPrefix: prefix,
          },
        },
      });
    // One after the other: the first migrates the schema and trains the shared NLU cache.
    a = await start();
    b = await start();
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fake?.close();
    await drop?.();
    if (redisUrl) {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  test('simultaneous claims from two operators on two processes: one wins, the other is refused', async () => {
    expect(a.desk.queue.constructor.name).toBe('RedisHandoffQueue');
    const customer = await webVisitor(a.url, 'visitor-scale-desk01');
    const { conversationId } = await customer.say('I want to talk to a person');
    await customer.hears(/number 1 in line/i, 30_000);
    await until(() => fake.messages.some((m) => m.channel === SUPPORT && !m.thread_ts), 30_000);
    const card = fake.messages.find((m) => m.channel === SUPPORT && !m.thread_ts);
    if (!card) throw new Error('no card');
    // Both processes see it waiting.
    expect((await b.desk.queue.get(conversationId))?.state).toBe('waiting');

    const [fromAda, fromGrace] = await Promise.all([
      a.click(ADA, 'desk:claim', conversationId),
      b.click(GRACE, 'desk:claim', conversationId),
    ]);
    expect(fromAda.status).toBe(200);
    expect(fromGrace.status).toBe(200);

    await customer.hears(/has joined/, 30_000);
    const entry = await a.desk.queue.get(conversationId);
    expect(entry?.state).toBe('claimed');
    const winner = entry?.operatorId as string;
    expect([ADA, GRACE]).toContain(winner);
    const [winnerName, loserName, loser] = winner === ADA ? ['Ada', 'Grace', GRACE] : ['Grace', 'Ada', ADA];
    expect((await b.desk.queue.get(conversationId))?.operatorId).toBe(winner);
    expect((await a.bot.store.conversations.get(conversationId))?.status).toBe('assigned');
    expect((await b.bot.store.conversations.get(conversationId))?.handoff).toMatchObject({
      operatorId: winner,
      operatorName: winnerName,
    });
    expect((await a.desk.queue.operator(loser))?.active ?? 0).toBe(0);

    // The loser is told, ephemerally, through their click's response_url.
    await until(() => fake.calls.some((c) => c.path.startsWith('/response/')), 30_000);
    const refusals = fake.calls.filter((c) => c.path.startsWith('/response/'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.args).toMatchObject({
      response_type: 'ephemeral',
      text: `${winnerName} already claimed it.`,
    });

    await a.idle();
    await b.idle();
    await until(
      () =>
        fake.messages.some((m) => m.thread_ts === card.ts && /claimed this conversation/.test(slackText(m))),
      30_000,
    );
    // Exactly one claim everywhere: one event, one "joined" to the customer, one notice.
    const events = await a.bot.store.events.list(conversationId);
    expect(events.filter((e) => e.type === 'handoff_claimed')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ operatorId: winner }) }),
    ]);
    const joined = (await a.bot.store.messages.list(conversationId)).filter((m) => /has joined/.test(m.text));
    expect(joined.map((m) => m.text)).toEqual([`${winnerName} has joined the conversation.`]);
    expect(customer.heard.filter((m) => /has joined/.test(m.text))).toHaveLength(1);
    expect(customer.heard.some((m) => m.text.includes(loserName))).toBe(false);
    const notices = fake.messages.filter(
      (m) => m.thread_ts === card.ts && /claimed this conversation/.test(slackText(m)),
    );
    expect(notices).toHaveLength(1);
    expect(slackText(notices[0] ?? {})).toContain(`<@${winner}>`);
    await until(() => slackText(card).includes(`Claimed* by <@${winner}>`), 30_000);

    // The winner's thread reply, received by the other process, reaches the customer.
    await b.threadReply(winner, SUPPORT, card.ts, 'Hello from the winner');
    await customer.hears(/Hello from the winner/, 30_000);
    // The loser's reply is refused (not sent to the customer).
    await a.threadReply(loser, SUPPORT, card.ts, 'I wanted this one');
    await until(() => fake.calls.some((c) => c.method === 'chat.postEphemeral'), 30_000);
    await a.idle();
    await b.idle();
    expect((await a.bot.store.messages.list(conversationId)).map((m) => m.text)).not.toContain(
      'I wanted this one',
    );
    customer.close();
  });
});
