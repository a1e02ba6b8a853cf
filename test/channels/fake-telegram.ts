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
  /** A file getFile knows and the file server (`/file/bot<token>/<path>`) serves. */
  addFile(fileId: string, bytes: Buffer, filePath: string, contentType?: string): void;
  close(): Promise<void>;
}

const BACKGROUND = new Set([
  'getMe',
  'getUpdates',
  'deleteWebhook',
  'answerCallbackQuery',
  'getFile',
  'file',
]);

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

  const files = new Map<string, { bytes: Buffer; path: string; type: string }>();
  const server = http.createServer((req, res) => {
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (download) {
      const file = [...files.values()].find((f) => f.path === download[2]);
      if (download[1] !== TOKEN || !file) {
        res.writeHead(404).end();
        return;
      }
      calls.push({ method: 'file', body: { path: file.path }, at: Date.now() });
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }
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
      if (call.method === 'getFile') {
        const file = files.get(String((body as { file_id?: unknown }).file_id));
        if (!file)
          return send({
            status: 400,
            body: { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' },
          });
        return send({
          status: 200,
          body: {
            ok: true,
            result: {
              file_id: (body as { file_id: string }).file_id,
              file_size: file.bytes.length,
              file_path: file.path,
            },
          },
        });
      }
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
    addFile: (fileId, bytes, filePath, contentType = 'application/octet-stream') => {
      files.set(fileId, { bytes, path: filePath, type: contentType });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { until } from '../helpers/until';
