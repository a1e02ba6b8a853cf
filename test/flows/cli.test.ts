/** The author commands as a user runs them: `switchboard validate`, `test` and `chat` in a bot folder. */
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');

function switchboard(args: string[], options: { cwd?: string; input?: string } = {}) {
  return spawnSync(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'src/cli/main'))}).main(${JSON.stringify(args)})`,
    ],
    {
      cwd: options.cwd ?? root,
      env: { ...process.env, DATA_DIR: tempDir('sb-cli-data-'), LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      input: options.input ?? '',
      timeout: 60_000,
    },
  );
}

test('validate: clean on the sample bot; a broken copy exits 1 with file:line:column relative to the folder', () => {
  const clean = switchboard(['validate']);
  expect(clean.status).toBe(0);
  expect(clean.stdout).toMatch(/✓ \d+ intents, 5 flows, 3 actions, \d+ conversation tests: no problems/);

  const dir = tempDir('sb-cli-bot-');
  for (const sub of ['intents', 'flows', 'actions', 'samples']) {
    cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  }
  writeFileSync(
    path.join(dir, 'flows/zz.yml'),
    'flows:\n  gift:\n    trigger: gift_wrap\n    steps:\n      ask:\n        ask: Which order?\n        slot: order_id\n',
  );
  const broken = switchboard(['validate'], { cwd: dir });
  expect(broken.status).toBe(1);
  expect(broken.stderr).toBe(
    [
      "flows/zz.yml:3:14: flow 'gift' is triggered by unknown intent 'gift_wrap'",
      '    hint: declare the intent in intents/*.yml, with examples',
      "flows/zz.yml:5:7: slot 'order_id' of step 'ask' has no entity",
      '    hint: add `entity: <name>` (an entity from intents/*.yml, a built-in such as number or email, or `text` for the whole message)',
      '',
      '2 problems',
      '',
    ].join('\n'),
  );
});

test('test: runs the conversation tests of the folder given with --dir', () => {
  const result = switchboard(['test', '--dir', root, '--filter', 'order status, asks']);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('✓ order status, asks for the number');
  expect(result.stdout).toContain('1 passed, 0 failed');
});

test('chat: talks to the bot in the terminal; /debug shows intent, confidence, slots', () => {
  const result = switchboard(['chat'], {
    input: '/debug\nI want to return something\nORD-10002\n/quit\n',
  });
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('bot> I can help with that. Which order is it?');
  expect(result.stdout).toMatch(/· intent start_return \(0\.\d\d\)/);
  expect(result.stdout).toMatch(/· flow returns@[0-9a-f]{7} step ask_item · slots \{"order_id":"ORD-10002"/);
});
