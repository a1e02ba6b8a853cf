/**
 * The CLI as a person types it, in a real process: exit codes and the first line of what it
 * says, for every kind of mistake on the command line and for five bad settings at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cli as run } from '../helpers/cli';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string })
  .version;

function switchboard(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(${JSON.stringify(args)})`,
    ],
    {
      cwd: options.cwd ?? root,
      env: { ...process.env, DATA_DIR: tempDir('sb-cli-data-'), LOG_LEVEL: 'silent', ...options.env },
      encoding: 'utf8',
      input: '',
      timeout: 60_000,
    },
  );
  return {
    status: result.status,
    out: result.stdout.split('\n')[0],
    err: result.stderr.split('\n')[0],
    stderr: result.stderr,
  };
}

/** The CLI in this process (quick): exit code and what it wrote. */
async function inProcess(args: string[]) {
  let out = '';
  let err = '';
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out += `${a.join(' ')}\n`;
  });
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    err += `${a.join(' ')}\n`;
  });
  try {
    const status = await run(args, { out: (t) => (out += t), err: (t) => (err += t) });
    return { status, out: out.split('\n')[0], err: err.split('\n')[0], stderr: err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('the command line', () => {
  const empty = tempDir('sb-cli-empty-');

  test.each([
    // [arguments, exit code, first line on stderr]
    [['validate', '--bogus'], 2, "switchboard validate: unknown option '--bogus'"],
    [['validate', '--dri', '.'], 2, "switchboard validate: unknown option '--dri' (did you mean --dir?)"],
    [['chat', '--dir', '/nonexistent'], 2, 'switchboard chat: --dir /nonexistent: no such folder'],
    [['start', '--dir', '/nonexistent'], 2, 'switchboard start: --dir /nonexistent: no such folder'],
    [['test', '--dir', '/nonexistent'], 2, 'switchboard test: --dir /nonexistent: no such folder'],
    [['dev', '--dir', '/nonexistent'], 2, 'switchboard dev: --dir /nonexistent: no such folder'],
    [['init'], 2, "switchboard init: missing required argument 'dir'"],
    [['strat'], 2, "switchboard: unknown command 'strat' (did you mean start?)"],
    [
      ['validate', 'extra'],
      2,
      "switchboard validate: too many arguments for 'validate'. Expected 0 arguments but got 1.",
    ],
    [['eval'], 2, 'switchboard eval: --data FILE is required (or --knowledge for knowledge answers)'],
  ])('%j exits %i: %s', async (args, code, first) => {
    const result = await inProcess(args as string[]);
    expect(result.status).toBe(code);
    expect(result.err).toBe(first);
    // The usage follows the one-line message.
    expect(result.stderr).toMatch(/\n\nUsage: switchboard /);
  });

  test('a --dir that is not a bot folder is an error, with the bot folder inside it as a guess', async () => {
    mkdirSync(path.join(empty, 'my-bot/intents'), { recursive: true });
    const result = await inProcess(['chat', '--dir', empty]);
    expect(result.status).toBe(2);
    expect(result.err).toBe(
      `switchboard chat: --dir ${empty} is not a bot folder (no intents/, flows/, knowledge/ or handoff.yml) (did you mean ${path.join(empty, 'my-bot')}?); \`switchboard init NEW_FOLDER\` creates a bot`,
    );
    const typo = await inProcess(['validate', '--dir', path.join(empty, 'my-bt')]);
    expect(typo.status).toBe(2);
    expect(typo.err).toBe(
      `switchboard validate: --dir ${path.join(empty, 'my-bt')}: no such folder (did you mean ${path.join(empty, 'my-bot')}?)`,
    );
  });

  test.each([
    [['--help'], 'Usage: switchboard <command> [options]'],
    [['-h'], 'Usage: switchboard <command> [options]'],
    [['help', 'start'], 'Usage: switchboard start [options]'],
    [['start', '--help'], 'Usage: switchboard start [options]'],
    [['init', '--help'], 'Usage: switchboard init [options] <dir>'],
    [['init', '-h'], 'Usage: switchboard init [options] <dir>'],
    [['eval', '--help'], 'Usage: switchboard eval [options]'],
    [['--version'], `switchboard ${version}`],
    [['-V'], `switchboard ${version}`],
    [['validate', '--version'], `switchboard ${version}`],
    [['init', '--version'], `switchboard ${version}`],
  ])('%j exits 0 and prints %s', async (args, first) => {
    const result = await inProcess(args as string[]);
    expect(result.status).toBe(0);
    expect(result.out).toBe(first);
    expect(result.err).toBe('');
  });

  test('init . creates the bot in the current (empty) folder and does not say "cd ."', () => {
    const dir = path.join(tempDir('sb-cli-init-'), 'here');
    mkdirSync(dir);
    const result = spawnSync(
      process.execPath,
      [
        '-r',
        path.join(root, 'test/helpers/swc-register.js'),
        '-e',
        `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(['init', '.'])`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('Created a bot in the current folder:');
    expect(result.stdout).not.toMatch(/cd \./);
    expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name).toBe('here');
  });
});

describe('settings', () => {
  test('five bad settings across three channels and the core: five problems in one start attempt, secrets never shown', () => {
    const bot = tempDir('sb-cli-settings-');
    mkdirSync(path.join(bot, 'intents'));
    const result = switchboard(['start', '--dir', bot], {
      cwd: bot,
      env: {
        PORT: 'abc',
        // Slack: a token but no signing secret.
        SLACK_BOT_TOKEN: 'xoxb-1',
        // Telegram: a token that is not one, and no webhook secret.
        TELEGRAM_BOT_TOKEN: 'not-a-token-s3cr3t',
        // Messenger: the app secret alone (two required settings missing).
        MESSENGER_APP_SECRET: 'super-secret-value',
        MESSENGER_VERIFY_TOKEN: 'verify-me',
      },
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe('switchboard start: 5 settings need fixing; nothing was started.');
    const problems = lines.filter((l) => /^ {2}[A-Z_]+: /.test(l)).map((l) => l.trim().split(':')[0]);
    // The core's first, then each channel's, in the order the channels start.
    expect(problems).toEqual([
      'PORT',
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_WEBHOOK_SECRET',
      'MESSENGER_PAGE_ACCESS_TOKEN',
      'SLACK_SIGNING_SECRET',
    ]);
    // In plain words, with what to do.
    expect(result.stderr).toContain(
      '  PORT: must be a whole number from 0 to 65535 (unset, it is 3000) (got "abc")',
    );
    expect(result.stderr).toContain('TELEGRAM_WEBHOOK_SECRET: is required in webhook mode');
    expect(result.stderr).toContain('or set TELEGRAM_MODE=polling');
    expect(result.stderr).toContain(
      'SLACK_SIGNING_SECRET: is required when Slack is configured (Basic Information',
    );
    expect(result.stderr).toContain(
      'MESSENGER_PAGE_ACCESS_TOKEN: is required: Messenger → Settings → Access tokens',
    );
    for (const secret of ['not-a-token-s3cr3t', 'super-secret-value', 'verify-me', 'xoxb-1']) {
      expect(result.stderr).not.toContain(secret);
    }
  }, 60_000);
});
