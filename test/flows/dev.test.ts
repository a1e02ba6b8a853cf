/**
 * `switchboard dev`: the bot runs, a saved flow file is reloaded, a broken save is reported
 * with file:line:column while the last good version keeps answering.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
});

test('dev reloads flows on save and keeps the last good version on a broken save', async () => {
  const dir = tempDir('sb-dev-');
  for (const sub of ['intents', 'flows', 'actions', 'shop-data']) {
    cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  }
  child = spawn(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(['dev'])`,
    ],
    { cwd: dir, env: { ...process.env, PORT: '0', DATA_DIR: tempDir('sb-dev-data-'), LOG_LEVEL: 'silent' } },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const until = async (pattern: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(out)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out.match(pattern);
  };
  const url = (await until(/web chat on (http:\/\/\S+);/))?.[1] as string;

  const ask = async (visitorId: string, text: string) => {
    await fetch(`${url}/web/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ visitorId, text }),
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${url}/web/messages?visitorId=${visitorId}`);
      const { messages } = (await res.json()) as { messages: { author: string; text: string }[] };
      const bot = messages.filter((m) => m.author === 'bot');
      if (bot.length > 0) return bot.map((m) => m.text);
      if (Date.now() > deadline) throw new Error('no answer');
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const file = path.join(dir, 'flows/returns.yml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      'I can help with that. Which order is it?',
      'Happy to help! Which order?',
    ),
  );
  await until(/↻ flows\/returns\.yml: reloaded \d+ intents, \d+ flows/);
  expect((await ask('visitor-dev00001', 'I want to return something'))[0]).toMatch(
    /^Happy to help! Which order\?/,
  );

  writeFileSync(file, readFileSync(file, 'utf8').replace('        slot: order_id\n', ''));
  await until(/✗ flows\/returns\.yml: not reloaded/);
  await until(/flows\/returns\.yml:\d+:7: ask step 'ask_order' has no 'slot'/);
  expect((await ask('visitor-dev00002', 'I want to return something'))[0]).toMatch(
    /^Happy to help! Which order\?/,
  );
}, 60_000);
