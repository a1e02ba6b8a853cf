/**
 * `GET /api/v1/analytics` against a generated history whose true figures are known
 * (bench/analytics/expected.ts computes them from what the generator made, not from the
 * database), on SQLite and on PostgreSQL: the whole range, a narrower one, a channel, a team.
 */
import { generateHistory, type GeneratedConversation } from '../../bench/analytics/history';
import { expectedAnalytics } from '../../bench/analytics/expected';
import type { AnalyticsFilter } from '../../src/analytics/types';
import type { SqlStore } from '../../src/store';
import { startTestBot, type TestBot } from '../helpers/bot';
import { describeWithPostgres, freshPostgresSchema } from '../helpers/services';

const TOKEN = 'test-admin-token-0123456789abcdef';
const DAY = 86_400_000;
const START = Date.parse('2026-11-01T00:00:00Z');

// biome-ignore lint/suspicious/noExplicitAny: response JSON read freely by tests
async function api(sb: TestBot, query: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sb.baseUrl}/api/v1/${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: await res.json() };
}

/** `expected` with each fraction matched to ±0.001: averages summed in another order may round apart. */
function approx(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isInteger(value)) return expect.closeTo(value, 2.5);
  if (Array.isArray(value)) return value.map(approx);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, approx(v)]));
  return value;
}

function query(filter: AnalyticsFilter): string {
  const params = new URLSearchParams({ from: String(filter.from), to: String(filter.to) });
  if (filter.channel) params.set('channel', filter.channel);
  if (filter.team) params.set('team', filter.team);
  return `analytics?${params}`;
}

function suite(env: () => Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>) {
  let sb: TestBot;
  let history: GeneratedConversation[];
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const setup = await env();
    cleanup = setup.cleanup;
    sb = await startTestBot({ env: { ADMIN_API_TOKEN: TOKEN, ...setup.env } });
    history = await generateHistory((sb.bot.store as SqlStore).driver, {
      conversations: 400,
      start: START,
      spanMs: 10 * DAY,
      seed: 7,
    });
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
    await cleanup?.();
  });

  const filters: [string, () => AnalyticsFilter][] = [
    ['the whole history', () => ({ from: START, to: START + 10 * DAY })],
    ['three days', () => ({ from: START + 2 * DAY, to: START + 5 * DAY })],
    ['one channel', () => ({ from: START, to: START + 10 * DAY, channel: 'whatsapp' })],
    ['one team', () => ({ from: START, to: START + 10 * DAY, team: 'billing' })],
  ];

  test.each(filters)('%s: every figure is the true one', async (_name, filter) => {
    const res = await api(sb, query(filter()));
    expect(res.status).toBe(200);
    const expected = expectedAnalytics(history, filter());
    // The history is big enough to exercise every figure.
    expect(expected.conversations).toBeGreaterThan(50);
    expect(expected.firstHumanReplySeconds.count).toBeGreaterThan(5);
    expect(expected.csat.count).toBeGreaterThan(3);
    expect(res.body).toEqual(approx(expected));
  });

  test('the default range is the last 7 days; bad parameters are a 400 naming the field', async () => {
    const recent = await api(sb, 'analytics');
    expect(recent.status).toBe(200);
    expect(Date.parse(recent.body.to) - Date.parse(recent.body.from)).toBe(7 * DAY);
    // The generated history is older than a week.
    expect(recent.body).toMatchObject({ conversations: 0, automationRate: null, byHour: [] });
    const days = await api(sb, 'analytics?from=2026-11-03&to=2026-11-03');
    expect(days.body).toMatchObject({ from: '2026-11-03T00:00:00.000Z', to: '2026-11-04T00:00:00.000Z' });
    expect(days.body.conversations).toBe(
      expectedAnalytics(history, { from: START + 2 * DAY, to: START + 3 * DAY }).conversations,
    );
    for (const [q, field] of [
      ['analytics?from=yesterday', 'from'],
      ['analytics?from=2026-11-05&to=2026-11-01', 'from'],
      ['analytics?channel=no%20such', 'channel'],
      ['analytics?colour=red', 'colour'],
    ]) {
      const bad = await api(sb, q as string);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'SB_PAYLOAD_INVALID', field });
    }
    const anonymous = await fetch(`${sb.baseUrl}/api/v1/analytics`);
    expect(anonymous.status).toBe(401);
  });
}

describe('analytics on SQLite', () => {
  suite(async () => ({ env: {}, cleanup: async () => {} }));
});

describeWithPostgres('analytics on PostgreSQL', () => {
  suite(async () => {
    const schema = await freshPostgresSchema();
    return { env: { DATABASE_URL: schema.url }, cleanup: () => schema.drop() };
  });
});
