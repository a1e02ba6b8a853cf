/**
 * The shapes of `GET /api/v1/analytics` (docs/api.md has every figure's definition).
 *
 * @module
 */

/** Which conversations the figures describe: those started in [from, to). */
export interface AnalyticsFilter {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** Conversations that started on this channel (their first message's channel). */
  channel?: string;
  /** Conversations handed to this team (a handoff request for it). */
  team?: string;
}

/** Nearest-rank percentiles, in seconds; null when there is nothing to measure. */
export interface Percentiles {
  p50: number | null;
  p90: number | null;
  /** How many durations were measured. */
  count: number;
}

export interface Analytics {
  from: string;
  to: string;
  channel: string | null;
  team: string | null;
  conversations: number;
  /** Share of conversations no person took part in, and none is waiting for (null with no conversations). */
  automationRate: number | null;
  /** Share of conversations with at least one handoff request. */
  handoffRate: number | null;
  handoffReasons: { reason: string; count: number }[];
  firstHumanReplySeconds: Percentiles;
  resolutionSeconds: Percentiles;
  csat: { average: number | null; count: number };
  /** Share of the customers' classified messages that no intent matched. */
  outOfScopeRate: number | null;
  byChannel: { channel: string; conversations: number; messages: number }[];
  /** Hours (UTC) with any activity, in order. */
  byHour: { hour: string; conversations: number; messages: number; sentiment: number | null }[];
  topIntents: { intent: string; count: number }[];
  byTeam: {
    team: string;
    handoffs: number;
    resolved: number;
    handedBack: number;
    cancelled: number;
    firstHumanReplySeconds: Percentiles;
    resolutionSeconds: Percentiles;
  }[];
  byOperator: {
    operatorId: string;
    operatorName: string | null;
    claimed: number;
    resolved: number;
    handedBack: number;
    resolutionSeconds: Percentiles;
    csat: { average: number | null; count: number };
  }[];
}
