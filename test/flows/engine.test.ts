import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { formatResults, loadConversationTests, runConversationTests } from '../../src/flows/testing';
import { tempDir, writeBot } from '../helpers/bot';
import { channels } from '../../adapters';

let server: http.Server;
let base = '';
const received: unknown[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push(JSON.parse(body || 'null'));
      if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 2000);
      if (req.url === '/broken') {
        res.statusCode = 500;
        return void res.end('oops');
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ points: 1250, tier: 'gold' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const intents = `
intents:
  loyalty:
    examples: [how many points do i have, my loyalty points, check my points balance, points status, what is my reward balance]
  slow:
    examples: [slow check, run the slow check, check slowly please, do the slow lookup]
  broken:
    examples: [broken check, run the broken check, do the broken lookup, try the broken service]
  count:
    examples: [count for me, start counting, count up, let us count]
`;

test('webhooks: the result is stored in a slot; a timeout or an error takes on_error', async () => {
  const dir = writeBot({
    'intents/main.yml': intents,
    'flows/main.yml': `
flows:
  loyalty:
    trigger: loyalty
    steps:
      fetch:
        say: One moment…
        call: { webhook: "${base}/points" }
        with: { customer: "{{customer.id}}", ask: loyalty }
        result: account
        on_error: failed
      answer:
        say: "You have {{slots.account.points}} points ({{upper(slots.account.tier)}})."
        end: true
      failed:
        say: The points service is not answering.
        end: true
  slow:
    trigger: slow
    steps:
      fetch:
        call: { webhook: "${base}/slow" }
        timeout: 300
        on_error: failed
      done:
        say: done
        end: true
      failed:
        say: Timed out, sorry.
        end: true
  broken:
    trigger: broken
    steps:
      fetch:
        call: { webhook: "${base}/broken" }
      done:
        say: done
`,
    'tests/main.yml': `
tests:
  webhook:
    - user: how many points do I have?
    - bot: One moment
    - bot: You have 1250 points (GOLD).
      slots: { account: { points: 1250, tier: gold } }
  timeout:
    - user: run the slow check
    - bot: Timed out, sorry.
  error without on_error hands off:
    - user: run the broken check
    - bot: something went wrong on my side
    - bot: passing you to a colleague
      status: queued
      handoff: { source: action_failed }
`,
  });
  const results = await runConversationTests(
    dir,
    loadConversationTests([path.join(dir, 'tests/main.yml')], channels),
    {
      channels,
      cacheDir: tempDir('sb-nlu-'),
    },
  );
  expect(formatResults(results, dir)).toContain('3 passed, 0 failed');
  expect(received[0]).toMatchObject({ args: { customer: expect.stringMatching(/^cus_/), ask: 'loyalty' } });
});

test('set, templates that keep numbers, goto into another flow, and TypeScript actions in actions/', async () => {
  const dir = writeBot({
    'intents/main.yml': intents,
    'actions/index.ts': `export const actions = { double: ({ args }: { args: { n: number } }) => ({ n: args.n * 2 }) };\n`,
    'flows/main.yml': `
flows:
  count:
    trigger: count
    steps:
      start:
        set: { n: 1 }
      loop:
        set: { n: "{{slots.n + 1}}" }
      check:
        branch:
          - if: slots.n < 4
            goto: loop
      doubled:
        call: double
        with: { n: "{{slots.n}}" }
        result: twice
      next_flow:
        goto: { flow: report }
  report:
    steps:
      say:
        say: "n={{slots.n}}, doubled {{slots.twice.n}}"
`,
    'tests/main.yml': `
tests:
  counting:
    - user: count for me
    - bot: n=4, doubled 8
      slots: { n: 4, twice: { n: 8 } }
  a failing test shows the transcript:
    - user: count for me
    - bot: n=5
`,
  });
  const results = await runConversationTests(
    dir,
    loadConversationTests([path.join(dir, 'tests/main.yml')], channels),
    {
      channels,
      cacheDir: tempDir('sb-nlu-'),
    },
  );
  expect(results.map((r) => r.passed)).toEqual([true, false]);
  expect(formatResults(results, dir)).toBe(
    [
      '  ✓ counting',
      '  ✗ a failing test shows the transcript  (tests/main.yml:7)',
      '    tests/main.yml:9: the bot said something else',
      '        user: count for me',
      '      - bot:  n=5',
      '      + bot:  n=4, doubled 8',
      '',
      '1 passed, 1 failed',
    ].join('\n'),
  );
});
