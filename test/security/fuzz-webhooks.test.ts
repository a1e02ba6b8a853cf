/**
 * Mutated, correctly signed payloads on every webhook (Telegram, Messenger, WhatsApp,
 * Slack events / interactivity / commands, Bot Framework, the web channel's POST) never
 * get a 5xx or crash the process, and every channel still answers a normal message
 * afterwards. fast-check with a fixed seed; `FUZZ_RUNS` sets the count (default 400 in CI).
 *
 * The 5,000-request run with memory figures:
 *   FUZZ_RUNS=5000 node --expose-gc node_modules/.bin/jest test/security/fuzz-webhooks.test.ts
 */
import fc from 'fast-check';
import { until } from '../channels/meta-harness';
import { type AllChannels, type Case, caseArb, send, seed, startAllChannels, wire } from './webhooks';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
jest.setTimeout(Math.max(180_000, RUNS * 200));

let all: AllChannels;
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

beforeAll(async () => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  all = await startAllChannels();
});
afterAll(async () => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  await all?.stop();
});

const heapMb = () => {
  (global as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

test('the payloads the probe answered 500 are acknowledged (200), counted and store nothing', async () => {
  const counted = async () =>
    (await all.h.bot.metrics.malformedInbound.get()).values.reduce((sum, v) => sum + v.value, 0);
  const post = async (endpoint: Parameters<typeof wire>[0], body: unknown) => {
    const request = wire(endpoint, body);
    const res = await fetch(`${all.h.url}${request.path}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    await res.arrayBuffer();
    return res.status;
  };
  const url = all.connector.url;
  const cases: [Parameters<typeof wire>[0], (body: ReturnType<typeof seed>) => void][] = [
    ['telegram', (b) => delete b.message.chat],
    ['telegram', (b) => (b.message.message_id = { $ne: 1 })],
    ['telegram', (b) => (b.message.from.id = [1, 2])],
    ['slack-events', (b) => (b.event = null)],
    ['slack-events', (b) => (b.event.channel = 123)],
    ['whatsapp', (b) => (b.entry[0].changes[0].value.contacts = {})],
    ['whatsapp', (b) => (b.entry[0].changes[0].value.messages[0].id = { id: 'x' })],
    ['messenger', (b) => (b.entry[0].messaging = [null])],
    ['messenger', (b) => (b.entry[0].messaging[0].message.attachments = { type: 'image' })],
    ['messenger', (b) => (b.entry[0].messaging[0].message.mid = ['m1'])],
    ['botframework', (b) => (b.conversation = { id: { nested: true } })],
    // Found by 5,000–20,000 runs: bolt keys client pools by workspace id in a plain object,
    // dispatches any envelope's `event`, and reads `channel.id` / `view` when not undefined.
    ['slack-commands', (b) => (b.team_id = '__proto__')],
    [
      'slack-events',
      (b) => {
        b.type = 'app_rate_limited';
        b.event.text = ['hi'];
      },
    ],
    ['slack-interactivity', (b) => (b.channel = null)],
    ['slack-interactivity', (b) => (b.team = { id: 'constructor' })],
    ['slack-events', (b) => (b.event.user = null)],
  ];
  const before = await counted();
  let n = 8_000_000;
  for (const [endpoint, breakIt] of cases) {
    const body = seed(endpoint, ++n, url);
    breakIt(body);
    expect([endpoint, await post(endpoint, body)]).toEqual([endpoint, 200]);
  }
  expect(await counted()).toBe(before + cases.length);
  expect(await all.h.bot.store.identities.find('telegram', '700100200')).toBeNull();

  // A body announced as gzip that is not: the client's mistake, 400.
  const gz = wire('telegram', seed('telegram', ++n, url));
  const res = await fetch(`${all.h.url}${gz.path}`, {
    method: 'POST',
    headers: { ...gz.headers, 'content-encoding': 'gzip' },
    body: gz.body,
  });
  expect(res.status).toBe(400);

  // Concurrent updates reusing one message_id (another sender each): one stored, no 500.
  const reused = await Promise.all(
    [1, 2, 3, 4].map((i) => {
      const update = seed('telegram', 8_100_000 + i, url);
      update.message.message_id = 424_242;
      update.message.from.id = 700_500_000 + i;
      return post('telegram', update);
    }),
  );
  expect(reused).toEqual([200, 200, 200, 200]);

  // A verified click whose response_url answer fails is still a handled click.
  all.connector.respond((call) =>
    call.path.startsWith('/response/') ? { status: 500, body: 'down' } : { status: 200, body: { id: 'r' } },
  );
  try {
    const click = await all.h.click('U0NOTANOPERATOR', 'desk:claim', 'cnv_does_not_exist', {
      response_url: `${url}/response/failing`,
    });
    expect(click.status).toBe(200);
    await until(() => all.connector.calls.some((c) => c.path === '/response/failing'));
  } finally {
    all.connector.respond((call) => ({ status: 200, body: { id: `reply-${call.at}` } }));
  }
});

test(`${RUNS} signed mutated requests: no 5xx, no crash; every channel answers afterwards`, async () => {
  const statuses = new Map<string, number>();
  const serverErrors: { c: Case; status: number }[] = [];
  let n = 0;
  // Warm-up (NLU, first connections), then the memory baseline.
  await send(
    all.h.url,
    { endpoint: 'web', variant: 0, mutations: [], encoding: 'plain' },
    0,
    all.connector.url,
  );
  await all.h.idle();
  const before = heapMb();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const status = await send(all.h.url, c, ++n, all.connector.url);
      const key = `${c.endpoint} ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (status >= 500) serverErrors.push({ c, status });
      return status < 500;
    }),
    { seed: 20261202, numRuns: RUNS, endOnFailure: true },
  );
  await all.h.idle();
  const seconds = (Date.now() - started) / 1000;
  // Drop what the fakes recorded (test memory, not the bot's) before measuring again.
  all.tg.calls.length = 0;
  all.graph.calls.length = 0;
  all.connector.calls.length = 0;
  all.h.fake.calls.length = 0;
  const after = heapMb();
  const malformed = await all.h.bot.metrics.malformedInbound.get();
  const counted = malformed.values.reduce((sum, v) => sum + v.value, 0);
  console.log(
    [
      `fuzz: ${n} signed mutated requests in ${seconds.toFixed(1)} s, ${serverErrors.length} 5xx, ${crashes.length} crashes`,
      `malformed payloads acknowledged and counted: ${counted}`,
      `heap: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after${(global as { gc?: unknown }).gc ? ' (after gc)' : ' (no --expose-gc: not comparable)'}`,
      ...[...statuses.entries()].sort().map(([k, v]) => `  ${k}: ${v}`),
    ].join('\n'),
  );
  expect(serverErrors).toEqual([]);
  expect(crashes).toEqual([]);
  if (RUNS >= 100) expect(counted).toBeGreaterThan(0);

  // A normal message on every customer channel is still answered.
  const m = 9_000_000;
  const post = async (endpoint: Parameters<typeof wire>[0], body: unknown) => {
    const request = wire(endpoint, body);
    const res = await fetch(`${all.h.url}${request.path}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(res.status).toBeLessThan(300);
  };
  const tgBefore = all.tg.deliveries().length;
  const tgUpdate = seed('telegram', m, all.connector.url);
  tgUpdate.message.chat.id = 700_999_001;
  tgUpdate.message.from.id = 700_999_001;
  await post('telegram', tgUpdate);
  const messenger = seed('messenger', m, all.connector.url);
  messenger.entry[0].messaging[0].sender.id = '6100000000999001';
  await post('messenger', messenger);
  const whatsapp = seed('whatsapp', m, all.connector.url);
  whatsapp.entry[0].changes[0].value.messages[0].from = '16505559001';
  whatsapp.entry[0].changes[0].value.contacts[0].wa_id = '16505559001';
  await post('whatsapp', whatsapp);
  const activity = seed('botframework', m, all.connector.url);
  activity.from.id = 'fuzz-after-user';
  activity.conversation.id = 'fuzz-after-conversation';
  await post('botframework', activity);
  await post('web', seed('web', m, all.connector.url));
  const slackDm = seed('slack-events', m, all.connector.url);
  slackDm.event.user = 'U0AFTER001';
  slackDm.event.channel = 'D0AFTER001';
  await post('slack-events', slackDm);

  const sentTo = (calls: { json: unknown }[], key: string, value: string) =>
    calls.some(
      (c) =>
        JSON.stringify(c.json ?? {}).includes(`"${key}":"${value}"`) ||
        JSON.stringify(c.json ?? {}).includes(`"${key}":{"id":"${value}"}`),
    );
  await until(
    () =>
      all.tg.deliveries().length > tgBefore &&
      all.tg.deliveries().some((c) => c.body?.chat_id === 700_999_001),
    30_000,
  );
  await until(() => sentTo(all.graph.calls, 'recipient', '6100000000999001'), 30_000);
  await until(() => sentTo(all.graph.calls, 'to', '16505559001'), 30_000);
  await until(
    () => all.connector.calls.some((c) => c.path.includes('fuzz-after-conversation') && c.method === 'POST'),
    30_000,
  );
  await until(
    () => all.h.fake.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'D0AFTER001'),
    30_000,
  );
  await until(async () => {
    const res = await fetch(`${all.h.url}/web/messages?visitorId=visitor-fuzz${String(m).padStart(6, '0')}`);
    const page = (await res.json()) as { messages: { author: string }[] };
    return page.messages.some((msg) => msg.author === 'bot');
  }, 30_000);
});
