/**
 * The CRM profile provider: a JSON file (the sample bot's), an HTTP webhook on
 * 127.0.0.1, and a TypeScript function. Data lands on `customer.profile.crm` on first
 * contact (the first reply can use it) and when the desk (or the admin API) asks.
 */
import { channels } from '../../adapters';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { signIdentityToken } from '../../adapters/web';
import { createSwitchboard } from '../../src/app';
import { setHumanAvailability } from '../../src/handoff';
import { loadConfig } from '../../src/config';
import { customerScope } from '../../src/flows/engine';
import { Template } from '../../src/flows/template';
import { type ProfileLookup, fileProfileProvider, lookupKeys } from '../../src/crm';
import type { Customer } from '../../src/model';
import { startTestBot, type TestBot, tempDir } from '../helpers/bot';

const SECRET = 'identity-secret-identity-secret-0123456789';
const TOKEN = 'test-admin-token-0123456789abcdef';

/** A bot whose greeting uses CRM data as the issue writes it. */
function writeBot(extra: Record<string, string> = {}): string {
  const dir = tempDir('sb-crm-');
  const files: Record<string, string> = {
    'intents/main.yml': `
intents:
  greet:
    examples: [hi, hello, hey there, good morning, hello again]
  bye:
    examples: [bye, goodbye, see you later, that is all thanks]
`,
    'flows/main.yml': `
flows:
  greet:
    trigger: greet
    steps:
      hello:
        say: "Hello {{customer.name}} ({{customer.profile.tier}} member, {{length(customer.profile.orders)}} orders)."
        end: true
  bye:
    trigger: bye
    steps:
      done:
        say: Bye!
        end: true
`,
    'customers.json': JSON.stringify({
      'acct-42': { name: 'Ana Lima', tier: 'gold', orders: ['ORD-10001', 'ORD-10002'] },
      'bo@example.com': { name: 'Bo Berg', tier: 'silver', orders: ['ORD-10003'] },
    }),
    ...extra,
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

async function say(bot: TestBot, visitorId: string, text: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${bot.baseUrl}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ visitorId, text }),
  });
  expect(res.status).toBe(202);
  await bot.bot.idle();
}

async function botSaid(bot: TestBot, visitorId: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${bot.baseUrl}/web/messages?visitorId=${visitorId}`, { headers });
  const body = (await res.json()) as { messages: { author: string; text: string }[] };
  return body.messages.filter((m) => m.author === 'bot').map((m) => m.text);
}

async function customerOf(bot: TestBot, visitorId: string): Promise<Customer> {
  const identity = await bot.bot.store.identities.find('web', visitorId);
  const customer = identity && (await bot.bot.store.customers.get(identity.customerId));
  if (!customer) throw new Error('no customer');
  return customer;
}

let sb: TestBot | undefined;
afterEach(async () => {
  await sb?.stop();
  sb = undefined;
});

test('CRM_FILE: a signed-in visitor is looked up by account id on first contact; the first reply uses it', async () => {
  const dir = writeBot();
  sb = await startTestBot({
    env: { BOT_DIR: dir, CRM_FILE: 'customers.json', WEB_IDENTITY_SECRET: SECRET },
  });
  const identity = { 'x-switchboard-identity': signIdentityToken({ sub: 'acct-42' }, SECRET) };
  await say(sb, 'visitor-crm-0001', 'hello', identity);
  expect(await botSaid(sb, 'visitor-crm-0001', identity)).toEqual([
    'Hello Ana Lima (gold member, 2 orders).',
  ]);
  const customer = await customerOf(sb, 'visitor-crm-0001');
  expect(customer.profile.crm).toEqual({
    name: 'Ana Lima',
    tier: 'gold',
    orders: ['ORD-10001', 'ORD-10002'],
  });
});

test('the desk refreshes on handoff (bot.enrichCustomer); the admin API too; unknown customers are not_found', async () => {
  const dir = writeBot();
  sb = await startTestBot({ env: { BOT_DIR: dir, CRM_FILE: 'customers.json', ADMIN_API_TOKEN: TOKEN } });
  await say(sb, 'visitor-crm-0002', 'hello');
  const customer = await customerOf(sb, 'visitor-crm-0002');
  expect(customer.profile.crm).toBeUndefined();
  expect((await sb.bot.enrichCustomer(customer.id, 'handoff')).status).toBe('not_found');

  // The customer told us their e-mail (say, through a flow); the next lookup finds them.
  await sb.bot.store.customers.update(customer.id, { profile: { email: 'Bo@Example.com' } });
  const result = await sb.bot.enrichCustomer(customer.id, 'handoff');
  expect(result.status).toBe('enriched');
  expect(result.customer.profile.crm).toMatchObject({ name: 'Bo Berg', tier: 'silver' });

  const res = await fetch(`${sb.baseUrl}/api/v1/customers/${customer.id}/enrich`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({
    status: 'enriched',
    customer: { profile: { crm: { tier: 'silver' } } },
  });
  await expect(sb.bot.enrichCustomer('cus_nobody', 'handoff')).rejects.toMatchObject({
    code: 'SB_NOT_FOUND',
  });
});

test('the sample bot with its file provider: a gold member with a complaint goes straight to a person', async () => {
  sb = await startTestBot({
    env: {
      BOT_DIR: path.resolve(__dirname, '../..'),
      CRM_FILE: 'shop-data/customers.json',
      WEB_IDENTITY_SECRET: SECRET,
    },
    // Someone works the queue (this test has no Slack): the handoff is queued, not declined.
    setup: (b) =>
      b.use((ctx, next) => {
        setHumanAvailability(ctx, { available: true });
        return next();
      }),
  });
  const identity = {
    'x-switchboard-identity': signIdentityToken({ sub: 'shop-user-1', email: 'ana@example.com' }, SECRET),
  };
  await say(sb, 'visitor-crm-0010', 'I want to make a complaint', identity);
  expect(await botSaid(sb, 'visitor-crm-0010', identity)).toEqual([
    "I'm sorry about this, Ana Silva. As a gold member you go straight to a colleague from customer care.",
    // The desk (the sample bot has a handoff.yml) tells the customer their place in line.
    expect.stringMatching(/^You're number 1 in line/),
  ]);
  const customer = await customerOf(sb, 'visitor-crm-0010');
  const conversation = await sb.bot.store.conversations.findOpen(customer.id);
  expect(conversation?.status).toBe('queued');
  expect(conversation?.handoff).toMatchObject({ priority: 'high' });
}, 60_000);

describe('CRM_WEBHOOK_URL', () => {
  let server: http.Server;
  let base = '';
  const received: { body: Record<string, unknown>; signature: string | undefined }[] = [];
  let answer: (body: Record<string, unknown>) => { status: number; body?: unknown; delayMs?: number } =
    () => ({
      status: 200,
      body: { name: 'Cy Hook', tier: 'platinum', orders: [] },
    });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        const header = req.headers['x-switchboard-signature'];
        received.push({ body, signature: typeof header === 'string' ? header : undefined });
        const out = answer(body);
        const send = () => {
          res.statusCode = out.status;
          res.setHeader('content-type', 'application/json');
          res.end(out.body === undefined ? '' : JSON.stringify(out.body));
        };
        if (out.delayMs) setTimeout(send, out.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('a signed POST on first contact; the answer is the customer CRM data', async () => {
    const dir = writeBot();
    sb = await startTestBot({
      env: { BOT_DIR: dir, CRM_WEBHOOK_URL: `${base}/crm`, CRM_WEBHOOK_SECRET: 'crm-secret' },
    });
    await say(sb, 'visitor-crm-0003', 'hello');
    expect(await botSaid(sb, 'visitor-crm-0003')).toEqual(['Hello Cy Hook (platinum member, 0 orders).']);
    const call = received.at(-1);
    expect(call?.body).toMatchObject({
      reason: 'first_contact',
      identities: [{ channel: 'web', externalId: 'visitor-crm-0003' }],
    });
    const expected = createHmac('sha256', 'crm-secret').update(JSON.stringify(call?.body)).digest('hex');
    expect(call?.signature).toBe(`sha256=${expected}`);
  });

  test('a CRM slower than CRM_TIMEOUT_MS does not hold the reply back: the bot answers without it', async () => {
    answer = () => ({ status: 200, body: { name: 'Too Late', tier: 'gold', orders: [] }, delayMs: 3000 });
    const dir = writeBot({
      'flows/main.yml': `
flows:
  greet:
    trigger: greet
    steps:
      hello:
        say: "Hello! Tier: [{{customer.profile.tier}}]"
        end: true
`,
    });
    sb = await startTestBot({
      env: { BOT_DIR: dir, CRM_WEBHOOK_URL: `${base}/crm`, CRM_TIMEOUT_MS: '200' },
    });
    await say(sb, 'visitor-crm-0004', 'hello');
    expect(await botSaid(sb, 'visitor-crm-0004')).toEqual(['Hello! Tier: []']);
    const customer = await customerOf(sb, 'visitor-crm-0004');
    expect(customer.profile.crm).toBeUndefined();
    const result = await sb.bot.enrichCustomer(customer.id, 'handoff');
    expect(result).toMatchObject({ status: 'failed', error: expect.stringMatching(/CRM_TIMEOUT_MS/) });
    answer = () => ({ status: 404 });
    expect((await sb.bot.enrichCustomer(customer.id, 'handoff')).status).toBe('not_found');
  });
});

test('a TypeScript provider (createSwitchboard option) gets the lookup and an abort signal', async () => {
  const lookups: ProfileLookup[] = [];
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir(),
    LOG_LEVEL: 'silent',
    BOT_DIR: writeBot(),
  });
  const bot = createSwitchboard(config, {
    channels,
    profileProvider: (lookup) => {
      lookups.push(lookup);
      return { name: 'Di Code', tier: 'bronze', orders: ['ORD-10004'] };
    },
  });
  await bot.start();
  sb = { baseUrl: bot.url, dataDir: config.dataDir, bot, stop: () => bot.stop() };
  await say(sb, 'visitor-crm-0005', 'hello');
  expect(await botSaid(sb, 'visitor-crm-0005')).toEqual(['Hello Di Code (bronze member, 1 orders).']);
  expect(lookups).toHaveLength(1);
  expect(lookups[0]?.signal).toBeInstanceOf(AbortSignal);
  // Later messages do not look the customer up again.
  await say(sb, 'visitor-crm-0005', 'hello again');
  expect(lookups).toHaveLength(1);
});

describe('units', () => {
  const customer = (profile: Customer['profile']): Customer => ({
    id: 'cus_1',
    profile,
    attributes: { vip: true },
    createdAt: 0,
    updatedAt: 0,
  });

  test('templates: the channel profile wins, CRM data fills in, {{customer.profile.crm.x}} is the CRM own', () => {
    const scope = {
      customer: customerScope(customer({ name: 'Ana', crm: { name: 'Ana Lima', tier: 'gold' } })),
    };
    const render = (t: string) => Template.parse(t).render(scope);
    expect(render('{{customer.name}}/{{customer.profile.name}}/{{customer.profile.crm.name}}')).toBe(
      'Ana/Ana/Ana Lima',
    );
    expect(render('{{customer.profile.tier}} {{customer.tier}} {{customer.id}}')).toBe('gold gold cus_1');
    expect(render('{{customer.attributes.vip}}')).toBe('true');
  });

  test('the file provider matches e-mail any case, phone any format, account ids and channel ids', () => {
    const dir = tempDir('sb-crm-file-');
    const file = path.join(dir, 'customers.json');
    writeFileSync(
      file,
      JSON.stringify({
        'Ana@Example.com': { tier: 'gold' },
        '+1 (650) 555-1234': { tier: 'silver' },
        'telegram:777': { tier: 'bronze' },
      }),
    );
    const provider = fileProfileProvider(file);
    const signal = new AbortController().signal;
    const lookup = (profile: ProfileLookup['profile'], identities: ProfileLookup['identities'] = []) =>
      provider({ customerId: 'c', reason: 'api', profile, identities, signal });
    expect(lookup({ email: 'ana@example.COM' })).toEqual({ tier: 'gold' });
    expect(lookup({}, [{ channel: 'whatsapp', externalId: '16505551234' }])).toEqual({ tier: 'silver' });
    expect(lookup({}, [{ channel: 'telegram', externalId: '777' }])).toEqual({ tier: 'bronze' });
    expect(lookup({ email: 'nobody@example.com' })).toBeNull();
    expect(lookupKeys({ profile: {}, identities: [{ channel: 'account', externalId: 'A-1' }] })[0]).toBe(
      'a-1',
    );
  });
});
