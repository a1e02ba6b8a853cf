/**
 * Flow state lives in the store: a bot process killed with SIGKILL in the middle of the
 * returns flow is restarted on the same DATA_DIR, and the next message continues the flow.
 * A broken flows file stops `switchboard start` with its file:line:column message.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/bot';
import { killAll, sigkill, startBotProcess } from '../helpers/process';

const root = path.resolve(__dirname, '../..');
const register = path.join(root, 'test/helpers/swc-register.js');

function startBot(env: Record<string, string>) {
  return startBotProcess(path.join(__dirname, 'fixtures/bot-process.ts'), env, { timeoutMs: 30_000 });
}

afterAll(async () => {
  await killAll();
});

async function say(url: string, visitorId: string, text: string, id: string): Promise<void> {
  const res = await fetch(`${url}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, text, clientMessageId: id }),
  });
  expect(res.status).toBe(202);
}

/** Waits until the bot has said something matching `pattern`; returns all bot texts. */
async function botSays(url: string, visitorId: string, pattern: RegExp): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${url}/web/messages?visitorId=${visitorId}`);
    const body = (await res.json()) as { messages: { author: string; text: string }[] };
    const texts = body.messages.filter((m) => m.author === 'bot').map((m) => m.text);
    if (texts.some((t) => pattern.test(t))) return texts;
    if (Date.now() > deadline)
      throw new Error(`the bot never said ${pattern}; it said: ${texts.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

test('SIGKILL in the middle of the returns flow: the next message continues it', async () => {
  const dataDir = tempDir('sb-restart-');
  const env = { BOT_DIR: root, DATA_DIR: dataDir };
  const visitor = 'visitor-return01';
  const first = await startBot(env);
  await say(first.url, visitor, 'I want to return something', 'm1');
  await botSays(first.url, visitor, /Which order is it\?/);
  await say(first.url, visitor, 'ORD-10002', 'm2');
  await botSays(first.url, visitor, /Which item would you like to return\?/);
  await sigkill(first.child);

  const second = await startBot(env);
  await say(second.url, visitor, 'the walnut serving board', 'm3');
  const texts = await botSays(second.url, visitor, /Why are you sending it back\?/);
  expect(texts).toEqual([
    'I can help with that. Which order is it? (e.g. ORD-10001)',
    'Which item would you like to return? In ORD-10002 you have: Ceramic mug, blue, Walnut serving board.',
    'Why are you sending it back?',
  ]);
  await say(second.url, visitor, 'Changed my mind', 'm4');
  await botSays(second.url, visitor, /To confirm: return “the walnut serving board” from ORD-10002/);
  await sigkill(second.child);
}, 90_000);

test('a broken flows file stops `switchboard start` with file:line:column, before it listens', () => {
  const botDir = tempDir('sb-broken-');
  for (const dir of ['intents', 'flows', 'actions', 'shop-data']) {
    cpSync(path.join(root, dir), path.join(botDir, dir), { recursive: true });
  }
  writeFileSync(
    path.join(botDir, 'flows/zz-extra.yml'),
    'flows:\n  extra:\n    trigger: order_status\n    steps:\n      hello:\n        say: hi\n        next: nowhere\n',
  );
  const result = spawnSync(
    process.execPath,
    ['-r', register, '-e', "require('./test/helpers/cli').main(['start'])"],
    {
      cwd: root,
      env: { ...process.env, BOT_DIR: botDir, DATA_DIR: tempDir('sb-data-'), PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(result.status).toBe(1);
  // Which folder, then each file relative to it.
  expect(result.stderr).toContain(`the bot in ${botDir} has problems; it was not started.`);
  expect(result.stderr).toContain("flows/zz-extra.yml:3:14: intent 'order_status' is claimed by two flows");
  expect(result.stderr).toContain("flows/zz-extra.yml:7:15: unknown step 'nowhere'");
  expect(result.stdout).not.toContain('running');
});
