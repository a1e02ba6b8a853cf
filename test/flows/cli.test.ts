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
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(${JSON.stringify(args)})`,
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
  expect(clean.stdout).toMatch(
    /✓ \d+ intents, 6 flows, 4 actions, \d+ conversation tests, 36 knowledge documents, 5 handoff teams: no problems\n/,
  );
  // Every team the sample flows hand off to is listed in the sample handoff.yml: no warnings.
  expect(clean.stderr).toBe('');

  const dir = tempDir('sb-cli-bot-');
  for (const sub of ['intents', 'flows', 'actions', 'shop-data']) {
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

/** A copy of the sample bot with this handoff.yml. */
function botWithHandoff(handoff: string): string {
  const dir = tempDir('sb-cli-handoff-');
  for (const sub of ['intents', 'flows', 'actions', 'shop-data']) {
    cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
  }
  writeFileSync(path.join(dir, 'handoff.yml'), handoff);
  return dir;
}

test('validate: checks handoff.yml too, every problem in the same file:line:column form', () => {
  const dir = botWithHandoff(
    'teams:\n  support:\n    channel: C0SUPPORT1\n    overflow: complaint\n    colour: blue\noperators:\n  - { slack: U0ADA00001, name: Ada, teams: [support], capacity: 0 }\n',
  );
  const broken = switchboard(['validate'], { cwd: dir });
  expect(broken.status).toBe(1);
  expect(broken.stdout).toBe('');
  expect(broken.stderr.split('\n')).toEqual([
    "handoff.yml:4:15: unknown team 'complaint'",
    '    hint: teams: support',
    "handoff.yml:5:5: unknown key 'colour'",
    '    hint: see docs/handoff.md',
    expect.stringMatching(/^handoff\.yml:7:65: operators\.0\.capacity: /),
    '',
    '3 problems',
    '',
  ]);
});

test("validate: a handoff step naming a team handoff.yml doesn't list is a warning, naming the default team", () => {
  const dir = botWithHandoff(
    'default_team: support\nteams:\n  support:\n    channel: C0SUPPORT1\n  orders:\n    channel: C0ORDERS01\n',
  );
  const result = switchboard(['validate'], { cwd: dir });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/, 2 handoff teams: no problems \(3 warnings\)\n$/);
  const warning =
    "warning: team 'customer_care' is not in handoff.yml: its handoffs go to the default team 'support'";
  const hint =
    "    hint: add 'customer_care' under teams: in handoff.yml, or name one of its teams: support, orders";
  expect(result.stderr.split('\n')).toEqual([
    `flows/service.yml:23:17: ${warning}`,
    hint,
    `flows/service.yml:29:17: ${warning}`,
    hint,
    `flows/service.yml:35:17: ${warning}`,
    hint,
    '',
    '',
  ]);
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
