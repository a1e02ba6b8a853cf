/**
 * Crash safety, with real processes killed by SIGKILL: a message accepted before the
 * crash is answered exactly once after the restart, whether the crash came before the
 * handler replied, after it replied but before it finished, or before the reply left
 * for the platform.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/bot';
import { killAll, sigkill, startBotProcess } from '../helpers/process';
import { untilValue as until } from '../helpers/until';

const root = path.resolve(__dirname, '../..');
function startBot(env: Record<string, string>) {
  return startBotProcess(path.join(root, 'test/fixtures/crash-bot.ts'), env, { timeoutMs: 20_000 });
}

const kill = sigkill;

async function webHistory(url: string, visitorId: string) {
  const res = await fetch(`${url}/web/messages?visitorId=${visitorId}`);
  return ((await res.json()) as { messages: { author: string; text: string }[] }).messages;
}

afterEach(async () => {
  await killAll();
});

describe.each(['hold-before-reply', 'hold-after-reply'])('killed during the handler (%s)', (text) => {
  test('after the restart the reply exists exactly once', async () => {
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, FAKECHAT_API: 'http://127.0.0.1:9' };
    const first = await startBot({ ...env, HOLD: '1' });
    const accepted = await fetch(`${first.url}/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId: 'crash-visitor-1', text }),
    });
    expect(accepted.status).toBe(202);
    await until('the handler to block', () =>
      first.output.some((l) => l === 'HANDLING' || l === 'REPLIED') ? true : undefined,
    );
    await kill(first.child);

    const second = await startBot(env);
    const messages = await until('the reply after the restart', async () => {
      const history = await webHistory(second.url, 'crash-visitor-1');
      return history.some((m) => m.author === 'bot') ? history : undefined;
    });
    // Let the worker settle, then check nothing was answered twice.
    await new Promise((r) => setTimeout(r, 500));
    const final = await webHistory(second.url, 'crash-visitor-1');
    expect(final.map((m) => [m.author, m.text])).toEqual([
      ['customer', text],
      ['bot', `answer: ${text}`],
    ]);
    expect(messages.length).toBeLessThanOrEqual(final.length);
  });
});

test('killed while the reply waits for a platform that is down: delivered exactly once after the restart', async () => {
  let mode: 'down' | 'up' = 'down';
  const attempts: string[] = [];
  const delivered: { text: string; messageId: string }[] = [];
  const api = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { text: string; messageId: string };
      attempts.push(mode);
      if (mode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"description":"unavailable"}');
        return;
      }
      delivered.push(parsed);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"id":"fc-${delivered.length}"}`);
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  try {
    const env = { DATA_DIR: tempDir(), FAKECHAT_API: apiUrl };
    const first = await startBot(env);
    const inbound = await fetch(`${first.url}/webhooks/fakechat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'upd-1', from: 'user-7', text: 'ping' }),
    });
    expect(inbound.status).toBe(200);
    await until('a failed delivery attempt', () => (attempts.length >= 2 ? true : undefined));
    await kill(first.child);

    mode = 'up';
    const second = await startBot(env);
    await until('the delivery after the restart', () => (delivered.length >= 1 ? true : undefined));
    // The platform redelivers the same update after our restart: still one reply.
    await fetch(`${second.url}/webhooks/fakechat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'upd-1', from: 'user-7', text: 'ping' }),
    });
    await new Promise((r) => setTimeout(r, 700));
    expect(delivered.map((d) => d.text)).toEqual(['answer: ping']);
  } finally {
    api.close();
  }
});
