/**
 * The web channel's HTTP API and the path behind it, through real HTTP and WebSocket
 * on 127.0.0.1.
 */
import { WebSocket } from 'ws';
import { signIdentityToken } from '../../adapters/web';
import { type TestBot, startTestBot } from '../helpers/bot';

const SECRET = 'test-secret-test-secret-test-secret-0123';

async function post(bot: TestBot, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${bot.baseUrl}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(bot: TestBot, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${bot.baseUrl}/web/messages?${query}`, { headers });
  return {
    status: res.status,
    body: (await res.json()) as {
      messages: { author: string; text: string; seq: number; clientMessageId?: string }[];
      cursor: string;
    },
  };
}

/** Waits (bounded) until the visitor's conversation has `count` messages. */
async function history(bot: TestBot, visitorId: string, count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { body } = await get(bot, `visitorId=${visitorId}`);
    if (body.messages.length >= count || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('web channel', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ env: { WEB_IDENTITY_SECRET: SECRET } });
  });
  afterAll(async () => {
    await bot.stop();
  });

  test('a message is accepted (202 with ids) and the bot greets and answers', async () => {
    const res = await post(bot, { visitorId: 'visitor-aaaa0001', text: 'hello', clientMessageId: 'm1' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      conversationId: expect.stringMatching(/^cnv_/),
      messageId: expect.stringMatching(/^msg_/),
    });
    const page = await history(bot, 'visitor-aaaa0001', 3);
    expect(page.messages.map((m) => [m.author, m.text])).toEqual([
      ['customer', 'hello'],
      ['bot', "Hi! I'm Switchboard. How can I help?"],
      ['bot', 'You said: hello'],
    ]);
    expect(page.messages[0]?.clientMessageId).toBe('m1');
    // Nothing after the cursor yet.
    expect((await get(bot, `visitorId=visitor-aaaa0001&after=${page.cursor}`)).body.messages).toEqual([]);
  });

  test('the same clientMessageId posted twice is processed once', async () => {
    const first = await post(bot, { visitorId: 'visitor-aaaa0002', text: 'once', clientMessageId: 'dup-1' });
    const second = await post(bot, { visitorId: 'visitor-aaaa0002', text: 'once', clientMessageId: 'dup-1' });
    expect(second.body).toEqual(first.body);
    await bot.bot.idle();
    const page = await history(bot, 'visitor-aaaa0002', 3);
    expect(page.messages.map((m) => m.text)).toEqual([
      'once',
      "Hi! I'm Switchboard. How can I help?",
      'You said: once',
    ]);
  });

  test('50 concurrent messages to one conversation are processed in order', async () => {
    const visitorId = 'visitor-aaaa0003';
    await post(bot, { visitorId, text: 'start', clientMessageId: 's' });
    await bot.bot.idle();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(bot, { visitorId, text: `n${i}`, clientMessageId: `c${i}` })),
    );
    await bot.bot.idle();
    const page = await history(bot, visitorId, 3 + 100);
    const rest = page.messages.slice(3);
    expect(rest).toHaveLength(100);
    // Messages may be stored while an earlier one is being answered, but the bot answers
    // them strictly in their stored order, and each answer comes after its question.
    const questions = rest.filter((m) => m.author === 'customer');
    const answers = rest.filter((m) => m.author === 'bot');
    expect(answers.map((m) => m.text)).toEqual(questions.map((m) => `You said: ${m.text}`));
    answers.forEach((answer, i) => {
      expect(answer.seq).toBeGreaterThan(questions[i]?.seq ?? Number.POSITIVE_INFINITY);
    });
    expect(new Set(rest.filter((m) => m.author === 'customer').map((m) => m.text)).size).toBe(50);
  });

  test.each([
    ['missing visitorId', { text: 'hi' }, 'visitorId'],
    ['malformed visitorId', { visitorId: 'short', text: 'hi' }, 'visitorId'],
    ['missing text', { visitorId: 'visitor-aaaa0004' }, 'text'],
    ['text of the wrong type', { visitorId: 'visitor-aaaa0004', text: 42 }, 'text'],
    ['blank text', { visitorId: 'visitor-aaaa0004', text: '   ' }, 'text'],
    ['oversize text', { visitorId: 'visitor-aaaa0004', text: 'x'.repeat(4001) }, 'text'],
    [
      'malformed clientMessageId',
      { visitorId: 'visitor-aaaa0004', text: 'hi', clientMessageId: 'bad id!' },
      'clientMessageId',
    ],
    ['unknown field', { visitorId: 'visitor-aaaa0004', text: 'hi', admin: true }, 'admin'],
  ])('%s → 400 naming the field, nothing stored', async (_what, body, field) => {
    const res = await post(bot, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'SB_PAYLOAD_INVALID', message: expect.any(String), field } });
    expect((await get(bot, 'visitorId=visitor-aaaa0004')).body.messages).toEqual([]);
  });

  test('malformed JSON → 400', async () => {
    const res = await post(bot, '{"visitorId": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID' });
  });

  // Plain JSON posts are served ahead of express (the hot path); anything else (here: the
  // same bytes gzipped) by express's body parser. Both must answer alike, CORS included.
  test.each([
    ['malformed JSON → 400', '{"visitorId": ', 400],
    ['a JSON string → 400', '"hi"', 400],
    ['JSON null → 400', 'null', 400],
    ['an empty body → 400', '', 400],
    ['a missing visitorId → 400', '{"text": "hi"}', 400],
    [
      'a body over 1 MB → 413',
      JSON.stringify({ visitorId: 'visitor-aaaa0019', text: 'x'.repeat(1_100_000) }),
      413,
    ],
    [
      'a byte-order mark before the JSON → 202',
      `\ufeff${JSON.stringify({ visitorId: 'visitor-aaaa0019', text: 'bom' })}`,
      202,
    ],
  ])('%s, plain or gzipped, with CORS', async (_what, body, status) => {
    const { gzipSync } = await import('node:zlib');
    const answers = [];
    for (const gzip of [false, true]) {
      const res = await fetch(`${bot.baseUrl}/web/messages`, {
        method: 'POST',
        headers: {
          origin: 'https://shop.example',
          'content-type': 'application/json',
          ...(gzip && { 'content-encoding': 'gzip' }),
        },
        body: gzip ? gzipSync(body) : body,
      });
      const json = (await res.json()) as { error?: unknown; conversationId?: string };
      answers.push({
        status: res.status,
        cors: res.headers.get('access-control-allow-origin'),
        error: json.error,
      });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ status, cors: '*' });
    if (status !== 202) expect(answers[0]?.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID' });
  });

  test('nothing is stored for a refused body', async () => {
    for (const body of ['{"visitorId": "visitor-aaaa0020", ', '{"visitorId": "visitor-aaaa0020"}']) {
      expect((await post(bot, body)).status).toBe(400);
    }
    expect((await get(bot, 'visitorId=visitor-aaaa0020')).body.messages).toEqual([]);
  });

  test('a body over 1 MB → 413, and the connection keeps working', async () => {
    const huge = JSON.stringify({ visitorId: 'visitor-aaaa0006', text: 'x'.repeat(1_100_000) });
    const res = await post(bot, huge);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID', message: 'body is too large' });
    const next = await post(bot, { visitorId: 'visitor-aaaa0006', text: 'small' });
    expect(next.status).toBe(202);
  });

  test('bodies that are not plain JSON are parsed as express would (gzip, other types); a charset is fine', async () => {
    const { gzipSync } = await import('node:zlib');
    const body = JSON.stringify({
      visitorId: 'visitor-aaaa0017',
      text: 'compressed',
      clientMessageId: 'gz1',
    });
    const gz = await fetch(`${bot.baseUrl}/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(gz.status).toBe(202);
    const charset = await post(
      bot,
      { visitorId: 'visitor-aaaa0017', text: 'with charset', clientMessageId: 'cs1' },
      { 'content-type': 'application/json; charset=UTF-8' },
    );
    expect(charset.status).toBe(202);
    const plain = await post(bot, body, { 'content-type': 'text/plain' });
    expect(plain).toEqual({
      status: 400,
      body: { error: { code: 'SB_PAYLOAD_INVALID', message: expect.any(String), field: 'visitorId' } },
    });
    const texts = (await history(bot, 'visitor-aaaa0017', 4)).messages
      .filter((m) => m.author === 'customer')
      .map((m) => m.text);
    expect(texts).toEqual(['compressed', 'with charset']);
  });

  test('a bad identity token → 401 and nothing stored', async () => {
    const forged = signIdentityToken({ sub: 'user-1' }, 'another-secret-another-secret-another-00');
    const res = await post(
      bot,
      { visitorId: 'visitor-aaaa0005', text: 'hi' },
      { 'x-switchboard-identity': forged },
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'SB_SIGNATURE_INVALID' });
    const expired = signIdentityToken({ sub: 'user-1', exp: 1000 }, SECRET, 500);
    expect(
      (await post(bot, { visitorId: 'visitor-aaaa0005', text: 'hi' }, { 'x-switchboard-identity': expired }))
        .status,
    ).toBe(401);
    expect((await get(bot, 'visitorId=visitor-aaaa0005')).body.messages).toEqual([]);
  });

  test('a signed identity links two browsers of one logged-in customer to one conversation', async () => {
    const token = signIdentityToken(
      { sub: 'shop-user-77', name: 'Grace Hopper', email: 'grace@example.com' },
      SECRET,
    );
    const a = await post(
      bot,
      { visitorId: 'browser-laptop-1', text: 'from laptop' },
      { 'x-switchboard-identity': token },
    );
    await bot.bot.idle();
    const b = await post(
      bot,
      { visitorId: 'browser-phone-1', text: 'from phone' },
      { 'x-switchboard-identity': token },
    );
    expect(b.body.conversationId).toBe(a.body.conversationId);
    await bot.bot.idle();
    const page = await history(bot, 'browser-phone-1', 5);
    expect(page.messages.filter((m) => m.author === 'customer').map((m) => m.text)).toEqual([
      'from laptop',
      'from phone',
    ]);
    const identity = await bot.bot.store.identities.find('web', 'browser-phone-1');
    expect(identity?.linkedBy).toBe('verified_token');
    const customer = await bot.bot.store.customers.get(identity?.customerId ?? '');
    expect(customer?.profile).toMatchObject({ name: 'Grace Hopper', email: 'grace@example.com' });
  });

  test('long poll returns as soon as the reply exists', async () => {
    const visitorId = 'visitor-aaaa0006';
    await post(bot, { visitorId, text: 'first' });
    const page = await history(bot, visitorId, 3);
    const waiting = get(bot, `visitorId=${visitorId}&after=${page.cursor}&wait=20`);
    await new Promise((r) => setTimeout(r, 100));
    await post(bot, { visitorId, text: 'second' });
    const { body } = await waiting;
    expect(body.messages[0]?.text).toBe('second');
    expect(body.cursor).not.toBe(page.cursor);
  });

  test('the WebSocket pushes both directions and typing', async () => {
    const visitorId = 'visitor-aaaa0007';
    const ws = new WebSocket(`${bot.baseUrl.replace('http', 'ws')}/web/socket?visitorId=${visitorId}`);
    const frames: { type: string; message?: { author: string; text: string } }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await post(bot, { visitorId, text: 'over the socket' });
    const deadline = Date.now() + 10_000;
    while (frames.filter((f) => f.type === 'message').length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    ws.close();
    expect(
      frames.filter((f) => f.type === 'message').map((f) => [f.message?.author, f.message?.text]),
    ).toEqual([
      ['customer', 'over the socket'],
      ['bot', "Hi! I'm Switchboard. How can I help?"],
      ['bot', 'You said: over the socket'],
    ]);
  });

  test('a socket with a bad visitor id or identity token is refused', async () => {
    for (const query of ['visitorId=x', `visitorId=visitor-aaaa0008&identity=not.a.token`]) {
      const ws = new WebSocket(`${bot.baseUrl.replace('http', 'ws')}/web/socket?${query}`);
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
      expect([400, 401]).toContain(status);
    }
  });

  test('operations endpoints: healthz, readyz, metrics', async () => {
    expect(await (await fetch(`${bot.baseUrl}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${bot.baseUrl}/readyz`)).json()).toEqual({ status: 'ready', store: 'sqlite' });
    const metrics = await (await fetch(`${bot.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_messages_in_total\{channel="web"\} \d+/);
    expect(metrics).toMatch(/switchboard_messages_out_total\{channel="web"\} \d+/);
    expect(metrics).toMatch(/switchboard_processing_seconds_bucket/);
    expect(metrics).toMatch(/switchboard_outbox_backlog 0/);
    expect(metrics).toMatch(/switchboard_inbound_duplicates_total\{channel="web"\} [1-9]/);
    // The process's own figures, under prom-client's default names.
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('switchboard_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('switchboard_process_cpu_seconds_total')).toBeCloseTo(
      value('switchboard_process_cpu_user_seconds_total') +
        value('switchboard_process_cpu_system_seconds_total'),
      1,
    );
    expect(value('switchboard_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(value('switchboard_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('switchboard_process_open_fds')).toBeGreaterThan(0);
    expect(
      Math.abs(value('switchboard_process_start_time_seconds') - (Date.now() / 1000 - process.uptime())),
    ).toBeLessThan(5);
    expect(value('switchboard_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(metrics).toContain(`switchboard_nodejs_version_info{version="${process.version}"`);
  });

  test('CORS: preflight and headers for an embedding site', async () => {
    const res = await fetch(`${bot.baseUrl}/web/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/x-switchboard-identity/);
    for (const body of [{ visitorId: 'visitor-aaaa0018', text: 'hi' }, { visitorId: 'visitor-aaaa0018' }]) {
      const answer = await fetch(`${bot.baseUrl}/web/messages`, {
        method: 'POST',
        headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect([answer.status, answer.headers.get('access-control-allow-origin')]).toEqual([
        'text' in body ? 202 : 400,
        '*',
      ]);
    }
  });
});
