/**
 * Slack payloads → normalised {@link InboundEvent}s for the customer side, or a reason
 * to ignore them. Pure functions: the adapter logs the reason and does the I/O.
 *
 * Dedupe keys: a message is `<channel>:<ts>` — the same for a retried delivery (same
 * `event_id`) and for the `message` + `app_mention` pair Slack sends when the bot is
 * mentioned in a channel it is a member of (different `event_id`s, one message). A
 * button click is `<trigger_id>:<action_ts>`; a slash command `cmd:<trigger_id>`.
 *
 * @module
 */
import type { InboundEvent } from '../../src/core/adapter';
import type { Content, MediaKind } from '../../src/model';
import { CUSTOMER_ACTION_PREFIX, LINK_ACTION, NUMBERED_ACTION, POSTBACK_ACTION } from './render';

export const CHANNEL = 'slack';

/** Who "we" are on Slack (from `auth.test`). */
export interface SlackSelf {
  botUserId: string;
  botId?: string;
}

/** The fields of a Slack `message` / `app_mention` event this adapter reads. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  user_team?: string;
  team?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  bot_id?: string;
  bot_profile?: unknown;
  hidden?: boolean;
  files?: SlackFile[];
}

export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  url_private?: string;
  permalink?: string;
}

export type ParsedEvent =
  | { kind: 'accept'; events: InboundEvent[] }
  /** A thread reply in a channel without a mention: accept only if the sender's conversation lives in that thread. */
  | { kind: 'thread-reply'; events: InboundEvent[]; channel: string; threadTs: string }
  | { kind: 'ignore'; reason: string };

/** Message subtypes that carry something a customer said; every other subtype is a system notice or an edit. */
const CUSTOMER_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/** Why a message event is not the bot's business, or null when it may be. Applies to both sides. */
export function ignoreReason(event: SlackMessageEvent, self: SlackSelf): string | null {
  if ((self.botId && event.bot_id === self.botId) || (event.user && event.user === self.botUserId)) {
    return 'own message (echo of what the bot posted)';
  }
  if (event.bot_id || event.subtype === 'bot_message') return 'message from another bot';
  if (!CUSTOMER_SUBTYPES.has(event.subtype)) {
    return `message subtype ${event.subtype}${event.subtype === 'message_changed' ? ' (edits are not replayed to the bot)' : ''}`;
  }
  if (!event.user) return 'message without a user';
  if (!event.channel || !event.ts) return 'message without channel or ts';
  return null;
}

/**
 * A `message` or `app_mention` event from the customer side. DMs (`message.im`) and
 * mentions are always for the bot; in `supportChannels` every message is; elsewhere a
 * plain channel message is not, unless it replies in the thread the customer's
 * conversation lives in.
 */
export function parseMessageEvent(
  event: SlackMessageEvent,
  envelope: { team_id?: string; event_id?: string },
  self: SlackSelf,
  supportChannels: readonly string[],
): ParsedEvent {
  const reason = ignoreReason(event, self);
  if (reason) return { kind: 'ignore', reason };
  const channel = event.channel as string;
  const ts = event.ts as string;
  const user = event.user as string;
  const team = event.user_team ?? event.team ?? envelope.team_id ?? '';
  const isDm = event.channel_type === 'im' || (event.type === 'message' && channel.startsWith('D'));
  const mentionsBot = event.type === 'app_mention' || (event.text ?? '').includes(`<@${self.botUserId}>`);
  const supportChannel = supportChannels.includes(channel);

  // DMs: plain replies (threaded only if the customer wrote in a thread). Channels: always in a thread.
  const threadTs = isDm ? event.thread_ts : (event.thread_ts ?? ts);
  const address = { channel, team, ...(threadTs !== undefined && { threadTs }) };
  const events = toInbound(event, { channel, ts, user, team, address, self });
  if (events.length === 0)
    return { kind: 'ignore', reason: 'message with nothing to read (no text, no file)' };
  if (isDm || mentionsBot || supportChannel) return { kind: 'accept', events };
  if (event.thread_ts) return { kind: 'thread-reply', events, channel, threadTs: event.thread_ts };
  return {
    kind: 'ignore',
    reason: 'channel message not addressed to the bot (no mention, not a support channel)',
  };
}

function toInbound(
  event: SlackMessageEvent,
  m: {
    channel: string;
    ts: string;
    user: string;
    team: string;
    address: Record<string, string>;
    self: SlackSelf;
  },
): InboundEvent[] {
  const base = {
    channel: CHANNEL,
    sender: { externalId: slackExternalId(m.team, m.user) },
    address: m.address,
    sentAt: Math.round(Number(m.ts) * 1000),
  };
  const text = plainText(event.text ?? '', m.self.botUserId);
  const files = (event.files ?? []).filter((f) => f.url_private || f.permalink);
  if (files.length === 0) {
    return text
      ? [{ ...base, platformMessageId: `${m.channel}:${m.ts}`, content: { type: 'text', text } }]
      : [];
  }
  // One inbound message per file; the text travels as the first file's caption.
  return files.map((file, i) => ({
    ...base,
    platformMessageId: i === 0 ? `${m.channel}:${m.ts}` : `${m.channel}:${m.ts}:${i + 1}`,
    content: fileContent(file, i === 0 ? text : ''),
  }));
}

function fileContent(file: SlackFile, caption: string): Content {
  const mime = file.mimetype ?? '';
  const kind: MediaKind = mime.startsWith('image/')
    ? 'image'
    : mime.startsWith('audio/')
      ? 'audio'
      : mime.startsWith('video/')
        ? 'video'
        : 'file';
  return {
    type: 'media',
    kind,
    // url_private needs the bot token to download; operators in Slack open it as is.
    url: (file.url_private ?? file.permalink) as string,
    ...(caption && { caption }),
    ...(file.name && { filename: file.name }),
    ...(file.mimetype && { mimeType: file.mimetype }),
  };
}

/** The identity key: Slack user ids are per team (Enterprise Grid and Slack Connect keep them, the team tells them apart). */
export function slackExternalId(team: string, user: string): string {
  return team ? `${team}:${user}` : user;
}

/**
 * Slack's wire text → plain text: drops the leading mention of the bot, turns
 * `<url|label>`, `<@U…>`, `<#C…|name>` and `<!here>` into readable text, and unescapes
 * `&lt;` `&gt;` `&amp;` (last, so an escaped `&lt;` never becomes markup).
 */
export function plainText(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`^\\s*<@${botUserId}(\\|[^>]*)?>[\\s,:]*`), '')
    .replace(/<([^<>|]+)(?:\|([^<>]*))?>/g, (_all, target: string, label: string | undefined) => {
      if (target.startsWith('@')) return label ? `@${label}` : target;
      if (target.startsWith('#')) return label ? `#${label}` : target;
      if (target.startsWith('!')) return `@${(label ?? target.slice(1)).replace(/^subteam\^/, '')}`;
      const url = target.replace(/^mailto:/, '');
      return label && label !== url && label !== target ? `${label} (${url})` : url;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

/** The fields of a `block_actions` payload the customer side reads. */
export interface SlackBlockActions {
  type: string;
  trigger_id?: string;
  user?: { id?: string; team_id?: string; name?: string; username?: string };
  team?: { id?: string } | null;
  channel?: { id?: string } | null;
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
  message?: { ts?: string; thread_ts?: string; text?: string; blocks?: { block_id?: string }[] };
  actions?: {
    action_id?: string;
    block_id?: string;
    value?: string;
    action_ts?: string;
    text?: { text?: string };
  }[];
}

/** A click on a button the customer side rendered → a postback (or a numbered reply). */
export function parseBlockAction(body: SlackBlockActions): ParsedEvent {
  const action = body.actions?.[0];
  const actionId = action?.action_id ?? '';
  if (!actionId.startsWith(CUSTOMER_ACTION_PREFIX))
    return { kind: 'ignore', reason: `unknown action ${actionId}` };
  if (actionId.startsWith(LINK_ACTION))
    return { kind: 'ignore', reason: 'link button (the browser opened it)' };
  const user = body.user?.id;
  const channel = body.channel?.id ?? body.container?.channel_id;
  if (!user || !channel) return { kind: 'ignore', reason: 'action without user or channel' };
  const team = body.user?.team_id ?? body.team?.id ?? '';
  const threadTs = body.message?.thread_ts ?? body.container?.thread_ts;
  const title = action?.text?.text;
  let content: Content;
  if (actionId.startsWith(POSTBACK_ACTION)) {
    content = { type: 'postback', payload: action?.value ?? '', ...(title && { title }) };
  } else if (actionId.startsWith(NUMBERED_ACTION)) {
    // The payload was too long for a button value: the number maps back to it (numbered replies).
    content = { type: 'text', text: action?.value ?? '' };
  } else {
    return { kind: 'ignore', reason: `unknown action ${actionId}` };
  }
  return {
    kind: 'accept',
    events: [
      {
        channel: CHANNEL,
        platformMessageId: `act:${body.trigger_id ?? ''}:${action?.action_ts ?? ''}`,
        sender: { externalId: slackExternalId(team, user) },
        address: { channel, team, ...(threadTs !== undefined && { threadTs }) },
        content,
        ...(action?.action_ts && { sentAt: Math.round(Number(action.action_ts) * 1000) }),
      },
    ],
  };
}

/** The form fields of a slash command. */
export interface SlackSlashCommand {
  command?: string;
  text?: string;
  user_id?: string;
  team_id?: string;
  channel_id?: string;
  trigger_id?: string;
}

/** A slash command on the customer side: what the customer typed, as text. */
export function parseSlashCommand(body: SlackSlashCommand): ParsedEvent {
  if (!body.user_id || !body.channel_id || !body.command) {
    return { kind: 'ignore', reason: 'command without user, channel or name' };
  }
  const text = `${body.command} ${body.text ?? ''}`.trim();
  return {
    kind: 'accept',
    events: [
      {
        channel: CHANNEL,
        platformMessageId: `cmd:${body.trigger_id ?? `${body.channel_id}:${Date.now()}`}`,
        sender: { externalId: slackExternalId(body.team_id ?? '', body.user_id) },
        address: { channel: body.channel_id, team: body.team_id ?? '' },
        content: { type: 'text', text },
      },
    ],
  };
}
