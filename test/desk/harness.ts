/**
 * The sample bot (repo root: intents, flows, handoff.yml) with the Slack app pointed at a
 * fake Slack Web API on 127.0.0.1, plus helpers that act as Slack: signed events, clicks
 * and slash commands, as an operator would send them.
 */
import { channels } from '../../adapters';
import path from 'node:path';
import { WebSocket } from 'ws';
import { createSwitchboard, type SwitchboardBot, type SwitchboardOptions } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Desk } from '../../src/desk';
import type { Message } from '../../src/model';
import {
  type FakeSlack,
  SECRET,
  slackHeaders,
  startFakeSlack,
  TOKEN,
  until,
} from '../channels/slack/harness';
import { tempDir } from '../helpers/bot';

export const ROOT = path.resolve(__dirname, '../..');
/** The sample handoff.yml's ids. */
export const SUPPORT = 'C0SUPPORT1';
export const RETURNS = 'C0RETURNS1';
export const ADA = 'U0ADA00001';
export const GRACE = 'U0GRACE001';
export const LINUS = 'U0LINUS001';

/** One NLU model for every desk test (training once is enough). */
const nluCacheDir = tempDir('sb-desk-nlu-');

export interface DeskBot {
  bot: SwitchboardBot;
  desk: Desk;
  fake: FakeSlack;
  url: string;
  dataDir: string;
  /** POSTs a signed Events API callback. */
  event(event: Record<string, unknown>, eventId?: string): Promise<Response>;
  /** A signed block_actions click. */
  click(user: string, actionId: string, value: string, extra?: Record<string, unknown>): Promise<Response>;
  /** A signed `/switchboard …` command; returns the ack body. */
  command(user: string, text: string): Promise<Record<string, unknown>>;
  /** An operator's reply in a card's thread (`ts` is made up, unique). */
  threadReply(user: string, channel: string, threadTs: string, text: string): Promise<Response>;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

let eventSeq = 0;

export async function startDeskBot(
  options: {
    fake?: FakeSlack;
    dataDir?: string;
    env?: Record<string, string>;
    create?: Partial<SwitchboardOptions>;
  } = {},
): Promise<DeskBot> {
  const fake = options.fake ?? (await startFakeSlack());
  const dataDir = options.dataDir ?? tempDir('sb-desk-');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    BOT_DIR: ROOT,
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...options.env,
  });
  const bot = createSwitchboard(config, {
    channels,
    nluCacheDir,
    outbox: { pollIntervalMs: 20, retryBaseMs: 20, maxRetryDelayMs: 100 },
    worker: { sweepIntervalMs: 100 },
    desk: { sender: { pollIntervalMs: 20, retryBaseMs: 20, maxRetryDelayMs: 100 }, timerIntervalMs: 50 },
    ...options.create,
  });
  await bot.start();
  const url = bot.url;
  const signed = (p: string, raw: string, contentType: string) =>
    fetch(`${url}${p}`, { method: 'POST', headers: slackHeaders(raw, { contentType }), body: raw });
  const desk = bot.desk as Desk;
  return {
    bot,
    desk,
    fake,
    url,
    dataDir,
    event: (event, eventId = `Ev${++eventSeq}${Date.now()}`) =>
      signed(
        '/webhooks/slack/events',
        JSON.stringify({
          type: 'event_callback',
          team_id: 'T0TEAM0001',
          api_app_id: 'A0APP00001',
          event_id: eventId,
          event_time: Math.floor(Date.now() / 1000),
          event,
        }),
        'application/json',
      ),
    click: (user, actionId, value, extra = {}) => {
      const action =
        actionId === 'desk:transfer'
          ? { action_id: actionId, type: 'static_select', selected_option: { value } }
          : { action_id: actionId, type: 'button', value };
      const payload = {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase() },
        team: { id: 'T0TEAM0001' },
        channel: { id: SUPPORT },
        trigger_id: `trig-${++eventSeq}`,
        response_url: `${fake.url}/response/${eventSeq}`,
        actions: [{ ...action, block_id: 'desk', action_ts: String(Date.now() / 1000) }],
        ...extra,
      };
      return signed(
        '/webhooks/slack/interactivity',
        `payload=${encodeURIComponent(JSON.stringify(payload))}`,
        'application/x-www-form-urlencoded',
      );
    },
    command: async (user, text) => {
      const res = await signed(
        '/webhooks/slack/commands',
        slashCommand(user, text, `${fake.url}/response/${++eventSeq}`),
        'application/x-www-form-urlencoded',
      );
      const body = await res.text();
      return body ? (JSON.parse(body) as Record<string, unknown>) : {};
    },
    threadReply: (user, channel, threadTs, text) =>
      signedEvent(signed, {
        type: 'message',
        channel,
        user,
        text,
        ts: `${Math.floor(Date.now() / 1000)}.${String(++eventSeq).padStart(6, '0')}`,
        thread_ts: threadTs,
        channel_type: 'channel',
      }),
    idle: async () => {
      await bot.idle();
      await desk.idle();
      await bot.idle();
    },
    stop: async () => {
      await bot.stop();
      if (!options.fake) await fake.close();
    },
  };
}

/** A `/switchboard …` command's form body, as Slack posts it from the support channel. */
export function slashCommand(user: string, text: string, responseUrl: string): string {
  return new URLSearchParams({
    command: '/switchboard',
    text,
    user_id: user,
    user_name: user.toLowerCase(),
    channel_id: SUPPORT,
    team_id: 'T0TEAM0001',
    trigger_id: `trig-${++eventSeq}`,
    response_url: responseUrl,
  }).toString();
}

function signedEvent(
  signed: (p: string, raw: string, contentType: string) => Promise<Response>,
  event: Record<string, unknown>,
): Promise<Response> {
  return signed(
    '/webhooks/slack/events',
    JSON.stringify({
      type: 'event_callback',
      team_id: 'T0TEAM0001',
      api_app_id: 'A0APP00001',
      event_id: `Ev${++eventSeq}${Date.now()}`,
      event_time: Math.floor(Date.now() / 1000),
      event,
    }),
    'application/json',
  );
}

/** A web visitor: posts over HTTP, hears over the WebSocket. */
export async function webVisitor(url: string, visitorId: string) {
  const heard: Message[] = [];
  const socket = new WebSocket(`${url.replace('http', 'ws')}/web/socket?visitorId=${visitorId}`);
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type?: string; message?: Message } & Partial<Message>;
    const message = frame.message ?? (frame.id ? (frame as Message) : undefined);
    if (message?.id) heard.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let n = 0;
  return {
    heard,
    async say(text: string) {
      const res = await fetch(`${url}/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ visitorId, text, clientMessageId: `${visitorId}-${++n}` }),
      });
      if (res.status !== 202) throw new Error(`POST /web/messages: ${res.status} ${await res.text()}`);
      return (await res.json()) as { conversationId: string; messageId: string };
    },
    /** Waits for a message from the bot side whose text matches. */
    async hears(pattern: RegExp, ms = 15_000): Promise<Message> {
      let found: Message | undefined;
      await until(() => {
        found = heard.find((m) => m.author !== 'customer' && pattern.test(m.text));
        return found !== undefined;
      }, ms);
      return found as Message;
    },
    close: () => socket.close(),
  };
}

/** Text of every block and the fallback text of a Slack message, for matching. */
export function slackText(message: { text?: unknown; blocks?: unknown }): string {
  return `${String(message.text ?? '')}\n${JSON.stringify(message.blocks ?? [])}`;
}
