/**
 * `switchboard validate` on broken bots: every kind of mistake is reported with its exact
 * file:line:column and a hint, and nothing is loaded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli } from '../helpers/cli';
import { formatProblem, SourceFileError } from '../../src/errors';
import { loadBot } from '../../src/flows';
import { tempDir } from '../helpers/bot';

const INTENTS = `
entities:
  order_number: { regex: 'ORD-?\\d{5}' }
intents:
  order_status:
    examples: [where is my order, track my parcel, order status]
  start_return:
    examples: [i want to return something, start a return, send it back]
  greet:
    examples: [hi, hello, good morning]
    answers: [Hello!]
`;

function bot(flows: string, intents = INTENTS): string {
  const dir = tempDir('sb-validate-');
  mkdirSync(path.join(dir, 'intents'));
  mkdirSync(path.join(dir, 'flows'));
  writeFileSync(path.join(dir, 'intents', 'main.yml'), intents);
  writeFileSync(path.join(dir, 'flows', 'main.yml'), flows.replace(/^\n/, ''));
  return dir;
}

/** The problems, as `flows/main.yml:line:col: message` (paths relative to the bot folder). */
async function problems(dir: string): Promise<string[]> {
  try {
    await loadBot(dir, { train: false });
  } catch (error) {
    if (!(error instanceof SourceFileError)) throw error;
    return error.problems.map((p) => formatProblem({ ...p, file: path.relative(dir, p.file) }));
  }
  return [];
}

test('a valid bot has no problems', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      ask:
        ask: Your order number?
        slot: order_id
        entity: order_number
      done:
        say: "Checking {{slots.order_id}}"
`);
  expect(await problems(dir)).toEqual([]);
});

test('bad YAML', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: Hello: how can I help?
`);
  expect(await problems(dir)).toEqual([
    'flows/main.yml:6:14: invalid YAML: Nested mappings are not allowed in compact mappings\n    hint: check indentation and quoting; quote text that contains ": " or starts with { [ * & ! | > % @',
  ]);
});

test('a duplicate step name is a YAML error at the second one', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
      hello:
        say: again
`);
  expect(await problems(dir)).toEqual([
    'flows/main.yml:7:7: invalid YAML: Map keys must be unique\n    hint: each name may appear once in a mapping; rename or merge one of them',
  ]);
});

test('unknown intent', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_stats
    steps:
      hello:
        say: hi
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:3:14: flow 'order_status' is triggered by unknown intent 'order_stats'\n    hint: did you mean 'order_status'? Intents are declared in intents/*.yml",
  ]);
});

test('unknown goto target: a step, and a flow', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
        next: chek
      check:
        goto: { flow: returns }
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:7:15: unknown step 'chek'\n    hint: did you mean 'check'? (to go to another flow: `goto: { flow: chek }`)",
    "flows/main.yml:9:15: goto: unknown flow 'returns'\n    hint: known flows: order_status",
  ]);
});

test('slot without entity, and a slot with an unknown entity', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      ask:
        ask: Your order number?
        slot: order_id
      ask_email:
        ask: Your email?
        slot: email
        entity: e_mail
`);
  const found = await problems(dir);
  expect(found[0]).toBe(
    "flows/main.yml:5:7: slot 'order_id' of step 'ask' has no entity\n    hint: add `entity: <name>` (an entity from intents/*.yml, a built-in such as number or email, or `text` for the whole message)",
  );
  expect(found[1]).toMatch(
    /^flows\/main\.yml:11:17: slot 'email' uses unknown entity 'e_mail'\n {4}hint: declare it/,
  );
});

test('unreachable step', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
        end: true
      forgotten:
        say: nobody comes here
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:8:7: step 'forgotten' is unreachable\n    hint: no step leads to it (the flow starts at 'hello'); add a goto/next to it, or delete it",
  ]);
});

test('two flows claiming one intent', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
  tracking:
    trigger: [start_return, order_status]
    steps:
      hello:
        say: hi
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:8:29: intent 'order_status' is claimed by two flows: 'order_status' and 'tracking'\n    hint: an intent starts one flow; remove it from one of them (see " +
      `${path.join(dir, 'flows/main.yml')}:3:14)`,
  ]);
});

test('bad expression: the column points into the expression', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      check:
        branch:
          - if: slots.order.status = 'shipped'
            goto: shipped
      shipped:
        say: "Shipped {{slots.order.}}"
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:7:36: bad expression: unexpected character '=' (compare with '==')\n    hint: expressions compare with == != < > <= >=, combine with and / or / not; strings in 'quotes'",
    "flows/main.yml:10:37: bad template: expected a name after '.' but found the end of the expression\n    hint: holes look like {{slots.order_id}} or {{customer.name}}",
  ]);
});

test('unknown names in expressions, unknown keys and two kinds in one step', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      check:
        branch:
          - if: order.status == 'shipped'
            goto: done
      done:
        say: ok
        handof: true
`);
  expect(await problems(dir)).toEqual([
    expect.stringMatching(
      /^flows\/main\.yml:11:9: unknown key 'handof' in step 'done' of flow 'order_status'/,
    ),
  ]);
  const dir2 = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      check:
        branch:
          - if: order.status == 'shipped'
            goto: done
      done:
        call: lookup
        handoff: true
`);
  expect(await problems(dir2)).toEqual([
    "flows/main.yml:7:17: bad expression: unknown name 'order' (use one of: slots, customer, nlu, message, value, flow, queue)\n    hint: expressions compare with == != < > <= >=, combine with and / or / not; strings in 'quotes'",
    "flows/main.yml:10:15: unknown action 'lookup'\n    hint: export it from actions/index.ts (`export const actions = { name: async ({ args }) => … }`)",
    "flows/main.yml:11:9: step 'done' is both 'call' and 'handoff'\n    hint: one kind per step (`say:` may go with any); to continue elsewhere afterwards use `next: <step>`",
  ]);
});

test('a broken intents file is reported together with the flows', async () => {
  const dir = bot(
    `
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
`,
    `
intents:
  order_status:
    examples: []
`,
  );
  const found = await problems(dir);
  expect(found[0]).toMatch(/^intents\/main\.yml:4:15: intent 'order_status' has no examples/);
});

test('a flow nothing starts', async () => {
  const dir = bot(`
flows:
  order_status:
    trigger: order_status
    steps:
      hello:
        say: hi
  orphan:
    steps:
      hello:
        say: nobody comes here
`);
  expect(await problems(dir)).toEqual([
    "flows/main.yml:7:3: flow 'orphan' has no trigger and no goto leads to it\n    hint: add `trigger: <intent>`, or `goto: { flow: orphan }` from another flow",
  ]);
});

test('validate counts in proper English: "1 action", not "1 actions"', async () => {
  const dir = bot(`
flows:
  status:
    trigger: order_status
    steps:
      lookup:
        call: lookup
      done:
        say: Done.
`);
  writeFileSync(path.join(dir, 'intents', 'main.yml'), INTENTS.replace(/ {2}start_return:[\s\S]*$/, ''));
  mkdirSync(path.join(dir, 'actions'));
  writeFileSync(path.join(dir, 'actions', 'index.js'), 'exports.actions = { lookup: () => ({}) };\n');
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await cli(['validate', '--dir', dir])).toBe(0);
    expect(log).toHaveBeenCalledWith('✓ 1 intent, 1 flow, 1 action, 0 conversation tests: no problems');
  } finally {
    log.mockRestore();
  }
});
