/**
 * One Slack app serves two audiences: customers (DMs, @mentions, Slack Connect channels)
 * and, later, the operator desk (escalation channels, Claim/Resolve buttons, the
 * `/switchboard` command, App Home). The adapter owns the receiver — signature check,
 * dedupe, ack deadlines — and decides per request which side it belongs to; the desk
 * plugs in with {@link SlackAdapter.onOperatorEvent} and never touches HTTP.
 *
 * Routing (first match wins):
 * - the bot's own messages and other bots' are dropped on both sides;
 * - events in a desk channel → desk; `message` / `app_mention` elsewhere → customer;
 *   every other event type (`app_home_opened`, `reaction_added`, …) → desk;
 * - clicks: `action_id` starting with `sb:` (buttons the customer renderer made) → customer;
 *   anything else (the desk's `desk:` buttons, modals, shortcuts) → desk;
 * - slash commands: a desk command (default `/switchboard`) or any command typed in a
 *   desk channel → desk; others → customer (as text).
 *
 * @module
 */
import type { EnvelopedEvent, RespondFn, SlashCommand, types, webApi } from '@slack/bolt';
import type { Logger } from '../../src/observability/logger';
import { CUSTOMER_ACTION_PREFIX } from './render';

/** Which side of the shared Slack app a request belongs to. */
export type SlackSide = 'customer' | 'desk';

/** What belongs to the desk. Checked per request, so the desk may change it at runtime. */
export interface SlackDeskRoutes {
  /** Escalation channels (ids), or a predicate over the channel id. Default: none. */
  channels?: readonly string[] | ((channelId: string) => boolean);
  /** Desk buttons' `action_id` prefix. Default `desk:`. (Informational: every non-`sb:` action goes to the desk.) */
  actionPrefix?: string;
  /** The desk's slash commands. Default `['/switchboard']`. */
  commands?: readonly string[];
}

interface DeskRequestBase {
  /** The bot's client (token, `SLACK_API_URL`); it does not retry — wrap calls that must not be lost in a durable queue. */
  client: webApi.WebClient;
  /** The bot user's id (`auth.test`): mentions of the bot look like `<@botUserId>`. */
  botUserId: string;
  logger: Logger;
}

/** An Events API event for the desk: a thread reply in an escalation channel, an App Home open, … */
export interface SlackDeskEvent extends DeskRequestBase {
  kind: 'event';
  event: types.SlackEvent;
  /** The envelope (`event_id`, `team_id`, `authorizations`, …). */
  body: EnvelopedEvent<types.SlackEvent>;
  /** Slack's id for this delivery; identical on retries (the adapter already drops retries it saw succeed in this process). */
  eventId: string;
  /** `X-Slack-Retry-Num`, when Slack is redelivering. */
  retryNum?: number;
}

/** A click, a modal submission, a shortcut, an options request. */
export interface SlackDeskInteraction extends DeskRequestBase {
  kind: 'interaction';
  /** The decoded `payload` (`type`: `block_actions`, `view_submission`, `shortcut`, …). */
  body: { type: string } & Record<string, unknown>;
  /** The first action of a `block_actions` payload. */
  action?: { action_id?: string; value?: string } & Record<string, unknown>;
  /** Posts to the payload's `response_url` (absent for payloads without one). */
  respond?: RespondFn;
}

/** A slash command (`/switchboard queue`, …). */
export interface SlackDeskCommand extends DeskRequestBase {
  kind: 'command';
  command: SlashCommand;
  respond: RespondFn;
}

export type SlackDeskRequest = SlackDeskEvent | SlackDeskInteraction | SlackDeskCommand;

/**
 * What a desk handler may answer within Slack's 3-second ack deadline: the body of the
 * HTTP response (a slash command's ephemeral reply, a modal's `response_action`). The
 * adapter waits up to {@link DESK_ACK_BUDGET_MS} for it, then acks empty and lets the
 * handler finish in the background (events are acked once received; their answer is ignored).
 */
export type SlackDeskAck = string | Record<string, unknown> | undefined;

/** What a desk handler returns: an ack body, or nothing at all (the common case). */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` must be a valid handler
export type SlackDeskAnswer = SlackDeskAck | void;

export type SlackDeskHandler = (request: SlackDeskRequest) => Promise<SlackDeskAnswer> | SlackDeskAnswer;

/** How long the desk may take before the adapter acks for it (Slack allows 3 s end to end). */
export const DESK_ACK_BUDGET_MS = 2500;

export const DEFAULT_DESK_COMMANDS = ['/switchboard'] as const;

function inDeskChannel(routes: SlackDeskRoutes | undefined, channelId: string | undefined): boolean {
  if (!routes?.channels || !channelId) return false;
  return typeof routes.channels === 'function'
    ? routes.channels(channelId)
    : routes.channels.includes(channelId);
}

/** The side an Events API event belongs to. */
export function sideOfEvent(
  routes: SlackDeskRoutes | undefined,
  event: { type: string; channel?: unknown },
): SlackSide {
  if (inDeskChannel(routes, typeof event.channel === 'string' ? event.channel : undefined)) return 'desk';
  return event.type === 'message' || event.type === 'app_mention' ? 'customer' : 'desk';
}

/** The side an interactivity payload belongs to. */
export function sideOfInteraction(actionId: string | undefined): SlackSide {
  return actionId?.startsWith(CUSTOMER_ACTION_PREFIX) ? 'customer' : 'desk';
}

/** The side a slash command belongs to. */
export function sideOfCommand(
  routes: SlackDeskRoutes | undefined,
  command: { command?: string; channel_id?: string },
): SlackSide {
  const commands = routes?.commands ?? DEFAULT_DESK_COMMANDS;
  if (command.command && commands.includes(command.command)) return 'desk';
  return inDeskChannel(routes, command.channel_id) ? 'desk' : 'customer';
}
