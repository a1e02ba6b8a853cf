/**
 * The operator desk's latencies, next to the bot's own answer path in the same run.
 *
 * A real `createSwitchboard` bot (the sample bot: intents, flows, handoff.yml; SQLite WAL)
 * with its Slack app pointed at a fake Slack Web API on 127.0.0.1 that answers at once and
 * records when each call arrives. `--customers` web customers in parallel each:
 * 1. ask `--relays` questions, each answered by the bot — **bot reply** (the peer figure: the
 *    ordinary path, POST → NLU → flow → stored → pushed on the WebSocket);
 * 2. ask for a person — **escalation → card**: from the POST to the card's
 *    `chat.postMessage` reaching Slack (queue, envelope, desk outbox, Block Kit);
 * 3. after a signed Claim, write `--relays` messages — **customer → thread**: from the POST
 *    to the relay's `chat.postMessage` reaching Slack;
 * 4. get as many operator replies — **operator → customer**: from the signed Slack event
 *    POST to the message arriving on the customer's WebSocket;
 * then the operator resolves.
 *
 * Usage: npm run bench -- desk [--customers 10] [--relays 10]
 */
import { channels } from '../adapters';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { signSlackRequest } from '../adapters/slack';
import { createSwitchboard } from '../src/app';
import { loadConfig } from '../src/config';
import { parseHandoffConfig } from '../src/handoff';
import { percentile, table } from './load';

const root = path.resolve(__dirname, '../..');
const SECRET = 'bench-signing-secret-0123456789';
const OPERATORS = ['U0ADA00001', 'U0GRACE001'];

interface FakeSlack {
  apiUrl: string;
  /** Resolves when a chat.postMessage carrying this metadata key arrives. */
  waitFor(key: string): Promise<{ at: number; ts: string }>;
  close(): Promise<void>;
}

async function fakeSlack(): Promise<FakeSlack> {
  let ts = 1767226000;
  const seen = new Map<string, { at: number; ts: string }>();
  const waiting = new Map<string, (hit: { at: number; ts: string }) => void>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const at = performance.now();
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
      const args: Record<string, string> = String(req.headers['content-type']).includes('json')
        ? (JSON.parse(raw || '{}') as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(raw));
      let body: Record<string, unknown> = { ok: true };
      if (method === 'auth.test')
        body = { ok: true, user_id: 'U0BOT00001', bot_id: 'B0BOT00001', team_id: 'T0BENCH01' };
      if (method === 'chat.postMessage') {
        ts += 1;
        const metadata = typeof args.metadata === 'string' ? JSON.parse(args.metadata) : args.metadata;
        const key = (metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key;
        const hit = { at, ts: `${ts}.000100` };
        if (key) {
          seen.set(key, hit);
          waiting.get(key)?.(hit);
        }
        body = { ok: true, channel: args.channel, ts: hit.ts };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    waitFor: (key) => {
      const hit = seen.get(key);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiting.set(key, resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { customers: { type: 'string', default: '10' }, relays: { type: 'string', default: '10' } },
  });
  const customers = Number(values.customers);
  const relays = Number(values.relays);
  const slack = await fakeSlack();
  const { mkdtempSync } = await import('node:fs');
  const os = await import('node:os');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'sb-bench-desk-')),
    BOT_DIR: root,
    SLACK_BOT_TOKEN: 'xoxb-bench-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
  });
  // The sample bot's teams, with operators roomy enough for every bench customer at once.
  const handoff = parseHandoffConfig(`
default_team: support
teams:
  support: { channel: C0SUPPORT1 }
operators:
${OPERATORS.map((id) => `  - { slack: ${id}, name: ${id}, teams: [support], capacity: ${customers} }`).join('\n')}
`);
  const bot = createSwitchboard(config, { channels, desk: { config: handoff } });
  await bot.start();
  const url = bot.url;
  const signed = (p: string, raw: string, contentType: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return fetch(`${url}${p}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signSlackRequest(SECRET, timestamp, raw),
      },
      body: raw,
    });
  };
  const lat = {
    reply: [] as number[],
    card: [] as number[],
    relay: [] as number[],
    operator: [] as number[],
  };
  let eventSeq = 0;

  const one = async (i: number) => {
    const visitorId = `bench-desk-${process.pid}-${i}`;
    const heard: { text: string; author: string; at: number }[] = [];
    const wakers: (() => void)[] = [];
    const socket = new WebSocket(`${url.replace('http', 'ws')}/web/socket?visitorId=${visitorId}`);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { message?: { text: string; author: string } };
      if (frame.message) {
        heard.push({ ...frame.message, at: performance.now() });
        for (const wake of wakers.splice(0)) wake();
      }
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const hear = async (test: (m: { text: string; author: string }) => boolean, from: number) => {
      for (;;) {
        const found = heard.slice(from).find(test);
        if (found) return found;
        await new Promise<void>((resolve) => wakers.push(resolve));
      }
    };
    let n = 0;
    const say = async (text: string) => {
      const res = await fetch(`${url}/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorId, text, clientMessageId: `${visitorId}-${++n}` }),
      });
      return (await res.json()) as { conversationId: string; messageId: string };
    };
    // 1. The bot's own answers (the peer figure), as many as there will be relays.
    let from = heard.length;
    let t0 = performance.now();
    for (let r = 0; r < relays; r++) {
      from = heard.length;
      t0 = performance.now();
      await say(r % 2 ? 'what are your opening hours?' : 'how long does shipping take?');
      lat.reply.push((await hear((m) => m.author === 'bot', from)).at - t0);
    }
    // 2. Escalation → card in Slack.
    t0 = performance.now();
    const { conversationId } = await say('I want to talk to a person');
    const card = await slack.waitFor(`card:${conversationId}${await cardTag(conversationId)}`);
    lat.card.push(card.at - t0);
    const operator = OPERATORS[i % OPERATORS.length] as string;
    const payload = {
      type: 'block_actions',
      user: { id: operator },
      team: { id: 'T0BENCH01' },
      actions: [{ action_id: 'desk:claim', type: 'button', value: conversationId }],
    };
    from = heard.length;
    await signed(
      '/webhooks/slack/interactivity',
      `payload=${encodeURIComponent(JSON.stringify(payload))}`,
      'application/x-www-form-urlencoded',
    );
    await hear((m) => /has joined/.test(m.text), from);
    for (let r = 0; r < relays; r++) {
      // 3. Customer → thread.
      t0 = performance.now();
      const { messageId } = await say(`customer message ${r}`);
      lat.relay.push((await slack.waitFor(`relay:${messageId}`)).at - t0);
      // 4. Operator → customer.
      from = heard.length;
      const text = `operator answer ${r} for ${i}`;
      t0 = performance.now();
      await signed(
        '/webhooks/slack/events',
        JSON.stringify({
          type: 'event_callback',
          team_id: 'T0BENCH01',
          event_id: `EvB${process.pid}${++eventSeq}`,
          event: {
            type: 'message',
            channel: 'C0SUPPORT1',
            user: operator,
            text,
            ts: `${1767300000 + eventSeq}.000001`,
            thread_ts: card.ts,
          },
        }),
        'application/json',
      );
      lat.operator.push((await hear((m) => m.text === text, from)).at - t0);
    }
    const resolve = {
      ...payload,
      actions: [{ action_id: 'desk:resolve', type: 'button', value: conversationId }],
    };
    await signed(
      '/webhooks/slack/interactivity',
      `payload=${encodeURIComponent(JSON.stringify(resolve))}`,
      'application/x-www-form-urlencoded',
    );
    socket.close();
  };
  /** The card's idempotency tag is the handoff's requestedAt. */
  const cardTag = async (conversationId: string) => {
    for (;;) {
      const conversation = await bot.store.conversations.get(conversationId);
      const at = conversation?.handoff?.requestedAt;
      if (typeof at === 'number') return `:${at}`;
      await new Promise((r) => setTimeout(r, 2));
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: customers }, (_, i) => one(i)));
  const seconds = (performance.now() - started) / 1000;
  await bot.stop();
  await slack.close();

  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [name, sorted.length, percentile(sorted, 50).toFixed(1), percentile(sorted, 99).toFixed(1)];
  };
  console.log(
    `${customers} web customers in parallel, ${relays} relays each way; sample bot, SQLite, fake Slack on 127.0.0.1 (${seconds.toFixed(1)} s)\n`,
  );
  console.log(
    table(
      ['path', 'n', 'p50 ms', 'p99 ms'],
      [
        row('bot reply (peer: the ordinary path, POST → answer on the socket)', lat.reply),
        row('escalation → card in Slack (POST → chat.postMessage arrives)', lat.card),
        row('customer → thread (POST → relay chat.postMessage arrives)', lat.relay),
        row('operator → customer (signed Slack event → message on the socket)', lat.operator),
      ],
    ),
  );
}
