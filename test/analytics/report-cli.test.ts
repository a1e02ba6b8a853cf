/** `switchboard report` as a user runs it, on a store holding a generated history with known figures. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expectedAnalytics } from '../../bench/analytics/expected';
import { type GeneratedConversation, generateHistory } from '../../bench/analytics/history';
import { formatReport } from '../../src/analytics/text';
import { openStore, type SqlStore } from '../../src/store';
import { tempDir } from '../helpers/bot';

const root = path.resolve(__dirname, '../..');
const DAY = 86_400_000;
const START = Date.parse('2026-11-01T00:00:00Z');
const dataDir = tempDir('sb-report-');
let history: GeneratedConversation[];

function switchboard(args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '-r',
      path.join(root, 'test/helpers/swc-register.js'),
      '-e',
      `require(${JSON.stringify(path.join(root, 'test/helpers/cli'))}).main(${JSON.stringify(args)})`,
    ],
    {
      cwd: tempDir('sb-report-bot-'),
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

beforeAll(async () => {
  const store = await openStore({ dataDir });
  history = await generateHistory((store as SqlStore).driver, {
    conversations: 150,
    start: START,
    spanMs: 5 * DAY,
    seed: 3,
  });
  await store.close();
});

test('--json prints the analytics of the range; the text form its headline numbers', () => {
  const json = switchboard(['report', '--from', '2026-11-01', '--to', '2026-11-05', '--json']);
  expect(json.stderr).toBe('');
  expect(json.status).toBe(0);
  const expected = expectedAnalytics(history, { from: START, to: START + 5 * DAY });
  const printed = JSON.parse(json.stdout);
  expect(printed).toMatchObject({
    conversations: expected.conversations,
    automationRate: expected.automationRate,
    handoffRate: expected.handoffRate,
    firstHumanReplySeconds: expected.firstHumanReplySeconds,
    csat: { count: expected.csat.count },
    topIntents: expected.topIntents,
  });

  const text = switchboard(['report', '--from', '2026-11-01', '--to', '2026-11-05']);
  expect(text.status).toBe(0);
  expect(text.stdout.trim()).toBe(formatReport(printed));
  expect(text.stdout).toMatch(
    new RegExp(`Automation rate\\s+${((expected.automationRate as number) * 100).toFixed(1)}%`),
  );
  expect(text.stdout).toMatch(new RegExp(`Conversations\\s+${expected.conversations}\\n`));
});

test('--since counts back from now; bad options exit 2 with the reason', () => {
  const recent = switchboard(['report', '--since', '7d']);
  expect(recent.status).toBe(0);
  expect(recent.stdout).toMatch(/Conversations\s+0\n/);
  const bad = switchboard(['report', '--since', 'a week']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--since: must be a span such as 7d/);
  expect(switchboard(['report', '--since', '7d', '--from', '2026-11-01']).status).toBe(2);
});
