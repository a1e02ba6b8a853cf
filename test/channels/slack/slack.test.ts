/**
 * The Slack channel end to end: signed requests into the real server, the bolt app
 * behind the receiver, replies at a fake Slack Web API on 127.0.0.1.
 */
import { SlackAdapter } from '../../../adapters/slack';
import { loadConfig } from '../../../src/config';
import { Bot } from '../../../src/core/bot';
import { startTestBot, tempDir } from '../../helpers/bot';
import {
  fixture,
  SECRET,
  type SlackBot,
  slackHeaders,
  startFakeSlack,
  startSlackBot,
  until,
} from './harness';

let t: SlackBot;

afterEach(async () => {
  await t?.stop();
  t = undefined as unknown as SlackBot;
});

type PostArgs = { channel?: string; text?: string; thread_ts?: string; blocks?: Record<string, unknown>[] };
const args = (i: number) => (t.fake.posts()[i]?.args ?? {}) as PostArgs;

async function conversationEvents(externalId: string) {
  const identity = await t.bot.store.identities.find('slack', externalId);
  const conversation = await t.bot.store.conversations.findOpen(identity?.customerId ?? '');
  return t.bot.store.events.list(conversation?.id ?? '');
}

test('a DM is stored and answered in the DM (no thread), as the bot token, with escaped mrkdwn', async () => {
  t = await startSlackBot();
  const dm = fixture<{ event: Record<string, unknown> }>('event-message-im.json');
  dm.event.text = 'is 2 < 3 &amp; 5 &gt; 4?';
  const res = await t.event(dm);
  expect(res.status).toBe(200);
  await until(() => t.fake.posts().length >= 1);
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(1);
  const post = t.fake.posts()[0];
  expect(post?.headers.authorization).toBe('Bearer xoxb-test-token');
  expect(args(0)).toMatchObject({ channel: 'D0DMCHAN01', text: 'You said: is 2 &lt; 3 &amp; 5 &gt; 4?' });
  expect(args(0).thread_ts).toBeUndefined();
  const identity = await t.bot.store.identities.find('slack', 'T0ACME001:U0CUST0001');
  expect(identity?.address).toEqual({ channel: 'D0DMCHAN01', team: 'T0ACME001' });
  const conversation = await t.bot.store.conversations.findOpen(identity?.customerId ?? '');
  const messages = await t.bot.store.messages.list(conversation?.id ?? '');
  expect(messages.map((m) => [m.direction, m.text])).toEqual([
    ['in', 'is 2 < 3 & 5 > 4?'],
    ['out', 'You said: is 2 < 3 & 5 > 4?'],
  ]);
  expect(messages[0]?.platformMessageId).toBe('D0DMCHAN01:1767225605.000200');
  expect(messages[1]).toMatchObject({
    delivery: 'sent',
    platformMessageId: expect.stringMatching(/^D0DMCHAN01:/),
  });
});

test('an @mention is answered in its thread, without the mention in the text', async () => {
  t = await startSlackBot();
  const mention = fixture<{ event: { ts: string } }>('event-app-mention.json');
  expect((await t.event(mention)).status).toBe(200);
  await until(() => t.fake.posts().length >= 1);
  expect(args(0)).toMatchObject({
    channel: 'C0ESCALATE',
    thread_ts: mention.event.ts,
    text: 'You said: close conv_42',
  });
});

test('the message + app_mention pair Slack sends for one mention gets one reply', async () => {
  t = await startSlackBot();
  const mention = fixture<{ event: Record<string, unknown>; event_id: string }>('event-app-mention.json');
  const asMessage = {
    ...mention,
    event_id: 'Ev0ACME00099',
    event: { ...mention.event, type: 'message', channel_type: 'channel' },
  };
  await t.event(mention);
  await t.event(asMessage);
  await until(() => t.fake.posts().length >= 1);
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(1);
});

test('forged signature, stale or future timestamp, missing headers → 401 and nothing stored', async () => {
  t = await startSlackBot();
  const raw = JSON.stringify(fixture('event-message-im.json'));
  const now = Math.floor(Date.now() / 1000);
  const attempts: Record<string, string>[] = [
    {
      ...slackHeaders(raw),
      'x-slack-signature':
        slackHeaders(raw, { secret: 'wrong-secret-0123456789' })['x-slack-signature'] ?? '',
    },
    slackHeaders(raw, { timestamp: now - 400 }),
    slackHeaders(raw, { timestamp: now + 400 }),
    { 'content-type': 'application/json' },
    { 'content-type': 'application/json', 'x-slack-request-timestamp': String(now) },
    { ...slackHeaders(raw), 'x-slack-signature': 'v0=zz' },
  ];
  for (const headers of attempts) {
    const res = await t.post('/webhooks/slack/events', raw, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'SB_SIGNATURE_INVALID' } });
  }
  // A body changed after signing (same headers) is forged too.
  const tampered = raw.replace('hi bot', 'hi bat');
  expect((await t.post('/webhooks/slack/events', tampered, slackHeaders(raw))).status).toBe(401);
  // The forms as well.
  const form = 'payload=%7B%7D';
  expect(
    (
      await t.post('/webhooks/slack/interactivity', form, {
        'content-type': 'application/x-www-form-urlencoded',
      })
    ).status,
  ).toBe(401);
  expect(
    (
      await t.post('/webhooks/slack/commands', 'command=%2Fx', {
        ...slackHeaders('command=%2Fy', { contentType: 'application/x-www-form-urlencoded' }),
      })
    ).status,
  ).toBe(401);
  await t.bot.idle();
  expect(await t.bot.store.identities.find('slack', 'T0ACME001:U0CUST0001')).toBeNull();
  expect(t.fake.posts()).toHaveLength(0);
});

test('an event redelivered with X-Slack-Retry-Num gets one reply', async () => {
  t = await startSlackBot();
  const dm = fixture('event-message-im.json');
  expect((await t.event(dm)).status).toBe(200);
  const retry = await t.event(dm, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
  expect(retry.status).toBe(200);
  await until(() => t.fake.posts().length >= 1);
  await t.bot.idle();
  // Concurrent first delivery and retry (an http_timeout retry arrives while the first still runs).
  const other = {
    ...dm,
    event_id: 'Ev0ACME00042',
    event: { ...(dm.event as object), ts: '1767225999.000100' },
  };
  const both = await Promise.all([t.event(other), t.event(other, { 'x-slack-retry-num': '1' })]);
  expect(both.map((r) => r.status)).toEqual([200, 200]);
  await until(() => t.fake.posts().length >= 2);
  await t.bot.idle();
  expect(t.fake.posts().map((p) => p.args.text)).toEqual(['You said: hi bot', 'You said: hi bot']);
});

test('a 429 with Retry-After: 1 is delivered after the wait', async () => {
  t = await startSlackBot();
  let limited = false;
  t.fake.respond((call) => {
    if (call.method !== 'chat.postMessage' || limited) return null;
    limited = true;
    return { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } };
  });
  await t.event(fixture('event-message-im.json'));
  await until(() => t.fake.posts().length >= 2);
  await t.bot.idle();
  const [refused, delivered] = t.fake.posts();
  expect(delivered?.args.text).toBe('You said: hi bot');
  expect((delivered?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(950);
});

test('a 500 is retried, then delivered', async () => {
  t = await startSlackBot();
  let failures = 2;
  t.fake.respond((call) =>
    call.method === 'chat.postMessage' && failures-- > 0 ? { status: 500, body: { ok: false } } : null,
  );
  await t.event(fixture('event-message-im.json'));
  await until(() => t.fake.posts().length >= 3);
  await t.bot.idle();
  expect(t.fake.posts().map((p) => p.args.text)).toEqual(Array(3).fill('You said: hi bot'));
  const events = await conversationEvents('T0ACME001:U0CUST0001');
  expect(events.filter((e) => e.type === 'delivery_failed')).toEqual([]);
});

test('channel_not_found is not retried: the message fails and the conversation records why', async () => {
  t = await startSlackBot();
  t.fake.respond((call) =>
    call.method === 'chat.postMessage' ? { body: fixture('chat-postmessage-response-error.json') } : null,
  );
  await t.event(fixture('event-message-im.json'));
  await until(() => t.fake.posts().length >= 1);
  await t.bot.idle();
  // Give a would-be retry time to show up (the outbox polls every 20 ms, retries after ≥ 30 ms).
  await new Promise((r) => setTimeout(r, 300));
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(1);
  const events = await conversationEvents('T0ACME001:U0CUST0001');
  expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
    expect.objectContaining({ reason: 'refused', platformCode: 'channel_not_found' }),
  ]);
  expect(await t.bot.store.messages.countPendingDelivery()).toBe(0);
});

test('buttons round trip: Block Kit buttons out, a signed block_actions click back as a postback', async () => {
  t = await startSlackBot();
  const dm = fixture<{ event: Record<string, unknown> }>('event-message-im.json');
  dm.event.text = 'menu';
  await t.event(dm);
  await until(() => t.fake.posts().length >= 1);
  const blocks = args(0).blocks ?? [];
  expect(args(0).text).toBe('Pick one:');
  expect(blocks).toEqual([
    { type: 'section', text: { type: 'mrkdwn', text: 'Pick one:' } },
    {
      type: 'actions',
      elements: [
        expect.objectContaining({
          type: 'button',
          value: 'ORDER_STATUS',
          text: expect.objectContaining({ text: 'Order status' }),
        }),
        expect.objectContaining({ type: 'button', value: 'HUMAN' }),
      ],
    },
  ]);
  const button = ((blocks[1]?.elements ?? []) as { action_id: string; value: string; text: unknown }[])[1];
  const click = fixture<Record<string, unknown>>('interactivity-block-actions.json');
  const payload = {
    ...click,
    user: { id: 'U0CUST0001', team_id: 'T0ACME001', username: 'ana', name: 'ana' },
    channel: { id: 'D0DMCHAN01', name: 'directmessage' },
    container: {
      type: 'message',
      message_ts: '1767226001.000100',
      channel_id: 'D0DMCHAN01',
      is_ephemeral: false,
    },
    response_url: `${t.fake.url}/respond/1`,
    actions: [{ ...button, type: 'button', block_id: 'b1', action_ts: '1767226010.000001' }],
  };
  const res = await t.interaction(payload);
  expect(res.status).toBe(200);
  await until(() => t.fake.posts().length >= 2);
  await t.bot.idle();
  expect(args(1)).toMatchObject({ channel: 'D0DMCHAN01', text: 'You chose: HUMAN' });
  // A double delivery of the same click is one postback.
  await t.interaction(payload);
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(2);
});

test("the bot's own messages and other bots' are ignored, with a logged reason", async () => {
  t = await startSlackBot();
  const own = fixture<{ event: Record<string, unknown> }>('event-message-bot-message.json');
  const ownByUser = fixture<{ event: Record<string, unknown>; event_id: string }>('event-message-im.json');
  ownByUser.event_id = 'Ev0OWN';
  ownByUser.event.user = 'U0BOTUSER1';
  const otherBot = fixture<{ event: Record<string, unknown>; event_id: string }>('event-message-im.json');
  otherBot.event_id = 'Ev0OTHER';
  otherBot.event = { ...otherBot.event, bot_id: 'B0SOMEBOT9', user: 'U0SOMEBOT9', text: 'beep' };
  for (const body of [own, ownByUser, otherBot]) expect((await t.event(body)).status).toBe(200);
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(0);
  expect(t.ignoredReasons()).toEqual([
    'own message (echo of what the bot posted)',
    'own message (echo of what the bot posted)',
    'message from another bot',
  ]);
  expect(await t.bot.store.identities.find('slack', 'T0ACME001:U0SOMEBOT9')).toBeNull();
});

test('a plain channel message counts only in a support channel or in the customer’s own thread', async () => {
  t = await startSlackBot();
  const channelMessage = fixture<{ event: Record<string, unknown> }>('event-message-channel.json');
  await t.event(channelMessage);
  await t.bot.idle();
  expect(t.fake.posts()).toHaveLength(0);
  expect(t.ignoredReasons()).toEqual([
    'channel message not addressed to the bot (no mention, not a support channel)',
  ]);
  // The customer mentions the bot; the reply goes to the thread; a plain reply in that thread counts.
  const mention = {
    ...channelMessage,
    event_id: 'Ev0M1',
    event: {
      ...channelMessage.event,
      type: 'app_mention',
      text: '<@U0BOTUSER1> help',
      ts: '1767225800.000100',
    },
  };
  await t.event(mention);
  const reply = {
    ...channelMessage,
    event_id: 'Ev0M2',
    event: {
      ...channelMessage.event,
      text: 'still there?',
      ts: '1767225801.000100',
      thread_ts: '1767225800.000100',
    },
  };
  await t.event(reply);
  // Someone else's unrelated thread does not.
  const stranger = {
    ...channelMessage,
    event_id: 'Ev0M3',
    event: {
      ...channelMessage.event,
      text: 'unrelated',
      ts: '1767225802.000100',
      thread_ts: '1767225000.000100',
    },
  };
  await t.event(stranger);
  await until(() => t.fake.posts().length >= 2);
  await t.bot.idle();
  expect(t.fake.posts().map((p) => [p.args.text, p.args.thread_ts])).toEqual([
    ['You said: help', '1767225800.000100'],
    ['You said: still there?', '1767225800.000100'],
  ]);
  expect(t.ignoredReasons().at(-1)).toBe('thread reply in a thread the customer has no conversation in');
});

test('url_verification is answered with the challenge (after the signature check)', async () => {
  t = await startSlackBot();
  const body = fixture<{ challenge: string }>('url-verification.json');
  const res = await t.event(body);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ challenge: body.challenge });
  const raw = JSON.stringify(body);
  expect((await t.post('/webhooks/slack/events', raw, { 'content-type': 'application/json' })).status).toBe(
    401,
  );
});

test('a refused token or an unreachable Slack stops the start with a clear message', async () => {
  const fake = await startFakeSlack();
  fake.respond((call) =>
    call.method === 'auth.test' ? { body: { ok: false, error: 'invalid_auth' } } : null,
  );
  const start = async (apiUrl: string) => {
    const bot = new Bot({
      config: loadConfig({ PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'silent' }),
      adapters: [new SlackAdapter({ botToken: 'xoxb-bad', signingSecret: SECRET, apiUrl })],
    });
    try {
      await bot.start();
      return 'started';
    } catch (error) {
      return (error as Error).message;
    } finally {
      await bot.stop();
    }
  };
  expect(await start(fake.apiUrl)).toMatch(/^Slack refused SLACK_BOT_TOKEN \(auth\.test: invalid_auth\)/);
  await fake.close();
  // Nothing listens there any more: a transport error, not a crash and not a 30-minute retry loop.
  expect(await start(fake.apiUrl)).toMatch(
    /^Cannot reach the Slack Web API at http:\/\/127\.0\.0\.1:\d+\/api\/ \(auth\.test:/,
  );
});

test('a button whose payload is too long for Slack comes back as its number and reaches the bot as that postback', async () => {
  const long = `ORDER:${'x'.repeat(2100)}`;
  t = await startSlackBot({
    behaviour: (bot) => {
      bot.on('text', (ctx) =>
        ctx.reply({
          type: 'text',
          text: 'Which order?',
          buttons: [
            { type: 'postback', title: 'Short', payload: 'SHORT' },
            { type: 'postback', title: 'Long', payload: long },
          ],
        }),
      );
      bot.on('postback', (ctx) => ctx.reply(`payload of ${ctx.payload?.length} chars`));
    },
  });
  await t.event(fixture('event-message-im.json'));
  await until(() => t.fake.posts().length >= 1);
  const elements = (args(0).blocks?.[1]?.elements ?? []) as { action_id: string; value: string }[];
  expect(elements.map((e) => e.value)).toEqual(['SHORT', '2']);
  const button = elements[1];
  await t.interaction({
    type: 'block_actions',
    trigger_id: 'trig-1',
    user: { id: 'U0CUST0001', team_id: 'T0ACME001' },
    channel: { id: 'D0DMCHAN01' },
    actions: [{ ...button, type: 'button', action_ts: '1767226020.000001' }],
  });
  await until(() => t.fake.posts().length >= 2);
  expect(args(1).text).toBe(`payload of ${long.length} chars`);
});

test('configured from the environment through the channel registry (what `switchboard start` runs)', async () => {
  const fake = await startFakeSlack();
  const started = await startTestBot({
    env: { SLACK_BOT_TOKEN: 'xoxb-env-token', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: fake.apiUrl },
  });
  try {
    const raw = JSON.stringify(fixture('event-message-im.json'));
    const res = await fetch(`${started.baseUrl}/webhooks/slack/events`, {
      method: 'POST',
      headers: slackHeaders(raw),
      body: raw,
    });
    expect(res.status).toBe(200);
    // Whatever the configured bot answers, it answers in the DM, with the token from the environment.
    await until(() => fake.posts().length >= 1);
    await started.bot.idle();
    expect(fake.posts().every((p) => p.args.channel === 'D0DMCHAN01')).toBe(true);
    expect(fake.posts()[0]?.headers.authorization).toBe('Bearer xoxb-env-token');
  } finally {
    await started.stop();
    await fake.close();
  }
});

test('quick replies are buttons that disappear once one is pressed', async () => {
  t = await startSlackBot({
    behaviour: (bot) => {
      bot.on('text', (ctx) =>
        ctx.reply({
          type: 'text',
          text: 'Was this helpful?',
          buttons: [{ type: 'url', title: 'FAQ', url: 'http://127.0.0.1/faq' }],
          quickReplies: [
            { type: 'postback', title: 'Yes', payload: 'CSAT_YES' },
            { type: 'postback', title: 'No', payload: 'CSAT_NO' },
          ],
        }),
      );
      bot.on('postback', (ctx) => ctx.reply(`Noted: ${ctx.payload}`));
    },
  });
  await t.event(fixture('event-message-im.json'));
  await until(() => t.fake.posts().length >= 1);
  const blocks = (args(0).blocks ?? []) as {
    type: string;
    block_id?: string;
    elements?: { value?: string }[];
  }[];
  expect(blocks.map((b) => [b.type, b.block_id])).toEqual([
    ['section', undefined],
    ['actions', undefined],
    ['actions', 'sb:quick:0'],
  ]);
  const yes = blocks[2]?.elements?.[0];
  const res = await t.interaction({
    type: 'block_actions',
    trigger_id: 'trig-q',
    user: { id: 'U0CUST0001', team_id: 'T0ACME001' },
    channel: { id: 'D0DMCHAN01' },
    message: { ts: '1767226001.000100', text: 'Was this helpful?', blocks },
    response_url: `${t.fake.url}/respond/quick`,
    actions: [{ ...yes, type: 'button', block_id: 'sb:quick:0', action_ts: '1767226030.000001' }],
  });
  expect(res.status).toBe(200);
  await until(() => t.fake.posts().length >= 2 && t.fake.calls.some((c) => c.path === '/respond/quick'));
  expect(args(1).text).toBe('Noted: CSAT_YES');
  const rewrite = t.fake.calls.find((c) => c.path === '/respond/quick')?.args as {
    replace_original: boolean;
    blocks: { type: string; block_id?: string }[];
  };
  expect(rewrite.replace_original).toBe(true);
  expect(rewrite.blocks.map((b) => b.type)).toEqual(['section', 'actions', 'context']);
  expect(JSON.stringify(rewrite.blocks[2])).toContain('Yes');
});
