/**
 * A fake Telegram Bot API on 127.0.0.1: `POST /bot<token>/<method>` with JSON bodies,
 * answering `{ok, result}` / `{ok:false, error_code, description, parameters}` like the
 * real one. telegraf is pointed at it with `apiRoot`. Records every call; a test can
 * script answers per call and feed updates to `getUpdates` (long poll held briefly).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fixturesDir } from '../helpers/fixtures';

export const FIXTURES_DIR = fixturesDir;

export function fixture<T = Record<string, unknown>>(platform: string, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, platform, file), 'utf8')) as T;
}

export const TOKEN = '6000000001:AAFakeTokenForTestsOnly_abcdefghij';
export const SECRET = 'tg_Secret-Token_123';

export interface TgCall {
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: recorded JSON, read freely by tests
  body: any;
  at: number;
}

export type TgAnswer = { status: number; body: unknown };

export interface FakeTelegram {
  url: string;
  calls: TgCall[];
  /** Calls that deliver something to a chat (not getMe/getUpdates/deleteWebhook). */
  deliveries(): TgCall[];
  /** Overrides the default answer; return undefined to keep it. */
  script(fn: (call: TgCall) => TgAnswer | undefined): void;
  /** Updates the next getUpdates call returns (respecting its offset). */
  queueUpdates(updates: { update_id: number }[]): void;
  close(): Promise<void>;
}

const BACKGROUND = new Set(['getMe', 'getUpdates', 'deleteWebhook', 'answerCallbackQuery']);

export async function startFakeTelegram(): Promise<FakeTelegram> {
  const calls: TgCall[] = [];
  let scripted: (call: TgCall) => TgAnswer | undefined = () => undefined;
  let pending: { update_id: number }[] = [];
  let messageId = 1000;
  const me = fixture<{ result: unknown }>('telegram', 'getme-response.json').result;

  const defaults = (call: TgCall): TgAnswer => {
    const ok = (result: unknown): TgAnswer => ({ status: 200, body: { ok: true, result } });
    switch (call.method) {
      case 'getMe':
        return ok(me);
      case 'deleteWebhook':
      case 'setWebhook':
      case 'answerCallbackQuery':
      case 'sendChatAction':
        return ok(true);
      default:
        if (call.method.startsWith('send')) {
          return ok({
            message_id: ++messageId,
            chat: { id: call.body?.chat_id, type: 'private' },
            date: Math.floor(Date.now() / 1000),
            ...(typeof call.body?.text === 'string' && { text: call.body.text }),
          });
        }
        return {
          status: 404,
          body: { ok: false, error_code: 404, description: `Not Found: method ${call.method}` },
        };
    }
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', async () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      const send = (a: TgAnswer) => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(a.body));
      };
      if (!match || match[1] !== TOKEN) {
        send({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
        return;
      }
      let body: unknown = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = { unparsed: raw };
      }
      const call: TgCall = { method: match[2] as string, body, at: Date.now() };
      calls.push(call);
      const answer = scripted(call);
      if (answer) return send(answer);
      if (call.method === 'getUpdates') {
        const offset = Number((body as { offset?: number }).offset ?? 0);
        pending = pending.filter((u) => u.update_id >= offset);
        if (pending.length === 0) await new Promise((r) => setTimeout(r, 100)); // a short long-poll
        const batch = pending.filter((u) => u.update_id >= offset);
        return send({ status: 200, body: { ok: true, result: batch } });
      }
      send(defaults(call));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    deliveries: () => calls.filter((c) => !BACKGROUND.has(c.method)),
    script: (fn) => {
      scripted = fn;
    },
    queueUpdates: (updates) => {
      pending.push(...updates);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function until(probe: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
