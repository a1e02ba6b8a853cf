/**
 * The analytics a generated history should produce, computed in plain TypeScript from what
 * the generator recorded (never from the database): the reference the SQL is checked
 * against. Definitions as in docs/api.md.
 *
 * @module
 */
import type { Analytics, AnalyticsFilter, Percentiles } from '../../src/analytics/types';
import type { GeneratedConversation } from './history';

const HOUR = 3_600_000;

/** Nearest rank: the smallest value with at least p% of the values at or below it. */
function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: null, p90: null, count: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
  return { p50: at(50) / 1000, p90: at(90) / 1000, count: values.length };
}

const round = (value: number, digits = 4) => Math.round(value * 10 ** digits) / 10 ** digits;
const rate = (part: number, whole: number) => (whole === 0 ? null : round(part / whole));
const average = (values: number[], digits: number) =>
  values.length === 0 ? null : round(values.reduce((a, b) => a + b, 0) / values.length, digits);
const count = <T>(list: T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of list) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

export function expectedAnalytics(history: GeneratedConversation[], filter: AnalyticsFilter): Analytics {
  const scope = history.filter(
    (c) =>
      c.createdAt >= filter.from &&
      c.createdAt < filter.to &&
      (filter.channel === undefined || c.channel === filter.channel) &&
      (filter.team === undefined || c.episodes.some((e) => e.team === filter.team)),
  );
  const episodes = scope.flatMap((c) => c.episodes);
  const messages = scope.flatMap((c) => c.customerMessages);
  const ratings = scope.flatMap((c) => c.csat);
  const replyMs = (list: typeof episodes) =>
    list.filter((e) => e.firstReplyAt !== undefined).map((e) => (e.firstReplyAt as number) - e.requestedAt);
  const done = (e: (typeof episodes)[number]) =>
    e.ended?.by === 'handoff_resolved' || e.ended?.by === 'handoff_handed_back';
  const resolutionMs = (list: typeof episodes) =>
    list.filter(done).map((e) => (e.ended?.at as number) - e.requestedAt);
  const automated = scope.filter(
    (c) => c.status !== 'queued' && c.status !== 'assigned' && c.episodes.every((e) => !e.claimedBy),
  );

  const channels = new Map<string, { channel: string; conversations: number; messages: number }>();
  const channelOf = (name: string) => {
    const entry = channels.get(name) ?? { channel: name, conversations: 0, messages: 0 };
    channels.set(name, entry);
    return entry;
  };
  for (const c of scope) channelOf(c.channel).conversations++;
  for (const m of messages) channelOf(m.channel).messages++;

  const hours = new Map<number, { conversations: number; sentiments: number[] }>();
  const hourOf = (at: number) => {
    const h = Math.floor(at / HOUR);
    const entry = hours.get(h) ?? { conversations: 0, sentiments: [] };
    hours.set(h, entry);
    return entry;
  };
  for (const c of scope) hourOf(c.createdAt).conversations++;
  for (const m of messages) hourOf(m.at).sentiments.push(m.sentiment);

  const intents = count(
    messages.filter((m) => m.intent !== null),
    (m) => m.intent as string,
  );
  const reasons = count(episodes, (e) => e.reason);
  const teams = count(episodes, (e) => e.team);
  const operators = new Map<
    string,
    { name: string; claimed: number; resolved: number; handedBack: number }
  >();
  for (const e of episodes) {
    if (e.claimedBy) {
      const op = operators.get(e.claimedBy.id) ?? {
        name: e.claimedBy.name,
        claimed: 0,
        resolved: 0,
        handedBack: 0,
      };
      op.claimed++;
      if (e.ended?.by === 'handoff_resolved') op.resolved++;
      if (e.ended?.by === 'handoff_handed_back') op.handedBack++;
      operators.set(e.claimedBy.id, op);
    }
  }
  const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);

  return {
    from: new Date(filter.from).toISOString(),
    to: new Date(filter.to).toISOString(),
    channel: filter.channel ?? null,
    team: filter.team ?? null,
    conversations: scope.length,
    automationRate: rate(automated.length, scope.length),
    handoffRate: rate(scope.filter((c) => c.episodes.length > 0).length, scope.length),
    handoffReasons: [...reasons.entries()].sort(byCount).map(([reason, n]) => ({ reason, count: n })),
    firstHumanReplySeconds: percentiles(replyMs(episodes)),
    resolutionSeconds: percentiles(resolutionMs(episodes)),
    csat: {
      average: average(
        ratings.map((r) => r.rating),
        3,
      ),
      count: ratings.length,
    },
    outOfScopeRate: rate(messages.filter((m) => m.intent === null).length, messages.length),
    byChannel: [...channels.values()].sort(
      (a, b) =>
        b.conversations - a.conversations || b.messages - a.messages || a.channel.localeCompare(b.channel),
    ),
    byHour: [...hours.entries()]
      .sort(([a], [b]) => a - b)
      .map(([h, entry]) => ({
        hour: new Date(h * HOUR).toISOString(),
        conversations: entry.conversations,
        messages: entry.sentiments.length,
        sentiment: average(entry.sentiments, 3),
      })),
    topIntents: [...intents.entries()]
      .sort(byCount)
      .slice(0, 10)
      .map(([intent, n]) => ({ intent, count: n })),
    byTeam: [...teams.entries()].sort(byCount).map(([team, n]) => {
      const mine = episodes.filter((e) => e.team === team);
      return {
        team,
        handoffs: n,
        resolved: mine.filter((e) => e.ended?.by === 'handoff_resolved').length,
        handedBack: mine.filter((e) => e.ended?.by === 'handoff_handed_back').length,
        cancelled: mine.filter((e) => e.ended?.by === 'handoff_cancelled').length,
        firstHumanReplySeconds: percentiles(replyMs(mine)),
        resolutionSeconds: percentiles(resolutionMs(mine)),
      };
    }),
    byOperator: [...operators.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, op]) => {
        const rated = ratings.filter((r) => r.operatorId === id).map((r) => r.rating);
        return {
          operatorId: id,
          operatorName: op.name,
          claimed: op.claimed,
          resolved: op.resolved,
          handedBack: op.handedBack,
          resolutionSeconds: percentiles(resolutionMs(episodes.filter((e) => e.ended?.operatorId === id))),
          csat: { average: average(rated, 3), count: rated.length },
        };
      }),
  };
}
