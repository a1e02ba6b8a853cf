/**
 * The Direct Line channel through its public surface: Microsoft's own client
 * (`botframework-directlinejs`, set up for Node as its README says: xhr2 and ws) against
 * the real server, over WebSocket and polling; and the protocol's edges by plain HTTP:
 * refused credentials, malformed payloads (400 in Direct Line's shape, nothing stored),
 * client retries, events, signed identities.
 */
import { type Activity, ConnectionStatus, DirectLine } from 'botframework-directlinejs';
import { WebSocket } from 'ws';
// @ts-expect-error xhr2 ships no type declarations
import XHR from 'xhr2';
import { signIdentityToken } from '../../../adapters/web/verify';
import { startTestBot, type TestBot } from '../../helpers/bot';
import { renderActivity } from '../../../adapters/bot-activity';
import { directLineSettings } from '../../../adapters/directline/config';
import { toActivity } from '../../../adapters/directline/render';
import { signToken } from '../../../adapters/directline/verify';

// What botframework-directlinejs needs in Node (its README's Node instructions).
(globalThis as Record<string, unknown>).XMLHttpRequest = XHR;

const SECRET = 'dl-secret-0123456789abcdef0123456789abcdef';
const IDENTITY_SECRET = 'web-identity-secret-0123456789abcdef0123';

let h: TestBot;
let domain: string;
beforeAll(async () => {
  h = await startTestBot({ env: { DIRECTLINE_SECRET: SECRET, WEB_IDENTITY_SECRET: IDENTITY_SECRET } });
  domain = `${h.baseUrl}/v3/directline`;
});
afterAll(async () => {
  await h?.stop();
});

type Json = Record<string, unknown>;

async function call(
  method: string,
  path: string,
  bearer: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${domain}${path}`, {
    method,
    headers: {
      ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

async function generate(user?: Json, headers?: Record<string, string>) {
  const res = await call('POST', '/tokens/generate', SECRET, user ? { user } : {}, headers);
  expect(res.status).toBe(200);
  return res.body as { conversationId: string; token: string; expires_in: number };
}

/** A directlinejs client: its activities, and a wait for one that matches. */
function client(options: ConstructorParameters<typeof DirectLine>[0]) {
  const directLine = new DirectLine({ domain, WebSocket, pollingInterval: 200, ...options } as never);
  const seen: Activity[] = [];
  const statuses: ConnectionStatus[] = [];
  const subscriptions = [
    directLine.activity$.subscribe((a) => seen.push(a)),
    directLine.connectionStatus$.subscribe((s) => statuses.push(s)),
  ];
  return {
    directLine,
    seen,
    statuses,
    async waitFor(match: (a: Activity) => boolean, ms = 10_000): Promise<Activity> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such activity; seen: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    post(activity: Partial<Activity>): Promise<string> {
      return new Promise((resolve, reject) => {
        directLine
          .postActivity({ from: { id: 'ignored' }, type: 'message', ...activity } as Activity)
          .subscribe({ next: resolve, error: reject });
      });
    },
    end() {
      for (const s of subscriptions) s.unsubscribe();
      directLine.end();
    },
  };
}

const botSays = (pattern: RegExp) => (a: Activity) =>
  a.type === 'message' && a.from.role === 'bot' && pattern.test(a.text ?? '');

describe.each([
  ['WebSocket', true],
  ['polling', false],
])('botframework-directlinejs over %s', (_mode, webSocket) => {
  test('start, send, receive the greeting and the echo, reconnect from the watermark', async () => {
    const { token, conversationId } = await generate({ id: `dl_node_${webSocket ? 'ws' : 'poll'}` });
    const first = client({ token, webSocket });
    const id = await first.post({ text: 'hello there' });
    expect((first.directLine as unknown as { conversationId: string }).conversationId).toBe(conversationId);
    // The customer's own activity comes back (Web Chat needs the echo), then the bot's answers.
    const echoed = await first.waitFor((a) => a.id === id);
    expect(echoed).toMatchObject({ from: { role: 'user' }, text: 'hello there' });
    await first.waitFor(botSays(/^Hi! I'm Switchboard/));
    const reply = await first.waitFor(botSays(/^You said: hello there$/));
    expect((reply as unknown as Json).replyToId).toBe(id);
    expect(first.statuses).toContain(ConnectionStatus.Online);
    const watermark = (first.directLine as unknown as { watermark: string }).watermark;
    expect(watermark).toBeTruthy();
    first.end();

    // While nobody listens, the bot says something more (an operator or a proactive message).
    await h.bot.idle();
    const conversation = (await h.bot.searchConversations({ text: 'hello there', channel: 'directline' }))[0];
    if (!conversation) throw new Error('no conversation');
    await h.bot.send(conversation.id, 'Are you still there?');

    // Reconnecting from the watermark brings exactly what was missed.
    const second = client({ token, webSocket, conversationId, watermark });
    await second.waitFor(botSays(/^Are you still there\?$/));
    await second.post({ text: 'yes' });
    await second.waitFor(botSays(/^You said: yes$/));
    expect(second.seen.filter((a) => (a as unknown as Json).text === 'hello there')).toEqual([]);
    second.end();
  });
});

test('buttons come back as postbacks; events reach the bot; typing is not stored', async () => {
  const { token, conversationId } = await generate({ id: 'dl_node_buttons', name: 'Ana' });
  const path = `/conversations/${conversationId}/activities`;
  expect((await call('POST', '/conversations', token)).status).toBe(201);
  expect((await call('POST', '/conversations', token)).status).toBe(200); // started already
  // Our quick replies are messageBack actions: text = title, value = {payload}.
  const pressed = await call('POST', path, token, {
    type: 'message',
    from: { id: 'dl_node_buttons' },
    text: 'Large',
    value: { payload: 'size:L' },
  });
  expect(pressed.status).toBe(200);
  await call('POST', path, token, {
    type: 'event',
    from: { id: 'x' },
    name: 'webchat/join',
    value: { page: '/shop' },
  });
  const typing = await call('POST', path, token, { type: 'typing', from: { id: 'x' } });
  expect(typing.status).toBe(200);
  await h.bot.idle();
  const stored = await h.bot.store.messages.list(
    (await h.bot.store.messages.get(String(pressed.body.id)))?.conversationId ?? '',
  );
  expect(stored.filter((m) => m.direction === 'in').map((m) => m.content)).toEqual([
    { type: 'postback', payload: 'size:L', title: 'Large' },
    { type: 'postback', payload: 'webchat/join {"page":"/shop"}' },
  ]);
  expect(stored.map((m) => m.text)).toContain('You chose: Large');
  // The customer's profile name came from the token.
  const customer = await h.bot.store.customers.get(stored[0]?.customerId ?? '');
  expect(customer?.profile.name).toBe('Ana');

  // Polling shows the event as an event (Web Chat does not render it), and the bot's replies.
  const polled = await call('GET', `${path}?watermark=`, token);
  const activities = polled.body.activities as Json[];
  // The button press, the greeting, its answer; the event, its answer.
  expect(activities.map((a) => a.type)).toEqual(['message', 'message', 'message', 'event', 'message']);
  expect(activities[3]).toMatchObject({
    name: 'webchat/join',
    from: { id: 'dl_node_buttons', role: 'user' },
  });
  // Nothing new after the last watermark.
  const again = await call('GET', `${path}?watermark=${polled.body.watermark}`, token);
  expect(again.body).toEqual({ activities: [], watermark: polled.body.watermark });
});

test('a client retry with the same clientActivityID is stored once and gets the same id', async () => {
  const { token, conversationId } = await generate();
  const activity = {
    type: 'message',
    from: { id: 'whoever' },
    text: 'once please',
    channelData: { clientActivityID: '1767225600000abc123' },
  };
  const a = await call('POST', `/conversations/${conversationId}/activities`, token, activity);
  const b = await call('POST', `/conversations/${conversationId}/activities`, token, activity);
  expect(a.status).toBe(200);
  expect(b.body.id).toBe(a.body.id);
  await h.bot.idle();
  const message = await h.bot.store.messages.get(String(a.body.id));
  const all = await h.bot.store.messages.list(message?.conversationId ?? '');
  expect(all.filter((m) => m.text === 'once please')).toHaveLength(1);
  // The echo carries the client's id back.
  const polled = await call('GET', `/conversations/${conversationId}/activities`, token);
  expect((polled.body.activities as Json[])[0]).toMatchObject({
    id: a.body.id,
    channelData: { clientActivityID: '1767225600000abc123' },
  });
});

describe('refused', () => {
  test('a forged token, an expired token, a token for another conversation, a wrong secret', async () => {
    const mine = await generate({ id: 'dl_owner' });
    const other = await generate({ id: 'dl_other' });
    const path = (id: string) => `/conversations/${id}/activities`;
    const message = { type: 'message', from: { id: 'dl_owner' }, text: 'hi' };

    const forged = signToken(
      { conv: mine.conversationId, user: 'dl_owner' },
      'not-the-secret-0123456789abcdef0123',
      1800,
    );
    const expired = signToken(
      { conv: mine.conversationId, user: 'dl_owner', exp: Math.floor(Date.now() / 1000) - 1 },
      SECRET,
      1800,
    );
    const answers = await Promise.all([
      call('POST', path(mine.conversationId), forged, message),
      call('POST', path(mine.conversationId), expired, message),
      call('GET', path(mine.conversationId), expired),
      call('POST', '/tokens/refresh', expired),
      call('POST', path(mine.conversationId), other.token, message),
      call('GET', `/conversations/${mine.conversationId}?watermark=`, other.token),
      call('POST', '/tokens/generate', 'wrong-secret', {}),
      call('POST', '/tokens/generate', mine.token, {}),
    ]);
    expect(answers.map((a) => [a.status, (a.body.error as Json)?.code])).toEqual([
      [403, 'Forbidden'],
      [403, 'TokenExpired'],
      [403, 'TokenExpired'],
      [403, 'TokenExpired'],
      [403, 'Forbidden'],
      [403, 'Forbidden'],
      [403, 'Forbidden'],
      [403, 'Forbidden'],
    ]);
    expect((await call('POST', path(mine.conversationId), undefined, message)).status).toBe(401);
    expect((await call('GET', '/conversations/AAAAAAAAAAAAAAAAAAAAAA?watermark=', SECRET)).status).toBe(404);
    expect((await call('GET', '/conversations/..%2F..%2Fx/activities', SECRET)).status).toBe(404);
    expect((await call('GET', '/conversations/AAAAAAAAAAAAAAAAAAAAAA?watermark=', SECRET)).body).toEqual({
      error: { code: 'NotFound', message: expect.any(String) },
    });
    const upload = await call(
      'POST',
      `/conversations/${mine.conversationId}/upload?userId=dl_owner`,
      mine.token,
      {},
    );
    expect(upload).toEqual({
      status: 404,
      body: { error: { code: 'NotFound', message: expect.any(String) } },
    });
    // Nothing was stored for the owner.
    expect(await h.bot.store.identities.find('directline', 'dl_owner')).toBeNull();

    // The WebSocket refuses the same way, before upgrading.
    const start = await call('POST', '/conversations', mine.token);
    const streamUrl = String(start.body.streamUrl);
    const refused = async (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
    expect(await refused(streamUrl.replace(/t=[^&]+/, `t=${expired}`))).toBe(403);
    expect(await refused(streamUrl.replace(/t=[^&]+/, `t=${other.token}`))).toBe(403);
    expect(await refused(streamUrl)).toBe(101);
  });

  test('refresh: a new token for the same conversation, and it works', async () => {
    const { token, conversationId } = await generate({ id: 'dl_refresh' });
    const refreshed = await call('POST', '/tokens/refresh', token);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ conversationId, expires_in: 1800 });
    const posted = await call(
      'POST',
      `/conversations/${conversationId}/activities`,
      String(refreshed.body.token),
      {
        type: 'message',
        from: { id: 'dl_refresh' },
        text: 'still me',
      },
    );
    expect(posted.status).toBe(200);
  });

  test('malformed payloads are 400 in Direct Line shape and store nothing', async () => {
    const { token, conversationId } = await generate({ id: 'dl_malformed' });
    const path = `/conversations/${conversationId}/activities`;
    const bad: unknown[] = [
      '{"type": "message", "text": ',
      { text: 'no type' },
      { type: 'message', text: 42 },
      { type: 'message', text: '   ' },
      { type: 'message', text: 'x'.repeat(5000) },
      { type: 'event' },
      { type: 'invoke', name: 'signin/verifyState' },
      { type: 'message', text: 'hi', channelData: { clientActivityID: 'spaces are not ok' } },
      { type: 'message', text: 'hi', attachments: 'not a list' },
      { type: 'message', value: { big: 'x'.repeat(20_000) } },
      [1, 2, 3],
    ];
    for (const body of bad) {
      const res = await call('POST', path, token, body);
      expect([res.status, JSON.stringify(body).slice(0, 40)]).toEqual([
        400,
        JSON.stringify(body).slice(0, 40),
      ]);
      expect(res.body).toEqual({
        error: {
          // A body that is not JSON at all is refused by the server's JSON parser, before
          // the channel: the same shape, Switchboard's code.
          code: expect.stringMatching(/^(BadArgument|MissingProperty|SB_PAYLOAD_INVALID)$/),
          message: expect.any(String),
        },
      });
    }
    const badGenerate = await call('POST', '/tokens/generate', SECRET, { user: { id: 7 } });
    expect(badGenerate.status).toBe(400);
    const badWatermark = await call('GET', `${path}?watermark=../../etc`, token);
    expect(badWatermark.status).toBe(400);
    expect(await h.bot.store.identities.find('directline', 'dl_malformed')).toBeNull();
  });
});

test('a token issued with a signed web identity links the Direct Line user to that account', async () => {
  const identity = signIdentityToken(
    { sub: 'shop-user-42', name: 'Grace Hopper', email: 'grace@example.com' },
    IDENTITY_SECRET,
  );
  const { token, conversationId } = await generate(undefined, { 'x-switchboard-identity': identity });
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Json;
  expect(String(claims.user)).toMatch(/^dl_/); // derived, not the account id
  expect(JSON.stringify(claims)).toContain('shop-user-42');
  await call('POST', `/conversations/${conversationId}/activities`, token, {
    type: 'message',
    text: 'hello',
  });
  const account = await h.bot.store.identities.find('account', 'shop-user-42');
  const mine = await h.bot.store.identities.find('directline', String(claims.user));
  expect(account).not.toBeNull();
  expect(mine?.customerId).toBe(account?.customerId);
  expect(mine?.linkedBy).toBe('verified_token');
  expect((await h.bot.store.customers.get(account?.customerId ?? ''))?.profile).toMatchObject({
    name: 'Grace Hopper',
    email: 'grace@example.com',
  });
  // A second token for the same account is the same Direct Line user.
  const again = await generate(undefined, { 'x-switchboard-identity': identity });
  expect(JSON.parse(Buffer.from(again.token.split('.')[1] ?? '', 'base64url').toString()).user).toBe(
    claims.user,
  );
  // A forged identity is refused, and mints nothing.
  const forged = signIdentityToken({ sub: 'shop-user-42' }, 'another-secret-0123456789abcdef012345');
  const refused = await call('POST', '/tokens/generate', SECRET, {}, { 'x-switchboard-identity': forged });
  expect(refused.status).toBe(403);
});

test('replies use the Content → Activity mapping shared with the Bot Framework channel', () => {
  const content = {
    type: 'card' as const,
    cards: [
      {
        title: 'Tote',
        imageUrl: 'https://shop.example/tote.png',
        buttons: [{ type: 'postback' as const, title: 'Buy', payload: 'buy' }],
      },
    ],
  };
  const message = {
    id: 'msg_1',
    conversationId: 'conv_1',
    customerId: 'cus_1',
    seq: 2,
    direction: 'out' as const,
    author: 'bot' as const,
    channel: 'directline',
    content,
    text: 'Tote',
    replyToId: 'msg_0',
    delivery: 'sent' as const,
    attempts: 0,
    createdAt: Date.UTC(2026, 0, 1),
  };
  expect(toActivity(message, { conversationId: 'dlconv', userId: 'dl_u', botName: 'Northwind' })).toEqual({
    ...renderActivity(content),
    id: 'msg_1',
    timestamp: '2026-01-01T00:00:00.000Z',
    channelId: 'directline',
    conversation: { id: 'dlconv' },
    from: { id: 'switchboard-bot', name: 'Northwind', role: 'bot' },
    recipient: { id: 'dl_u', role: 'user' },
    replyToId: 'msg_0',
  });
});

test("settings: off without DIRECTLINE_SECRET; a short secret or a token lifetime under Web Chat's refresh is refused", () => {
  expect(directLineSettings({ env: {} })).toBeNull();
  expect(directLineSettings({ env: { DIRECTLINE_SECRET: SECRET } })).toEqual({
    secret: SECRET,
    tokenTtlSeconds: 1800,
  });
  expect(() => directLineSettings({ env: { DIRECTLINE_SECRET: 'short' } })).toThrow(
    /DIRECTLINE_SECRET: must be at least 32/,
  );
  expect(() =>
    directLineSettings({ env: { DIRECTLINE_SECRET: SECRET, DIRECTLINE_TOKEN_TTL_MINUTES: '10' } }),
  ).toThrow(/DIRECTLINE_TOKEN_TTL_MINUTES: must be a whole number of minutes from 20/);
  expect(() => directLineSettings({ env: { DIRECTLINE_TOKEN_TTL_MINUTES: '30' } })).toThrow(
    /DIRECTLINE_SECRET: is required/,
  );
});
