import fs from 'node:fs';
import path from 'node:path';
import { HandoffConfigError, loadHandoffConfig, parseHandoffConfig } from '../../src/handoff';
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
    expect(Object.keys(config?.teams ?? {})).toEqual(['support', 'returns', 'complaints']);
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
      "handoff.yml:6:15: unknown team 'nobody'",
      'handoff.yml:5:37: escalate must be later than renotify',
      'handoff.yml:9:15: a team cannot overflow to itself',
      "handoff.yml:1:15: unknown team 'billing'",
      "handoff.yml:11:49: unknown team 'sales'",
      'handoff.yml:12:14: operator U0ADA is listed twice',
    ]);
  });

  test('broken YAML is reported with its position', () => {
    expect(problems('teams:\n  support:\n    channel: C0X\n   bad: [\n')[0]).toMatch(
      /^handoff\.yml:\d+:\d+: invalid YAML/,
    );
  });
});
