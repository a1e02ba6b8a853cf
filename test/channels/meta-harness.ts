/**
 * Test harness for the Meta channels: a fake Graph API on 127.0.0.1 that answers like
 * the Send API / Cloud API, the real Switchboard server configured for Messenger and
 * WhatsApp, signed webhook posts, and captured logs.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { signHubBody } from '../../adapters/meta-graph/verify';
import { channels } from '../../adapters';
import { adaptersFromConfig } from '../../src/core/channel';
import { loadConfig } from '../../src/config';
import { Bot } from '../../src/core/bot';
import type { Context } from '../../src/core/context';
import type { Message } from '../../src/model';
import { tempDir } from '../helpers/bot';
import { type FakeApi, type RecordedCall, startFakeApi } from '../helpers/fake-api';
import { fixturesDir } from '../helpers/fixtures';

export const FIXTURES_DIR = fixturesDir;

export function fixtureText(platform: string, file: string): string {
  return fs.readFileSync(path.join(FIXTURES_DIR, platform, file), 'utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are JSON read freely by tests
export function fixture<T = any>(platform: string, file: string): T {
  return JSON.parse(fixtureText(platform, file)) as T;
}

export const APP_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const VERIFY_TOKEN = 'my-verify-token';
export const PHONE_NUMBER_ID = '106540352242922';
export const PSID = '6100000000000042';
export const WA_ID = '16505551234';

export const metaEnv = (graphUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  META_GRAPH_URL: `${graphUrl}/v21.0`,
  MESSENGER_VERIFY_TOKEN: VERIFY_TOKEN,
  MESSENGER_APP_SECRET: APP_SECRET,
  MESSENGER_PAGE_ACCESS_TOKEN: 'EAAG-page-token',
  WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_ACCESS_TOKEN: 'EAAG-wa-token',
  WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
  ...extra,
});

/** The fake Graph API: `/v21.0/me/messages` (Messenger) and `/v21.0/{id}/messages` (WhatsApp). */
export async function startFakeGraph(): Promise<FakeApi & { sends(): RecordedCall[] }> {
  let n = 0;
  const api = await startFakeApi(() => ({ status: 200, body: {} }));
  api.respond(defaultGraphAnswer(() => ++n));
  return Object.assign(api, {
    /** Calls that deliver something to a person (not mark-as-read, not typing). */
    sends: () =>
      api.calls.filter((c) => {
        const body = c.json as { status?: string; sender_action?: string } | undefined;
        return body?.status !== 'read' && body?.sender_action === undefined;
      }),
  });
}

export function defaultGraphAnswer(next: () => number) {
  return (call: RecordedCall) => {
    const id = next();
    if (call.path.includes('/me/messages')) {
      return { status: 200, body: { recipient_id: PSID, message_id: `m_sent_${id}` } };
    }
    const body = call.json as { status?: string } | undefined;
    if (body?.status === 'read') return { status: 200, body: { success: true } };
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: WA_ID, wa_id: WA_ID }],
        messages: [{ id: `wamid.sent.${id}` }],
      },
    };
  };
}

export interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  channel?: string;
}

export interface MetaBot {
  bot: Bot<Context>;
  url: string;
  logs: LogLine[];
  stop(): Promise<void>;
}

/** The real server (channels from the registry) with the test behaviour and fast outbox timings. */
export async function startMetaBot(
  env: Record<string, string>,
  setup?: (bot: Bot<Context>) => void,
): Promise<MetaBot> {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('sb-meta-'),
    OUTBOX_MAX_ATTEMPTS: '6',
    ...env,
  });
  // The channels come from the registry, exactly as `switchboard start` builds them.
  const bot = new Bot<Context>({
    config,
    logger,
    adapters: adaptersFromConfig(config, channels),
    outbox: { pollIntervalMs: 20, retryBaseMs: 30, maxRetryDelayMs: 200 },
    worker: { sweepIntervalMs: 100 },
  });
  setup?.(bot);
  await bot.start();
  return { bot, url: bot.url, logs, stop: () => bot.stop() };
}

/** POSTs `body` exactly as given, signed like Meta signs it (or with `signature` when given). */
export async function postSigned(
  url: string,
  body: string | object,
  options: { secret?: string; signature?: string | null } = {},
): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature =
    options.signature === undefined ? signHubBody(raw, options.secret ?? APP_SECRET) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return fetch(url, { method: 'POST', headers, body: raw });
}

export { until } from '../helpers/until';

/** The open conversation's messages of the person with `externalId` on `channel`. */
export async function transcript(bot: Bot<Context>, channel: string, externalId: string): Promise<Message[]> {
  const identity = await bot.store.identities.find(channel, externalId);
  if (!identity) return [];
  const conversation = await bot.store.conversations.findOpen(identity.customerId);
  return conversation ? bot.store.messages.list(conversation.id) : [];
}

/** Moves the person's last inbound time into the past (a closed messaging window). */
export async function ageWindow(
  bot: Bot<Context>,
  channel: string,
  externalId: string,
  hours: number,
): Promise<void> {
  const identity = await bot.store.identities.find(channel, externalId);
  if (!identity) throw new Error(`no ${channel} identity ${externalId}`);
  await bot.store.identities.touch(identity.id, {
    address: identity.address,
    lastInboundAt: Date.now() - hours * 3_600_000,
  });
}

export const SIZES = ['S', 'M', 'L', 'XL', 'XXL'].map((s) => ({
  type: 'postback' as const,
  title: s,
  payload: `size:${s}`,
}));

/**
 * The test bot's behaviour: a pressed button answers "picked <payload>"; "sizes" offers
 * five buttons, "many" eleven, "confirm" two; anything else is echoed.
 */
export function testBehaviour(bot: Bot<Context>): void {
  bot.use(async (ctx) => {
    if (ctx.payload !== undefined) {
      await ctx.reply(`picked ${ctx.payload}`);
      return;
    }
    const content = ctx.message.content;
    const text =
      ctx.text ?? `[${content.type}${content.type === 'media' ? ` ${content.kind} ${content.url}` : ''}]`;
    if (text === 'sizes') await ctx.reply({ type: 'text', text: 'Which size?', buttons: SIZES });
    else if (text === 'many')
      await ctx.reply({
        type: 'text',
        text: 'Which one?',
        buttons: Array.from({ length: 11 }, (_, i) => ({
          type: 'postback' as const,
          title: `Option ${i + 1}`,
          payload: `opt:${i + 1}`,
        })),
      });
    else if (text === 'confirm')
      await ctx.reply({
        type: 'text',
        text: 'Do you want to talk to a human?',
        buttons: [
          { type: 'postback', title: 'Talk to a human', payload: 'handoff_yes' },
          { type: 'postback', title: 'No, thanks', payload: 'handoff_no' },
        ],
      });
    else await ctx.reply(`echo: ${text}`);
  });
}

/** A Messenger webhook body with one text message. */
export function messengerText(mid: string, text: string, psid = PSID) {
  return {
    object: 'page',
    entry: [
      {
        id: '105000000000001',
        time: Date.now(),
        messaging: [
          {
            sender: { id: psid },
            recipient: { id: '105000000000001' },
            timestamp: Date.now(),
            message: { mid, text },
          },
        ],
      },
    ],
  };
}

/** A WhatsApp webhook body with one message (`message` gets from/id/timestamp). */
export function whatsappMessage(id: string, message: Record<string, unknown>, from = WA_ID) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name: 'Ana Silva' }, wa_id: from }],
              messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), ...message }],
            },
          },
        ],
      },
    ],
  };
}
