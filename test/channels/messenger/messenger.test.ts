/**
 * Messenger end to end through real HTTP: signed webhooks into the real server, replies
 * at a fake Graph API on 127.0.0.1.
 */
import type { FakeApi, RecordedCall } from '../../helpers/fake-api';
import { signHubBody } from '../../../adapters/meta-graph/verify';
import {
  ageWindow,
  defaultGraphAnswer,
  fixture,
  fixtureText,
  type MetaBot,
  messengerText,
  PSID,
  postSigned,
  startFakeGraph,
  startMetaBot,
  testBehaviour,
  transcript,
  until,
  metaEnv,
} from '../meta-harness';

let graph: FakeApi & { sends(): RecordedCall[] };
let sb: MetaBot;
let hook: string;

beforeEach(async () => {
  graph = await startFakeGraph();
  sb = await startMetaBot(metaEnv(graph.url), testBehaviour);
  hook = `${sb.url}/webhooks/messenger`;
});

afterEach(async () => {
  await sb.stop();
  await graph.close();
});

// biome-ignore lint/suspicious/noExplicitAny: recorded JSON
const bodies = () => graph.sends().map((c) => c.json as any);

test('handshake: the right verify token gets the challenge, a wrong one 403', async () => {
  const { query, expected_response } = fixture('messenger', 'verify-challenge-request.json');
  const ok = await fetch(`${hook}?${new URLSearchParams(query)}`);
  expect(ok.status).toBe(expected_response.status);
  expect(await ok.text()).toBe(expected_response.body);
  const wrong = await fetch(`${hook}?${new URLSearchParams({ ...query, 'hub.verify_token': 'nope' })}`);
  expect(wrong.status).toBe(403);
  expect(await wrong.text()).not.toContain(query['hub.challenge']);
});

test('a signed text message gets its reply at the Send API with the right body', async () => {
  const res = await postSigned(hook, fixtureText('messenger', 'webhook-message-text.json'));
  expect(res.status).toBe(200);
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  const [call] = graph.sends();
  expect(call?.path).toBe('/v21.0/me/messages');
  expect(call?.headers.authorization).toBe('Bearer EAAG-page-token');
  // Same shape as fixtures/messenger/send-api-request-text.json.
  expect(call?.json).toEqual({
    recipient: { id: PSID },
    messaging_type: 'RESPONSE',
    message: { text: 'echo: Hi, where is my order?' },
  });
  const stored = await transcript(sb.bot, 'messenger', PSID);
  expect(stored.map((m) => [m.direction, m.text, m.delivery])).toEqual([
    ['in', 'Hi, where is my order?', 'received'],
    ['out', 'echo: Hi, where is my order?', 'sent'],
  ]);
  expect(stored[1]?.platformMessageId).toMatch(/^m_sent_/);
});

test('a forged or missing signature is refused with 401 and nothing is stored', async () => {
  const raw = fixtureText('messenger', 'webhook-message-text.json');
  expect((await postSigned(hook, raw, { secret: 'not-the-app-secret' })).status).toBe(401);
  expect((await postSigned(hook, raw, { signature: null })).status).toBe(401);
  expect((await postSigned(hook, raw, { signature: 'sha256=zz' })).status).toBe(401);
  // The body changed after signing (re-serialised JSON): refused too.
  const signedOther = await postSigned(hook, JSON.stringify(JSON.parse(raw), null, 1), {
    signature: signHubBody(raw, 'a1b2c3d4e5f60718293a4b5c6d7e8f90'),
  });
  expect(signedOther.status).toBe(401);
  await sb.bot.idle();
  expect(await sb.bot.store.identities.find('messenger', PSID)).toBeNull();
  expect(graph.calls).toHaveLength(0);
});

test('a redelivered webhook gets one reply', async () => {
  const raw = fixtureText('messenger', 'webhook-message-text.json');
  expect((await postSigned(hook, raw)).status).toBe(200);
  expect((await postSigned(hook, raw)).status).toBe(200);
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  expect(graph.sends()).toHaveLength(1);
  expect((await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'in')).toHaveLength(1);
});

test('postbacks and quick replies arrive as button presses with their payload', async () => {
  await postSigned(hook, fixtureText('messenger', 'webhook-postback.json'));
  await postSigned(hook, fixtureText('messenger', 'webhook-message-quick-reply.json'));
  await until(() => graph.sends().length >= 2);
  await sb.bot.idle();
  expect(bodies().map((b) => b.message.text)).toEqual(['picked HANDOFF_YES', 'picked HANDOFF_YES']);
  const inbound = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'in');
  expect(inbound.map((m) => m.content)).toEqual([
    { type: 'postback', payload: 'HANDOFF_YES', title: 'Talk to a human' },
    { type: 'postback', payload: 'HANDOFF_YES', title: 'Talk to a human' },
  ]);
});

test('five buttons arrive as quick replies in order; pressing the second, or typing "2", picks size M', async () => {
  await postSigned(hook, messengerText('m_sizes', 'sizes'));
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  expect(bodies()[0].message).toEqual({
    text: 'Which size?',
    quick_replies: ['S', 'M', 'L', 'XL', 'XXL'].map((s) => ({
      content_type: 'text',
      title: s,
      payload: `size:${s}`,
    })),
  });
  // The customer taps the second quick reply: Messenger sends its payload back.
  const tap = messengerText('m_tap', 'M');
  // biome-ignore lint/style/noNonNullAssertion: built just above
  (tap.entry[0]!.messaging[0]!.message as Record<string, unknown>).quick_reply = { payload: 'size:M' };
  await postSigned(hook, tap);
  await until(() => graph.sends().length >= 2);
  await postSigned(hook, messengerText('m_sizes2', 'sizes'));
  await until(() => graph.sends().length >= 3);
  await sb.bot.idle();
  await postSigned(hook, messengerText('m_two', '2'));
  await until(() => graph.sends().length >= 4);
  await sb.bot.idle();
  expect(bodies().map((b) => b.message.text)).toEqual([
    'Which size?',
    'picked size:M',
    'Which size?',
    'picked size:M',
  ]);
});

test('two buttons go out as a button template', async () => {
  await postSigned(hook, messengerText('m_confirm', 'confirm'));
  await until(() => graph.sends().length >= 1);
  expect(bodies()[0].message.attachment).toEqual({
    type: 'template',
    payload: {
      template_type: 'button',
      text: 'Do you want to talk to a human?',
      buttons: [
        { type: 'postback', title: 'Talk to a human', payload: 'handoff_yes' },
        { type: 'postback', title: 'No, thanks', payload: 'handoff_no' },
      ],
    },
  });
});

test('a rate limit (HTTP 429, code 613) is retried after Retry-After and then delivered', async () => {
  let refused = false;
  const normal = defaultGraphAnswer(() => graph.calls.length);
  graph.respond((call) => {
    if (!refused) {
      refused = true;
      return {
        status: 429,
        body: fixture('messenger', 'error-rate-limit.json'),
        headers: { 'retry-after': '1' },
      };
    }
    return normal(call);
  });
  await postSigned(hook, fixtureText('messenger', 'webhook-message-text.json'));
  await until(() => graph.sends().length >= 2);
  await sb.bot.idle();
  const [first, second] = graph.sends();
  expect(second?.body).toBe(first?.body);
  expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  const out = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'out');
  expect(out.map((m) => [m.delivery, m.attempts])).toEqual([['sent', 2]]);
});

test('outside the 24-hour window an operator reply goes with the HUMAN_AGENT tag; a bot message fails clearly', async () => {
  await postSigned(hook, fixtureText('messenger', 'webhook-message-text.json'));
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  await ageWindow(sb.bot, 'messenger', PSID, 30);
  const conversationId = (await transcript(sb.bot, 'messenger', PSID))[0]?.conversationId ?? '';

  await sb.bot.send(conversationId, 'Hi Ana, Olivia from support here following up.', {
    author: 'operator',
    authorName: 'Olivia',
  });
  await until(() => graph.sends().length >= 2);
  await sb.bot.idle();
  expect(graph.sends()[1]?.json).toEqual(fixture('messenger', 'send-api-request-human-agent-tag.json'));

  const late = await sb.bot.send(conversationId, 'A bot reminder.');
  await sb.bot.idle();
  expect(graph.sends()).toHaveLength(2);
  expect((await sb.bot.store.messages.get(late.id))?.delivery).toBe('failed');
  const events = await sb.bot.store.events.list(conversationId);
  expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
    expect.objectContaining({
      messageId: late.id,
      reason: 'refused',
      error: expect.stringContaining("outside Messenger's 24-hour window"),
    }),
  ]);
});

test('the platform refusing a message as outside the window (code 10/2018278) is not retried', async () => {
  graph.respond(() => ({ status: 400, body: fixture('messenger', 'error-outside-window.json') }));
  await postSigned(hook, fixtureText('messenger', 'webhook-message-text.json'));
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  await new Promise((r) => setTimeout(r, 100));
  expect(graph.sends()).toHaveLength(1);
  const out = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'out');
  expect(out[0]?.delivery).toBe('failed');
  expect(out[0]?.deliveryError).toContain('2018278');
});

test('deliveries and reads move the stored message to delivered, then read (watermarks)', async () => {
  await postSigned(hook, fixtureText('messenger', 'webhook-message-text.json'));
  await until(() => graph.sends().length >= 1);
  await sb.bot.idle();
  const sentId = (await transcript(sb.bot, 'messenger', PSID)).find(
    (m) => m.direction === 'out',
  )?.platformMessageId;
  const deliveries = fixture('messenger', 'webhook-message-deliveries.json');
  deliveries.entry[0].messaging[0].delivery.mids = [sentId];
  expect((await postSigned(hook, deliveries)).status).toBe(200);
  let out = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'out');
  expect(out[0]?.delivery).toBe('delivered');

  const reads = fixture('messenger', 'webhook-message-reads.json');
  reads.entry[0].messaging[0].read.watermark = Date.now();
  expect((await postSigned(hook, reads)).status).toBe(200);
  out = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'out');
  expect(out[0]?.delivery).toBe('read');
});

test('a batched POST (two entries) stores both messages and answers both, in order', async () => {
  await postSigned(hook, fixtureText('messenger', 'webhook-batched-two-entries.json'));
  await until(() => graph.sends().length >= 2);
  await sb.bot.idle();
  expect(bodies().map((b) => b.message.text)).toEqual(['echo: one', 'echo: two']);
});

test('echoes and edits are acknowledged, stored nowhere, and logged with a reason', async () => {
  expect((await postSigned(hook, fixtureText('messenger', 'webhook-message-echo.json'))).status).toBe(200);
  expect((await postSigned(hook, fixtureText('messenger', 'webhook-message-edit.json'))).status).toBe(200);
  await sb.bot.idle();
  expect(await sb.bot.store.identities.find('messenger', PSID)).toBeNull();
  expect(await sb.bot.store.identities.find('messenger', '105000000000001')).toBeNull();
  const reasons = sb.logs.filter((l) => l.msg === 'ignored webhook event').map((l) => l.reason);
  expect(reasons).toEqual([expect.stringContaining('echo'), expect.stringContaining('edit')]);
});

test('an m.me referral keeps its ref on the message; an image arrives as media', async () => {
  await postSigned(hook, {
    object: 'page',
    entry: [
      {
        id: '105000000000001',
        time: Date.now(),
        messaging: [
          {
            sender: { id: PSID },
            recipient: { id: '105000000000001' },
            timestamp: Date.now(),
            postback: {
              mid: 'm_get_started',
              title: 'Get Started',
              payload: 'GET_STARTED',
              referral: { ref: 'LINK-CODE-42', source: 'SHORTLINK', type: 'OPEN_THREAD' },
            },
          },
        ],
      },
    ],
  });
  await postSigned(hook, fixtureText('messenger', 'webhook-message-attachment-image.json'));
  await until(() => graph.sends().length >= 2);
  await sb.bot.idle();
  const inbound = (await transcript(sb.bot, 'messenger', PSID)).filter((m) => m.direction === 'in');
  expect(inbound[0]?.address).toEqual({ psid: PSID, ref: 'LINK-CODE-42' });
  expect(inbound[1]?.content).toEqual({
    type: 'media',
    kind: 'image',
    url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/fake_damaged_box.jpg',
  });
});
