/**
 * Bot Framework end to end: activities POSTed to the real bot's /api/messages, botbuilder's
 * CloudAdapter replying to the activity's serviceUrl — rewritten to a fake Bot Connector
 * on 127.0.0.1 (never the fixture's example.com).
 */
import { type FakeApi, type RecordedCall, startFakeApi } from '../helpers/fake-api';
import { type TestBot, startTestBot, tempDir } from '../helpers/bot';
import { fixture, until } from './fake-telegram';

let connector: FakeApi;
let sb: TestBot;

const APP_ID = '2f8e3c1a-5b7d-4e9f-8a6b-0c1d2e3f4a5b';

const devEnv = (extra: Record<string, string> = {}) => ({
  BOT_DIR: tempDir('sb-bot-'),
  NODE_ENV: 'development',
  BOTFRAMEWORK_ENABLED: 'true',
  ...extra,
});

// biome-ignore lint/suspicious/noExplicitAny: activities are free-form JSON in tests
type Json = any;

function inbound(overrides: Record<string, unknown> = {}): Json {
  return {
    ...fixture('directline', 'bot-inbound-activity.json'),
    serviceUrl: `${connector.url}/`,
    ...overrides,
  };
}

async function post(activity: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sb.baseUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(activity),
  });
}

const replies = () => connector.calls.filter((c) => c.method === 'POST');
const bodies = (calls: RecordedCall[]) => calls.map((c) => c.json as Json);

async function conversationOf(externalId: string) {
  const identity = await sb.bot.store.identities.find('botframework', externalId);
  return identity ? sb.bot.store.conversations.findOpen(identity.customerId) : null;
}

beforeEach(async () => {
  connector = await startFakeApi((call) => ({
    status: 200,
    body: { id: `reply-${call.path.length}-${Date.now()}` },
  }));
});

afterEach(async () => {
  await sb?.stop();
  await connector.close();
});

describe('development mode (no app id)', () => {
  beforeEach(async () => {
    sb = await startTestBot({ env: devEnv() });
  });

  test('the fixture activity → stored before the 200, replies POSTed to the serviceUrl as replies to it', async () => {
    const res = await post(inbound());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const conversation = await conversationOf('directline:dl_7f3c9a2e5b1d4c8f');
    expect(conversation).not.toBeNull();
    await until(() => replies().length >= 2);
    await sb.bot.idle();
    const [greeting, echo] = replies();
    // Activity ids with "|" are percent-encoded in the path.
    expect(echo?.path).toBe(
      '/v3/conversations/Fk8xLqN0WcZ3H7yU1rTe-us/activities/Fk8xLqN0WcZ3H7yU1rTe-us%7C0000001',
    );
    expect(greeting?.headers.authorization).toBeUndefined();
    const reference = fixture<Json>('directline', 'bot-reply-activity.json');
    expect(echo?.json).toMatchObject({
      type: 'message',
      text: 'You said: Hi, where is my order?',
      channelId: reference.channelId,
      conversation: reference.conversation,
      from: reference.from,
      recipient: reference.recipient,
      replyToId: reference.replyToId,
    });
    const stored = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(stored.map((m) => [m.direction, m.delivery])).toEqual([
      ['in', 'received'],
      ['out', 'sent'],
      ['out', 'sent'],
    ]);
    expect(stored[0]?.platformMessageId).toBe(
      'directline:Fk8xLqN0WcZ3H7yU1rTe-us:Fk8xLqN0WcZ3H7yU1rTe-us|0000001',
    );
    expect(stored[1]?.platformMessageId).toMatch(/^reply-/);
    const customer = await sb.bot.store.customers.get(conversation?.customerId ?? '');
    expect(customer?.profile).toMatchObject({ name: 'Ana', locale: 'en-US' });
  });

  test('the same activity delivered twice → one reply', async () => {
    expect((await post(inbound())).status).toBe(200);
    expect((await post(inbound())).status).toBe(200);
    await until(() => replies().length >= 2);
    await sb.bot.idle();
    expect(bodies(replies()).map((b) => b.text)).toEqual([
      expect.stringMatching(/^Hi!/),
      'You said: Hi, where is my order?',
    ]);
  });

  test('a body that is not an activity → 400, nothing stored', async () => {
    expect((await post({ text: 'hi' })).status).toBe(400);
    expect((await post({ type: 'message', text: 'hi' })).status).toBe(400);
    expect(await conversationOf('directline:dl_7f3c9a2e5b1d4c8f')).toBeNull();
  });

  test('429 with Retry-After → delivered after the wait', async () => {
    let refused = 0;
    connector.respond((call) =>
      refused++ === 0
        ? {
            status: 429,
            headers: { 'retry-after': '1' },
            body: { error: { code: 'Throttled', message: 'slow down' } },
          }
        : { status: 200, body: { id: `ok-${call.at}` } },
    );
    await post(inbound());
    await until(() => replies().length >= 3, 15_000);
    await sb.bot.idle();
    const [first, second] = replies();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(bodies(replies().slice(1)).map((b) => b.text)).toEqual([
      expect.stringMatching(/^Hi!/),
      'You said: Hi, where is my order?',
    ]);
  });

  test('500 → retried by the outbox (not inside botbuilder), then delivered', async () => {
    let failures = 2;
    connector.respond(() =>
      failures-- > 0
        ? { status: 500, body: { error: { code: 'ServiceError', message: 'boom' } } }
        : { status: 200, body: { id: 'ok' } },
    );
    await post(inbound());
    await until(() => bodies(replies()).some((b) => b.text === 'You said: Hi, where is my order?'));
    await sb.bot.idle();
    expect(replies()).toHaveLength(4);
    const conversation = await conversationOf('directline:dl_7f3c9a2e5b1d4c8f');
    const out = (await sb.bot.store.messages.list(conversation?.id ?? '')).filter(
      (m) => m.direction === 'out',
    );
    expect(out.map((m) => [m.delivery, m.attempts])).toEqual([
      ['sent', 3],
      ['sent', 1],
    ]);
  });

  test('403 (bot blocked / removed) → no retry, a delivery_failed conversation event', async () => {
    connector.respond(() => ({
      status: 403,
      body: { error: { code: 'BotDisabledByAdmin', message: 'blocked' } },
    }));
    await post(inbound());
    await until(() => replies().length >= 2);
    await sb.bot.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(replies()).toHaveLength(2);
    const conversation = await conversationOf('directline:dl_7f3c9a2e5b1d4c8f');
    const events = await sb.bot.store.events.list(conversation?.id ?? '');
    expect(events.filter((e) => e.type === 'delivery_failed').map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'refused', status: 403, platformCode: 'BotDisabledByAdmin' }),
      expect.objectContaining({ reason: 'refused', status: 403 }),
    ]);
  });
});

describe('buttons', () => {
  beforeEach(async () => {
    sb = await startTestBot({
      env: devEnv(),
      setup: (bot) => {
        bot.on('postback', (ctx) => ctx.reply(`pressed ${ctx.payload}`));
        bot.on('text', (ctx) =>
          ctx.reply({
            type: 'text',
            text: 'Do you want to talk to a human?',
            buttons: [
              { type: 'postback', title: 'Talk to a human', payload: 'handoff' },
              { type: 'url', title: 'Track', url: 'http://127.0.0.1:3000/track/1042' },
            ],
            quickReplies: [{ type: 'postback', title: 'No', payload: 'no' }],
          }),
        );
      },
    });
  });

  test('buttons → a hero card, quick replies → suggested actions; a press comes back as the postback', async () => {
    await post(inbound());
    await until(() => replies().length >= 1);
    await sb.bot.idle();
    const [reply] = bodies(replies());
    expect(reply.text).toBeUndefined();
    expect(reply.attachments).toEqual([
      {
        contentType: 'application/vnd.microsoft.card.hero',
        content: {
          text: 'Do you want to talk to a human?',
          images: [],
          buttons: [
            {
              type: 'messageBack',
              title: 'Talk to a human',
              text: 'Talk to a human',
              displayText: 'Talk to a human',
              value: { payload: 'handoff' },
            },
            { type: 'openUrl', title: 'Track', value: 'http://127.0.0.1:3000/track/1042' },
          ],
        },
      },
    ]);
    // imBack, as Teams documents suggested actions; no `to: []` (shown to everyone).
    expect(reply.suggestedActions).toEqual({ actions: [{ type: 'imBack', title: 'No', value: 'No' }] });
    // Web Chat posts the press like the message-back fixture: text = title, value = our payload.
    const press = fixture<Json>('directline', 'activity-post-message-back.json');
    await post(
      inbound({
        id: 'Fk8xLqN0WcZ3H7yU1rTe-us|0000002',
        text: press.text,
        value: { payload: 'handoff' },
        channelData: press.channelData,
      }),
    );
    await until(() => bodies(replies()).some((b) => b.text === 'pressed handoff'));
    const conversation = await conversationOf('directline:dl_7f3c9a2e5b1d4c8f');
    const stored = await sb.bot.store.messages.list(conversation?.id ?? '');
    expect(stored.find((m) => m.content.type === 'postback')?.content).toEqual({
      type: 'postback',
      payload: 'handoff',
      title: 'Talk to a human',
    });
  });
});

describe('typing', () => {
  test('ctx.typing() sends a typing activity to the conversation', async () => {
    sb = await startTestBot({ env: devEnv(), setup: (bot) => bot.on('text', (ctx) => ctx.typing(true)) });
    await post(inbound());
    await until(() => replies().length >= 1);
    expect(replies()[0]?.json).toMatchObject({
      type: 'typing',
      conversation: { id: 'Fk8xLqN0WcZ3H7yU1rTe-us' },
    });
  });
});

describe('production mode (app id set)', () => {
  beforeEach(async () => {
    sb = await startTestBot({
      env: {
        BOT_DIR: tempDir('sb-bot-'),
        NODE_ENV: 'production',
        MICROSOFT_APP_ID: APP_ID,
        MICROSOFT_APP_PASSWORD: 'not-a-real-secret',
      },
    });
  });

  test('a missing or forged Authorization → 401 and nothing stored', async () => {
    const missing = await post(inbound());
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as Json).error.code).toBe('SB_SIGNATURE_INVALID');
    expect((await post(inbound(), { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    // A structurally valid JWT from an issuer Bot Framework does not use (no key lookup happens).
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${b64({ iss: 'https://evil.example', aud: APP_ID, serviceurl: `${connector.url}/` })}.c2ln`;
    expect((await post(inbound(), { authorization: `Bearer ${forged}` })).status).toBe(401);
    expect(await conversationOf('directline:dl_7f3c9a2e5b1d4c8f')).toBeNull();
    expect(connector.calls).toHaveLength(0);
  });
});
