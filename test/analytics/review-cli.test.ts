/** `switchboard review` in a terminal, on a copy of the sample bot and a generated history. */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generateHistory } from '../../bench/analytics/history';
import { openStore, type SqlStore } from '../../src/store';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');
const DAY = 86_400_000;
const dataDir = tempDir('sb-review-cli-data-');
const botDir = tempDir('sb-review-cli-bot-');

function switchboard(args: string[], input: string) {
  return spawnSync(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(${JSON.stringify(args)})`,
    ],
    {
      cwd: botDir,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      input,
      timeout: 90_000,
    },
  );
}

beforeAll(async () => {
  for (const sub of ['intents', 'flows', 'actions'])
    cpSync(path.join(root, sub), path.join(botDir, sub), { recursive: true });
  const store = await openStore({ dataDir });
  await generateHistory((store as SqlStore).driver, {
    conversations: 60,
    start: Date.now() - 5 * DAY,
    spanMs: 4 * DAY,
    seed: 11,
  });
  await store.close();
});

/** The sample bot's intent for each generated out-of-scope family (bench/analytics/history.ts). */
function intentFor(text: string): string {
  if (/gift/.test(text)) return 'gift_cards';
  if (/paypal/.test(text)) return 'payment_methods';
  if (/student/.test(text)) return 'discount_codes';
  return '-';
}

const firstGroup = (stdout: string) => {
  const match = /\[1\/(\d+)\] "([^"]+)"/.exec(stdout);
  expect(match).not.toBeNull();
  return { groups: Number(match?.[1]), text: match?.[2] as string };
};

test('--patch prints the patch and writes nothing; a decision is written, retrained and leaves the inbox', () => {
  const look = switchboard(['review', '--patch'], 'q\n');
  expect(look.stderr).toBe('');
  expect(look.status).toBe(0);
  const first = firstGroup(look.stdout);
  expect(look.stdout).toContain('0 group(s) decided.');

  const files = ['shop.yml', 'out_of_scope.yml'].map((f) =>
    readFileSync(path.join(botDir, 'intents', f), 'utf8'),
  );
  const dry = switchboard(['review', '--patch'], `${intentFor(first.text)}\nq\n`);
  expect(dry.stderr).toBe('');
  expect(dry.stdout).toContain('Not written; the patch:');
  expect(dry.stdout).toMatch(/\n\+ {2,6}- /);
  expect(dry.stdout).toContain('1 group(s) decided.');
  expect(
    ['shop.yml', 'out_of_scope.yml'].map((f) => readFileSync(path.join(botDir, 'intents', f), 'utf8')),
  ).toEqual(files);

  // The patch decision took that group out of the inbox: another one is first now.
  const next = firstGroup(switchboard(['review'], 'q\n').stdout);
  expect(next.groups).toBe(first.groups - 1);
  expect(next.text).not.toBe(first.text);
  const real = switchboard(['review'], `${intentFor(next.text)}\nq\n`);
  expect(real.stderr).toBe('');
  expect(real.stdout).toMatch(/✓ intents\/\w+\.yml: \d+ example\(s\) added; retrained\./);
  expect(real.stdout).toMatch(/ {2}✓ "[^"]+" → /);
  expect(real.stdout).toContain('1 group(s) decided.');
});
