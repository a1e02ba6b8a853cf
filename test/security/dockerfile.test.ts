/**
 * The Dockerfile's CMD, run exactly as written (parsed from the Dockerfile): SIGTERM to
 * that process drains and exits cleanly (what `docker stop` sends), and the image carries
 * the sample bot's files, handoff.yml included.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/bot';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '../..');
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

function cmd(): string[] {
  const line =
    dockerfile
      .split('\n')
      .filter((l) => /^CMD\s/.test(l))
      .at(-1) ?? '';
  // Exec form only: the shell form runs /bin/sh -c, which would receive the signal instead.
  return JSON.parse(line.replace(/^CMD\s+/, '')) as string[];
}

test('the CMD is in exec form and starts node itself', () => {
  expect(cmd()[0]).toBe('node');
});

test('the image holds the sample bot: intents, flows, actions, shop data, conversation tests and handoff.yml', () => {
  const copied = dockerfile
    .split('\n')
    .filter((l) => /^COPY --chown/.test(l))
    .map((l) => l.trim().split(/\s+/).at(-2));
  for (const item of ['intents', 'flows', 'actions', 'shop-data', 'test/conversations', 'handoff.yml']) {
    expect(copied).toContain(item);
    expect(fs.existsSync(path.join(root, item))).toBe(true);
  }
});

test('SIGTERM to the process the CMD starts → a clean drain and exit code 0', async () => {
  // What the image's build stage does before the CMD can run.
  const build = spawnSync(process.execPath, ['scripts/build-if-needed.cjs'], { cwd: root, encoding: 'utf8' });
  expect(build.status).toBe(0);
  const [command, ...args] = cmd();
  const port = 3800 + Math.floor(Math.random() * 90);
  const child = spawn(command as string, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: tempDir('sb-docker-data-'),
      BOT_DIR: tempDir('sb-docker-bot-'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready; ) {
    ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  const res = await fetch(`${url}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId: 'visitor-docker01', text: 'hello', clientMessageId: 'd1' }),
  });
  expect(res.status).toBe(202);

  child.kill('SIGTERM');
  const { code, signal } = await exited;
  const log = output.join('');
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(log).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"|"msg":"shutting down".*"signal":"SIGTERM"/);
  expect(log).toContain('"msg":"switchboard stopped"');
});
