/**
 * A fake Slack Web API on 127.0.0.1 (speaks form-encoded and JSON bodies, like
 * @slack/web-api sends), a signer that signs requests exactly like Slack, and a bot with
 * the Slack adapter pointed at the fake.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { SlackAdapter, type SlackAdapterOptions, signSlackRequest } from '../../../adapters/slack';
import { loadConfig } from '../../../src/config';
import { Bot } from '../../../src/core/bot';
import type { Context } from '../../../src/core/context';
import { tempDir } from '../../helpers/bot';
import { fixturesDir } from '../../helpers/fixtures';

export const FIXTURES = path.join(fixturesDir, 'slack');
export const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
export const TOKEN = 'xoxb-test-token';

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

export interface SlackCall {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Decoded arguments: form fields (JSON-looking values such as `blocks` parsed) or the JSON body. */
  args: Record<string, unknown>;
  at: number;
}

export type SlackResponder = (call: SlackCall) => {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
} | null;

/** A message the fake "posted" (what conversations.history / replies return). */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown;
  metadata?: unknown;
  user?: string;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: SlackCall[];
  /** Messages posted (and not failed), in order; chat.update changes them in place. */
  messages: FakeSlackMessage[];
  posts(): SlackCall[];
  /** Posts as chat.postMessage would (a responder can post and still answer 500: an uncertain outcome). */
  postAnyway(call: SlackCall): { ok: true; channel: string; ts: string };
  /** Answers calls first (return null to fall back to the defaults). */
  respond(responder: SlackResponder | null): void;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const messages: FakeSlackMessage[] = [];
  let custom: SlackResponder | null = null;
  let ts = 1767226000;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = url.pathname.replace(/^\/api\//, '');
      const args = decode(raw, String(req.headers['content-type'] ?? ''));
      const call: SlackCall = { method, path: url.pathname, headers: req.headers, args, at: Date.now() };
      calls.push(call);
      const answer = custom?.(call) ?? defaults(call);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? { ok: true }));
    });
  });
  const defaults = (call: SlackCall): NonNullable<ReturnType<SlackResponder>> => {
    if (call.method === 'auth.test') return { body: fixture('auth-test-response.json') };
    if (call.method === 'chat.postMessage') return { body: post(call) };
    if (call.method === 'chat.update') {
      const found = messages.find((m) => m.channel === call.args.channel && m.ts === call.args.ts);
      if (!found) return { body: { ok: false, error: 'message_not_found' } };
      Object.assign(found, { text: call.args.text, blocks: call.args.blocks });
      return { body: { ok: true, channel: found.channel, ts: found.ts } };
    }
    if (call.method === 'conversations.replies') {
      const thread = messages.filter(
        (m) => m.channel === call.args.channel && (m.ts === call.args.ts || m.thread_ts === call.args.ts),
      );
      return { body: { ok: true, messages: thread } };
    }
    if (call.method === 'conversations.history') {
      const top = messages.filter((m) => m.channel === call.args.channel && !m.thread_ts);
      return { body: { ok: true, messages: [...top].reverse() } };
    }
    return { body: { ok: true } };
  };
  /** Stores a chat.postMessage as Slack would, and answers with its ts. */
  const post = (call: SlackCall) => {
    ts += 1;
    const message: FakeSlackMessage = {
      channel: String(call.args.channel),
      ts: `${ts}.000100`,
      ...(call.args.thread_ts !== undefined && { thread_ts: String(call.args.thread_ts) }),
      ...(call.args.text !== undefined && { text: String(call.args.text) }),
      ...(call.args.blocks !== undefined && { blocks: call.args.blocks }),
      ...(call.args.metadata !== undefined && { metadata: call.args.metadata }),
    };
    messages.push(message);
    return { ok: true as const, channel: message.channel, ts: message.ts, message };
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    messages,
    postAnyway: post,
    posts: () => calls.filter((c) => c.method === 'chat.postMessage'),
    respond: (next) => {
      custom = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function decode(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = /^[[{]/.test(value) ? jsonOr(value) : value;
  }
  return out;
}

/** A form field that may hold JSON (blocks, attachments) or text that merely starts with `[`. */
function jsonOr(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Headers Slack would send for `rawBody` at `timestamp` (seconds). */
export function slackHeaders(
  rawBody: string,
  options: { secret?: string; timestamp?: number; contentType?: string } = {},
): Record<string, string> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    'content-type': options.contentType ?? 'application/json',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': signSlackRequest(options.secret ?? SECRET, timestamp, rawBody),
  };
}

export interface SlackBot {
  bot: Bot<Context>;
  slack: SlackAdapter;
  fake: FakeSlack;
  logs: Record<string, unknown>[];
  /** POSTs a JSON event, signed. */
  event(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** POSTs a block_actions (or other) payload as Slack does: form field payload=<JSON>, signed. */
  interaction(payload: unknown): Promise<Response>;
  /** POSTs slash command fields, form-encoded and signed. */
  command(fields: Record<string, string>): Promise<Response>;
  post(path: string, rawBody: string, headers: Record<string, string>): Promise<Response>;
  ignoredReasons(): string[];
  stop(): Promise<void>;
}

export async function startSlackBot(
  options: {
    behaviour?: (bot: Bot<Context>) => void;
    adapter?: Partial<SlackAdapterOptions>;
    before?: (slack: SlackAdapter, fake: FakeSlack) => void;
    env?: Record<string, string>;
  } = {},
): Promise<SlackBot> {
  const fake = await startFakeSlack();
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const slack = new SlackAdapter({
    botToken: TOKEN,
    signingSecret: SECRET,
    apiUrl: fake.apiUrl,
    ...options.adapter,
  });
  options.before?.(slack, fake);
  const bot = new Bot<Context>({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: tempDir('sb-slack-'),
      LOG_LEVEL: 'silent',
      OUTBOX_MAX_ATTEMPTS: '4',
      ...options.env,
    }),
    logger,
    adapters: [slack],
    outbox: { pollIntervalMs: 20, retryBaseMs: 30, maxRetryDelayMs: 100 },
  });
  (options.behaviour ?? echo)(bot);
  await bot.start();
  const post = (p: string, rawBody: string, headers: Record<string, string>) =>
    fetch(`${bot.url}${p}`, { method: 'POST', headers, body: rawBody });
  return {
    bot,
    slack,
    fake,
    logs,
    post,
    event: (body, headers = {}) => {
      const raw = JSON.stringify(body);
      return post('/webhooks/slack/events', raw, { ...slackHeaders(raw), ...headers });
    },
    interaction: (payload) => {
      const raw = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return post(
        '/webhooks/slack/interactivity',
        raw,
        slackHeaders(raw, { contentType: 'application/x-www-form-urlencoded' }),
      );
    },
    command: (fields) => {
      const raw = new URLSearchParams(fields).toString();
      return post(
        '/webhooks/slack/commands',
        raw,
        slackHeaders(raw, { contentType: 'application/x-www-form-urlencoded' }),
      );
    },
    ignoredReasons: () => logs.filter((l) => l.msg === 'slack: ignored').map((l) => String(l.reason)),
    stop: async () => {
      await bot.stop();
      await fake.close();
    },
  };
}

/** Echo, plus a menu with buttons, so every path has something to answer. */
export function echo(bot: Bot<Context>): void {
  bot.on('text', async (ctx) => {
    if (ctx.text === 'menu') {
      await ctx.reply({
        type: 'text',
        text: 'Pick one:',
        buttons: [
          { type: 'postback', title: 'Order status', payload: 'ORDER_STATUS' },
          { type: 'postback', title: 'Talk to a person', payload: 'HUMAN' },
        ],
      });
      return;
    }
    await ctx.reply(`You said: ${ctx.text}`);
  });
  bot.on('postback', (ctx) => ctx.reply(`You chose: ${ctx.payload}`));
  bot.on('media', (ctx) =>
    ctx.reply(`Got your ${ctx.message.content.type === 'media' ? ctx.message.content.kind : 'file'}`),
  );
}

export { until } from '../../helpers/until';
