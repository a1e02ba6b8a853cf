import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_DESK_MESSAGES,
  DESK_MESSAGE_PLACEHOLDERS,
  type DeskMessageKey,
  HandoffConfigError,
  loadHandoffConfig,
  parseHandoffConfig,
} from '../../src/handoff';
import { tempDir } from '../helpers/bot';

function problems(source: string): string[] {
  try {
    parseHandoffConfig(source, 'handoff.yml');
  } catch (error) {
    if (error instanceof HandoffConfigError) {
      expect(error.code).toBe('SB_CONFIG_INVALID');
      return error.problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
    }
    throw error;
  }
  throw new Error('expected a HandoffConfigError');
}

describe('handoff.yml', () => {
  test("the sample bot's handoff.yml loads, with defaults applied", async () => {
    const config = await loadHandoffConfig(path.join(__dirname, '../..'));
    expect(config?.defaultTeam).toBe('support');
    expect(Object.keys(config?.teams ?? {})).toEqual([
      'support',
      'returns',
      'complaints',
      'orders',
      'customer_care',
    ]);
    expect(config?.teams.support).toEqual({
      name: 'support',
      channel: 'C0SUPPORT1',
      renotify: 120,
      escalate: 600,
      overflow: 'complaints',
      claimTimeout: 600,
      handleTime: 300,
    });
    expect(config?.teams.complaints).toMatchObject({
      renotify: 60,
      escalate: null,
      overflow: null,
      claimTimeout: 300,
    });
    expect(config?.operators[0]).toEqual({
      id: 'U0ADA00001',
      name: 'Ada',
      teams: ['support', 'returns'],
      capacity: 3,
    });
  });

  test('a bot without handoff.yml has no desk', async () => {
    const dir = tempDir();
    expect(await loadHandoffConfig(dir)).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('defaults: capacity 3, the support team (or the first) is the default team', () => {
    const config = parseHandoffConfig(
      'teams:\n  sales:\n    channel: C0SALES\noperators:\n  - { slack: U0X1, name: X, teams: [sales] }\n',
    );
    expect(config.defaultTeam).toBe('sales');
    expect(config.operators[0]?.capacity).toBe(3);
    expect(config.teams.sales).toMatchObject({
      renotify: null,
      escalate: null,
      claimTimeout: 600,
      handleTime: 300,
    });
  });

  test('schema problems are reported at their file:line:column, all at once', () => {
    expect(
      problems(`teams:
  support:
    channel: general
    sla: { renotify: -5 }
    colour: blue
operators:
  - slack: U0ADA
    name: Ada
    teams: [support]
    capacity: 0
`),
    ).toEqual([
      'handoff.yml:3:14: teams.support.channel: must be a Slack channel id such as C0123ABCD',
      expect.stringMatching(/^handoff\.yml:4:22: teams\.support\.sla\.renotify: /),
      "handoff.yml:5:5: unknown key 'colour'",
      expect.stringMatching(/^handoff\.yml:10:15: operators\.0\.capacity: /),
    ]);
  });

  test('references are checked: overflow, default team, operator teams, duplicates, SLA order', () => {
    expect(
      problems(`default_team: billing
teams:
  support:
    channel: C0SUPPORT
    sla: { renotify: 300, escalate: 120 }
    overflow: nobody
  returns:
    channel: C0RETURNS
    overflow: returns
operators:
  - { slack: U0ADA, name: Ada, teams: [support, sales] }
  - { slack: U0ADA, name: Ada again, teams: [returns] }
`),
    ).toEqual([
      "handoff.yml:1:15: unknown team 'billing'",
      'handoff.yml:5:37: escalate must be later than renotify',
      "handoff.yml:6:15: unknown team 'nobody'",
      'handoff.yml:9:15: a team cannot overflow to itself',
      "handoff.yml:11:49: unknown team 'sales'",
      'handoff.yml:12:14: operator U0ADA is listed twice',
    ]);
  });

  test('schema problems and reference problems are reported together, in file order', () => {
    // A key typo (schema) and a misspelled overflow team (a reference): both, not just the first.
    expect(
      problems(`teams:
  support:
    channel: C0SUPPORT
    overflwo: complaints
  returns:
    channel: C0RETURNS
    overflow: complaint
  complaints:
    channel: C0COMPLAINTS
`),
    ).toEqual(["handoff.yml:4:5: unknown key 'overflwo'", "handoff.yml:7:15: unknown team 'complaint'"]);
    // Four at once: a bad capacity, an unknown key, an unknown overflow team, escalate ≤ renotify.
    expect(
      problems(`teams:
  support:
    channel: C0SUPPORT
    sla: { renotify: 300, escalate: 300 }
    overflow: complaint
    colour: blue
operators:
  - { slack: U0ADA, name: Ada, teams: [support, sales], capacity: 0 }
  - { slack: U0ADA, name: Ada again, teams: [support] }
default_team: billing
`),
    ).toEqual([
      'handoff.yml:4:37: escalate must be later than renotify',
      "handoff.yml:5:15: unknown team 'complaint'",
      "handoff.yml:6:5: unknown key 'colour'",
      "handoff.yml:8:49: unknown team 'sales'",
      expect.stringMatching(/^handoff\.yml:8:67: operators\.0\.capacity: /),
      'handoff.yml:9:14: operator U0ADA is listed twice',
      "handoff.yml:10:15: unknown team 'billing'",
    ]);
  });

  test('a value the schema rejects is not reported twice by the reference checks', () => {
    expect(
      problems(`teams:
  support:
    channel: C0SUPPORT
    overflow: Complaints
    sla: { renotify: 300, escalate: -1 }
`),
    ).toEqual([
      expect.stringMatching(/^handoff\.yml:4:15: teams\.support\.overflow: use lowercase/),
      expect.stringMatching(/^handoff\.yml:5:37: teams\.support\.sla\.escalate: /),
    ]);
  });

  test("messages' placeholders are checked against the ones each message gets", () => {
    expect(
      problems(`teams:
  support:
    channel: C0SUPPORT
messages:
  position: "You are #{pos} in line ({wait}, {eta}, {pos})"
  joined: "{operator} is here"
  handed_back: "Back with {bot}."
  lapsed: "{operator} left; you are number {place}."
`),
    ).toEqual([
      'handoff.yml:5:13: messages.position: unknown placeholder {pos} (use {position}, {wait})',
      'handoff.yml:5:13: messages.position: unknown placeholder {eta} (use {position}, {wait})',
      'handoff.yml:7:16: messages.handed_back: unknown placeholder {bot} (this message has no placeholders)',
      'handoff.yml:8:11: messages.lapsed: unknown placeholder {place} (use {operator}, {position})',
    ]);
    const config = parseHandoffConfig(
      'teams:\n  support:\n    channel: C0SUPPORT\nmessages:\n  transferred: "Over to {team}, you are {position}."\n',
    );
    expect(config.messages.transferred).toBe('Over to {team}, you are {position}.');
    expect(config.messages.lapsed).toBe(
      "{operator} had to step away; you're back in the queue (number {position}).",
    );
  });

  test('every default message uses only its own placeholders', () => {
    for (const [key, text] of Object.entries(DEFAULT_DESK_MESSAGES)) {
      const used = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect({
        key,
        used: used.filter((p) => !DESK_MESSAGE_PLACEHOLDERS[key as DeskMessageKey].includes(p as string)),
      }).toEqual({ key, used: [] });
    }
  });

  test('broken YAML is reported with its position', () => {
    expect(problems('teams:\n  support:\n    channel: C0X\n   bad: [\n')[0]).toMatch(
      /^handoff\.yml:\d+:\d+: invalid YAML/,
    );
  });
});
