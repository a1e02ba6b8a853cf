/**
 * The queue's rules that do not depend on where it is stored: which team an escalation
 * lands in, when its timers fire, the expected wait. Both implementations use these.
 *
 * @module
 */
import type { HandoffConfig, TeamConfig } from './config';
import type { HandoffPriority, QueueEntry } from './types';
import { PRIORITY_RANK } from './types';

/** The configured team, or the default team for a name handoff.yml does not list. */
export function teamFor(config: HandoffConfig, team: string): TeamConfig {
  return (config.teams[team] ?? config.teams[config.defaultTeam]) as TeamConfig;
}

/** The SLA timers of a waiting spell that starts at `now` in `team`. */
export function waitingTimers(
  team: TeamConfig,
  now: number,
  options: { escalate?: boolean } = {},
): { renotifyAt: number | null; escalateAt: number | null } {
  return {
    renotifyAt: team.renotify === null ? null : now + team.renotify * 1000,
    escalateAt: team.escalate === null || options.escalate === false ? null : now + team.escalate * 1000,
  };
}

export function lapseAt(team: TeamConfig, now: number): number {
  return now + team.claimTimeout * 1000;
}

/** Rounds of service ahead of the customer times the team's handle time. */
export function expectedWaitMs(team: TeamConfig, position: number, availableOperators: number): number {
  return Math.ceil(position / Math.max(1, availableOperators)) * team.handleTime * 1000;
}

/** Serving order: priority first, then the longest waiting, then the id (a stable tie-break). */
export function compareEntries(a: QueueEntry, b: QueueEntry): number {
  return (
    rank(b.priority) - rank(a.priority) ||
    a.waitingSince - b.waitingSince ||
    (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0)
  );
}

export function rank(priority: HandoffPriority): number {
  return PRIORITY_RANK[priority];
}
