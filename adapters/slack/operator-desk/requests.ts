/**
 * What Slack sends the desk: events (an operator's reply in a card's thread goes to the
 * customer; opening the App Home), interactions (the card's and the Home's buttons) and
 * the `/switchboard` commands (see `commands.ts`). Parsing and answering the operator is
 * done here; the actions themselves are in `actions.ts`.
 *
 * @module
 */
import type { webApi } from '@slack/bolt';
import type { SlackDeskEvent, SlackDeskInteraction, SlackDeskRequest } from '../desk';
import { SLACK_FILE_REF, toDeliveryError } from '../errors';
import { escapeMrkdwn } from '../render';
import type { ContentInput, MediaContent } from '../../../src/model';
import { teamFor } from '../../../src/handoff/timing';
import {
  claim,
  type DeskResult,
  operatorReply,
  resolve,
  setAvailability,
  transfer,
} from '../../../src/desk/actions';
import { ACTION } from './blocks';
import { runCommand } from './commands';
import { type DeskCore, notOperator } from '../../../src/desk/core';
import type { AppHome } from './home';
import type { DeskThread } from '../../../src/desk/outbox';
import { METADATA_TYPE } from './performer';

/** Types every channel shows as such (others go as a document: HEIC photos, QuickTime videos…). */
const IMAGE = /^image\/(jpeg|png|gif)$/;
const VIDEO = /^video\/(mp4|3gpp)$/;
const AUDIO = /^audio\/(mpeg|mp4|aac|ogg|amr)$/;

/**
 * Files an operator shared in the thread, as media messages for the customer: each a
 * signed link through this server (`slack-file:<id>`, fetched with the bot token). Only
 * files Slack hosts can be passed on; the others (Google Drive links, canvases, posts,
 * files hidden by a plan's history limit) are named in `skipped`.
 */
function sharedFiles(
  desk: DeskCore,
  raw: unknown,
): { files: { id: string; content: MediaContent }[]; skipped: string[] } {
  const files: { id: string; content: MediaContent }[] = [];
  const skipped: string[] = [];
  for (const value of Array.isArray(raw) ? raw : []) {
    const file = value as {
      id?: unknown;
      name?: unknown;
      title?: unknown;
      mimetype?: unknown;
      mode?: unknown;
    };
    const filename = typeof file.name === 'string' ? file.name : undefined;
    if (typeof file.id !== 'string' || (file.mode !== 'hosted' && file.mode !== 'snippet')) {
      skipped.push(filename ?? (typeof file.title === 'string' ? file.title : 'a file'));
      continue;
    }
    const mimeType = typeof file.mimetype === 'string' ? file.mimetype.toLowerCase() : undefined;
    const kind = !mimeType
      ? 'file'
      : IMAGE.test(mimeType)
        ? 'image'
        : VIDEO.test(mimeType)
          ? 'video'
          : AUDIO.test(mimeType)
            ? 'audio'
            : 'file';
    const url = desk.bot.media.link({
      channel: 'slack',
      ref: `${SLACK_FILE_REF}${file.id}`,
      ...(filename && { filename }),
      ...(mimeType && { mimeType }),
    });
    files.push({
      id: file.id,
      content: { type: 'media', kind, url, ...(filename && { filename }), ...(mimeType && { mimeType }) },
    });
  }
  return { files, skipped };
}

/** What the requests need of the App Home. */
type Home = Pick<AppHome, 'opened' | 'publish'>;

/** An operator's thread reply that stays in Slack. */
const NOTE = /^\s*note\s*:/i;

/** Everything Slack sends the desk (the adapter routes it here): events, clicks, slash commands. */
export async function handleSlackRequest(desk: DeskCore, home: Home, request: SlackDeskRequest) {
  if (!desk.enabled) return undefined;
  switch (request.kind) {
    case 'event':
      return onEvent(desk, home, request);
    case 'interaction':
      return onInteraction(desk, home, request);
    case 'command':
      return runCommand(desk, request);
  }
}

async function onEvent(desk: DeskCore, home: Home, request: SlackDeskEvent): Promise<undefined> {
  const event = request.event as unknown as Record<string, unknown>;
  if (event.type === 'app_home_opened' && typeof event.user === 'string') {
    if (event.tab === undefined || event.tab === 'home') {
      await home.opened(event.user, request.client);
    }
    return undefined;
  }
  if (event.type !== 'message') return undefined;
  const subtype = event.subtype as string | undefined;
  if (subtype && subtype !== 'file_share' && subtype !== 'thread_broadcast') return undefined;
  const { channel, thread_ts: threadTs, user, ts } = event as Record<string, string | undefined>;
  if (!channel || !threadTs || !user || !ts || threadTs === ts) return undefined;
  const thread =
    (await desk.outbox.threadAt(channel, threadTs)) ??
    (await unrecordedCard(desk, request.client, channel, threadTs));
  if (!thread) return undefined;
  const raw = typeof event.text === 'string' ? event.text : '';
  if (NOTE.test(raw)) return undefined;
  const { files, skipped } = sharedFiles(desk, event.files);
  const text = slackToPlain(raw);
  const key = `slack:${channel}:${ts}`;
  // The text first, then each file (its own message, keyed by the file: a retry sends nothing twice).
  const replies: [ContentInput, string][] = [
    ...(text ? [[text, key] as [ContentInput, string]] : []),
    ...files.map((file) => [file.content, `${key}:file:${file.id}`] as [ContentInput, string]),
  ];
  for (const [content, idempotencyKey] of replies) {
    const result = await operatorReply(desk, thread.conversationId, user, content, idempotencyKey);
    if (!result.ok) {
      await ephemeral(desk, request.client, channel, user, threadTs, result.message);
      return undefined;
    }
  }
  if (skipped.length)
    await ephemeral(
      desk,
      request.client,
      channel,
      user,
      threadTs,
      `Not sent to the customer: ${escapeMrkdwn(skipped.join(', '))} (only files uploaded to Slack can be passed on; share a link instead).`,
    );
  return undefined;
}

/**
 * A reply in the thread of a card that is in Slack but not yet known to the desk: Slack
 * posted it and its answer was lost (a 5xx, a timeout), and the outbox has not found it
 * yet (it looks only on its next attempt, after a backoff of up to minutes). Operators
 * already see the card and reply in its thread; without this their reply would be
 * dropped silently. The card's metadata names its outbox item, so the thread is recorded
 * here. Only asked while such a card exists; if Slack cannot be asked, this throws and
 * the event is answered 500, so Slack delivers it again.
 */
async function unrecordedCard(
  desk: DeskCore,
  client: webApi.WebClient,
  channel: string,
  threadTs: string,
): Promise<DeskThread | null> {
  if (!(await desk.outbox.hasUncertainCard())) return null;
  let page: Awaited<ReturnType<webApi.WebClient['conversations']['replies']>>;
  try {
    page = await client.conversations.replies({
      channel,
      ts: threadTs,
      limit: 1,
      include_all_metadata: true,
    });
  } catch (error) {
    throw toDeliveryError(error, 'conversations.replies');
  }
  const parent = (page.messages ?? []).find((m) => m.ts === threadTs) as
    | { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }
    | undefined;
  const key = parent?.metadata?.event_type === METADATA_TYPE ? parent.metadata.event_payload?.key : undefined;
  const conversationId = typeof key === 'string' ? /^card:([^:]+):/.exec(key)?.[1] : undefined;
  if (!conversationId) return null;
  const item = (await desk.outbox.list(conversationId)).find((i) => i.key === key);
  if (!item) return null;
  const team = teamFor(desk.config, String(item.payload.team)).name;
  await desk.outbox.addThread({ conversationId, channel, ts: threadTs, team });
  return desk.outbox.threadAt(channel, threadTs);
}

async function onInteraction(desk: DeskCore, home: Home, request: SlackDeskInteraction) {
  const body = request.body as { user?: { id?: string }; view?: { type?: string } };
  const user = body.user?.id;
  const action = request.action as
    | { action_id?: string; value?: string; selected_option?: { value?: string } }
    | undefined;
  if (!user || !action?.action_id) return undefined;
  let result: DeskResult | undefined;
  const value = action.value ?? '';
  switch (action.action_id) {
    case ACTION.claim:
      result = await claim(desk, value, user);
      break;
    case ACTION.resolve:
      result = await resolve(desk, value, user, { outcome: 'resolved' });
      break;
    case ACTION.handBack:
      result = await resolve(desk, value, user, { outcome: 'handed_back' });
      break;
    case ACTION.transfer: {
      const [conversationId = '', team = ''] = (action.selected_option?.value ?? '').split('|');
      result = (await desk.queue.operator(user))
        ? await transfer(desk, conversationId, team, user)
        : { ok: false, message: notOperator(user) };
      break;
    }
    case ACTION.available:
    case ACTION.away:
      result = await setAvailability(
        desk,
        user,
        action.action_id === ACTION.available ? 'available' : 'away',
      );
      break;
    default:
      return undefined;
  }
  if (body.view?.type === 'home') await home.publish(user, request.client);
  else if (!result.ok)
    await request.respond?.({ response_type: 'ephemeral', replace_original: false, text: result.message });
  return undefined;
}

async function ephemeral(
  desk: DeskCore,
  client: webApi.WebClient,
  channel: string,
  user: string,
  threadTs: string,
  text: string,
) {
  try {
    await client.chat.postEphemeral({ channel, user, thread_ts: threadTs, text });
  } catch (error) {
    desk.bot.logger.warn({ err: error }, 'desk: could not tell the operator (postEphemeral)');
  }
}

/** The emoji operators type most, as Slack shortcodes → the characters every channel shows. */
const EMOJI: Record<string, string> = {
  smile: '😄',
  slightly_smiling_face: '🙂',
  blush: '😊',
  grinning: '😀',
  wink: '😉',
  joy: '😂',
  pray: '🙏',
  wave: '👋',
  '+1': '👍',
  thumbsup: '👍',
  ok_hand: '👌',
  clap: '👏',
  tada: '🎉',
  heart: '❤️',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  warning: '⚠️',
  package: '📦',
  truck: '🚚',
  sweat_smile: '😅',
  pensive: '😔',
  disappointed: '😞',
};

/**
 * Slack mrkdwn as the customer should read it: links and mentions unwrapped, entities
 * decoded, common emoji shortcodes as emoji, and the `*bold*`/`_italic_`/`~strike~` marks
 * dropped (the customer's channel may not render them).
 */
export function slackToPlain(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<mailto:([^|>]+)(\|[^>]+)?>/g, '$1')
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<@[A-Z0-9]+(\|([^>]+))?>/g, (_m, _g, name: string | undefined) => (name ? `@${name}` : ''))
    .replace(/<!(here|channel|everyone)[^>]*>/g, '')
    .replace(/(^|[\s(])([*_~])(?=\S)([^*_~\n]*?\S)\2(?=$|[\s.,!?;:)])/g, '$1$3')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
