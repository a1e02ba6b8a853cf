/**
 * A start that fails leaves nothing behind: a broken handoff.yml stops `createSwitchboard(…).start()`
 * (and `switchboard start`, exit code 1, every problem printed) before anything listens; a step of
 * `Bot.start()` that fails after the server listens (a service) stops what was started.
 */
import { channels } from '../../adapters';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createSwitchboard } from '../../src/app';
import { loadConfig } from '../../src/config';
import { Bot, type BotService } from '../../src/core/bot';
import { HandoffConfigError } from '../../src/handoff';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');

/** A handoff.yml with two problems: an overflow to a misspelled team and a key typo. */
const BROKEN_HANDOFF = `teams:
  support:
    channel: C0SUPPORT1
    overflow: complaint
  complaints:
    channel: C0COMPLAINTS
    claim_timeot: 300
operators:
  - { slack: U0ADA00001, name: Ada, teams: [support] }
`;

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function brokenBot(): string {
  const dir = tempDir('sb-broken-handoff-');
  writeFileSync(path.join(dir, 'handoff.yml'), BROKEN_HANDOFF);
  return dir;
}

test('a broken handoff.yml: start() rejects with every file:line:column problem, and nothing listens', async () => {
  const dir = brokenBot();
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('sb-broken-data-'),
    BOT_DIR: dir,
    LOG_LEVEL: 'silent',
  });
  const bot = createSwitchboard(config, { channels });
  const error = await bot.start().then(
    () => undefined,
    (e: unknown) => e,
  );
  try {
    expect(error).toBeInstanceOf(HandoffConfigError);
    const file = path.join(dir, 'handoff.yml');
    expect((error as HandoffConfigError).message.split('\n')).toEqual([
      `${file}:4:15: unknown team 'complaint'`,
      '    hint: teams: support, complaints',
      `${file}:7:5: unknown key 'claim_timeot'`,
      "    hint: did you mean 'claim_timeout'? see docs/handoff.md",
    ]);
    expect(await listening(port)).toBe(false);
    expect(() => bot.url).toThrow('not started');
  } finally {
    await bot.stop();
  }
});

test('a service that fails to start: the server, channels and store are stopped again, and a retry works', async () => {
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('sb-failing-service-'),
    BOT_DIR: tempDir('sb-empty-bot-'),
    LOG_LEVEL: 'silent',
  });
  const calls: string[] = [];
  let attempt = 0;
  const service = (name: string, fails: () => boolean): BotService => ({
    name,
    async start() {
      calls.push(`start ${name}`);
      if (fails()) throw new Error(`${name} cannot start`);
    },
    async stop() {
      calls.push(`stop ${name}`);
    },
  });
  const bot = new Bot({ config });
  bot.addService(service('first', () => false));
  bot.addService(
    service('second', () => {
      attempt += 1;
      return attempt === 1;
    }),
  );
  bot.addService(service('third', () => false));
  await expect(bot.start()).rejects.toThrow('second cannot start');
  // Stopped in reverse, the one that failed half-way included; the third never started.
  expect(calls).toEqual(['start first', 'start second', 'stop second', 'stop first']);
  expect(await listening(port)).toBe(false);
  expect(() => bot.store).toThrow('not started');

  // Nothing was left open: the same bot starts on the same port.
  await bot.start();
  try {
    expect(bot.url).toBe(`http://127.0.0.1:${port}`);
    expect(await listening(port)).toBe(true);
  } finally {
    await bot.stop();
  }
});

test('switchboard start with a broken handoff.yml prints every problem and exits 1', async () => {
  const dir = brokenBot();
  const port = await freePort();
  const result = spawnSync(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(['start', '--dir', ${JSON.stringify(dir)}])`,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: tempDir('sb-cli-data-'),
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  // Not killed by the timeout: it ended by itself.
  expect(result.signal).toBeNull();
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("handoff.yml:4:15: unknown team 'complaint'");
  expect(result.stderr).toContain("handoff.yml:7:5: unknown key 'claim_timeot'");
  expect(result.stderr).toContain('2 problems');
}, 40_000);
