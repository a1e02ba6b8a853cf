/**
 * Every file in test/fixtures/platforms/directline is handled by the Bot Framework adapter or
 * deliberately ignored with a logged reason; settings; the development-mode warning.
 */
import { channels } from '../../adapters';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { botframeworkSettings, renderActivity } from '../../adapters/botframework';
import { connectorError, retryAfterSeconds } from '../../adapters/botframework/http-client';
import { createSwitchboard } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Bot } from '../../src/core/bot';
import type { Context } from '../../src/core/context';
import { ConfigError } from '../../src/errors';
import { tempDir } from '../helpers/bot';
import { type FakeApi, startFakeApi } from '../helpers/fake-api';
import { FIXTURES_DIR, fixture, until } from './fake-telegram';

// biome-ignore lint/suspicious/noExplicitAny: activities are free-form JSON in tests
type Json = any;

interface LogLine {
  msg: string;
  level: number;
  reason?: string;
  activityId?: string;
}

let connector: FakeApi;
let bot: Bot<Context>;
let logs: LogLine[];

async function start(env: Record<string, string>) {
  logs = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir(),
    BOT_DIR: tempDir('sb-bot-'),
    ...env,
  });
  bot = createSwitchboard(config, { channels, logger, outbox: { pollIntervalMs: 50, retryBaseMs: 50 } });
  await bot.start();
}

async function post(activity: unknown): Promise<Response> {
  return fetch(`${bot.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
}

/** A Direct Line client activity as the Direct Line service forwards it to the bot. */
function asDelivered(activity: Json, id: string): Json {
  return {
    id,
    channelId: 'directline',
    conversation: { id: 'Fk8xLqN0WcZ3H7yU1rTe-us' },
    recipient: { id: 'acme-bot', name: 'Acme Support' },
    ...activity,
    serviceUrl: `${connector.url}/`,
  };
}

async function storedInbound(): Promise<Json[]> {
  const identity = await bot.store.identities.find('botframework', 'directline:dl_7f3c9a2e5b1d4c8f');
  const conversation = identity ? await bot.store.conversations.findOpen(identity.customerId) : null;
  const messages = conversation ? await bot.store.messages.list(conversation.id) : [];
  return messages.filter((m) => m.direction === 'in');
}

beforeEach(async () => {
  connector = await startFakeApi(() => ({ status: 200, body: { id: 'reply-1' } }));
});

afterEach(async () => {
  await bot?.stop();
  await connector.close();
});

test('every Direct Line / Bot Connector fixture is handled or deliberately ignored with a logged reason', async () => {
  await start({ NODE_ENV: 'development', BOTFRAMEWORK_ENABLED: 'true' });
  const ignoredWith = (id: string) =>
    logs.find((l) => l.msg === 'botframework activity ignored' && l.activityId === id);
  const storedWithId = async (id: string) =>
    (await storedInbound()).find((m) => m.platformMessageId === `directline:Fk8xLqN0WcZ3H7yU1rTe-us:${id}`);

  /** Direct Line client ↔ service payloads: they never reach a bot endpoint; if one is posted, it is refused. */
  const clientProtocol = (file: string) => async () => {
    const res = await post(fixture('directline', file));
    expect(res.status).toBe(400);
  };

  const table: Record<string, () => Promise<void>> = {
    'bot-inbound-activity.json': async () => {
      const activity = {
        ...fixture<Json>('directline', 'bot-inbound-activity.json'),
        serviceUrl: `${connector.url}/`,
      };
      expect((await post(activity)).status).toBe(200);
      expect((await storedWithId(activity.id))?.content).toEqual({
        type: 'text',
        text: 'Hi, where is my order?',
      });
    },
    'bot-conversation-update.json': async () => {
      const activity = {
        ...fixture<Json>('directline', 'bot-conversation-update.json'),
        serviceUrl: `${connector.url}/`,
      };
      expect((await post(activity)).status).toBe(200);
      expect(ignoredWith(activity.id)?.reason).toMatch(/members joined/);
    },
    'activity-post-user-message.json': async () => {
      const activity = asDelivered(
        fixture('directline', 'activity-post-user-message.json'),
        'Fk8xLqN0WcZ3H7yU1rTe-us|0000010',
      );
      expect((await post(activity)).status).toBe(200);
      expect((await storedWithId(activity.id))?.content.type).toBe('text');
    },
    'activity-post-message-back.json': async () => {
      const activity = asDelivered(
        fixture('directline', 'activity-post-message-back.json'),
        'Fk8xLqN0WcZ3H7yU1rTe-us|0000011',
      );
      expect((await post(activity)).status).toBe(200);
      expect((await storedWithId(activity.id))?.content).toEqual({
        type: 'postback',
        payload: '{"action":"handoff","answer":"yes"}',
        title: 'Talk to a human',
      });
    },
    'activityset-get-response.json': async () => {
      const set = fixture<{ activities: Json[] }>('directline', 'activityset-get-response.json');
      for (const activity of set.activities) {
        expect((await post(asDelivered(activity, activity.id))).status).toBe(200);
      }
      // The customer's message is the one already stored (a duplicate); the bot's own is ignored.
      expect(await storedWithId(set.activities[0].id)).toBeDefined();
      expect(ignoredWith(set.activities[1].id)?.reason).toBe("the bot's own activity");
    },
    'activityset-typing-ws-frame.json': async () => {
      const [typing] = fixture<{ activities: Json[] }>(
        'directline',
        'activityset-typing-ws-frame.json',
      ).activities;
      expect(
        (await post(asDelivered({ ...typing, from: { id: 'dl_7f3c9a2e5b1d4c8f' } }, typing.id))).status,
      ).toBe(200);
      expect(ignoredWith(typing.id)?.reason).toMatch(/typing/);
    },
    'bot-reply-activity.json': async () => {
      // What botbuilder POSTed for our echo has the fixture's shape.
      await until(() =>
        connector.calls.some((c) => (c.json as Json)?.text?.startsWith('You said: Hi, where')),
      );
      const reply = connector.calls.find((c) => (c.json as Json)?.text?.startsWith('You said: Hi, where'))
        ?.json as Json;
      const reference = fixture<Json>('directline', 'bot-reply-activity.json');
      for (const key of ['type', 'channelId', 'from', 'conversation', 'recipient', 'replyToId']) {
        expect([key, reply[key]]).toEqual([key, reference[key]]);
      }
      expect(reply.serviceUrl).toBe(`${connector.url}/`);
    },
    'attachment-hero-card-message.json': async () => {
      const reference = fixture<Json>('directline', 'attachment-hero-card-message.json').attachments[0];
      const rendered = renderActivity({
        type: 'card',
        cards: [
          {
            title: 'Order #1042',
            subtitle: 'Shipped',
            imageUrl: 'http://127.0.0.1:3000/static/box.png',
            buttons: [
              { type: 'url', title: 'Track', url: 'http://127.0.0.1:3000/track/1042' },
              { type: 'postback', title: 'Talk to a human', payload: 'handoff' },
            ],
          },
        ],
      }).attachments?.[0] as Json;
      expect(rendered.contentType).toBe(reference.contentType);
      expect(rendered.content).toMatchObject({
        title: reference.content.title,
        subtitle: reference.content.subtitle,
        images: reference.content.images,
      });
      expect(rendered.content.buttons[0]).toEqual(reference.content.buttons[0]);
      expect(rendered.content.buttons[1]).toMatchObject({
        title: 'Talk to a human',
        value: { payload: 'handoff' },
      });
    },
    'conversation-start-request.json': clientProtocol('conversation-start-request.json'),
    'conversation-start-response.json': clientProtocol('conversation-start-response.json'),
    'token-generate-request.json': clientProtocol('token-generate-request.json'),
    'token-generate-response.json': clientProtocol('token-generate-response.json'),
    'activity-post-response.json': clientProtocol('activity-post-response.json'),
    'error-bot-rejected.json': clientProtocol('error-bot-rejected.json'),
    'error-token-expired.json': clientProtocol('error-token-expired.json'),
  };

  const files = fs.readdirSync(path.join(FIXTURES_DIR, 'directline')).filter((f) => f.endsWith('.json'));
  expect(files.filter((f) => !(f in table))).toEqual([]);
  const first = ['bot-inbound-activity.json'];
  const last = ['bot-reply-activity.json'];
  const order = [...first, ...files.filter((f) => !first.includes(f) && !last.includes(f)).sort(), ...last];
  for (const file of order) await (table[file] as () => Promise<void>)();
  await bot.idle();
  // Nothing left the loopback: every reply went to the fake connector.
  expect(connector.calls.every((c) => c.path.startsWith('/v3/conversations/'))).toBe(true);
});

test('development mode without an app id says loudly that authentication is disabled', async () => {
  await start({ NODE_ENV: 'development', BOTFRAMEWORK_ENABLED: 'true' });
  const warning = logs.find((l) => l.msg.startsWith('BOT FRAMEWORK AUTHENTICATION IS DISABLED'));
  expect(warning?.level).toBe(40);
});

describe('settings', () => {
  const settings = (
    env: Record<string, string>,
    NODE_ENV: 'development' | 'production' | 'test' = 'production',
  ) => botframeworkSettings({ env, NODE_ENV });
  const problems = (
    env: Record<string, string>,
    NODE_ENV: 'development' | 'production' | 'test' = 'production',
  ) => {
    try {
      settings(env, NODE_ENV);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  test('off when nothing is set, or when BOTFRAMEWORK_ENABLED=false', () => {
    expect(settings({})).toBeNull();
    expect(settings({ BOTFRAMEWORK_ENABLED: 'false', MICROSOFT_APP_ID: 'x' })).toBeNull();
  });

  test('without an app id: only in development', () => {
    expect(settings({ BOTFRAMEWORK_ENABLED: 'true' }, 'development')).toEqual({
      appId: undefined,
      appPassword: undefined,
      tenantId: undefined,
      appType: 'MultiTenant',
    });
    expect(problems({ BOTFRAMEWORK_ENABLED: 'true' }, 'production')).toEqual([
      expect.stringMatching(/^MICROSOFT_APP_ID: is required outside development/),
    ]);
    expect(problems({ BOTFRAMEWORK_ENABLED: 'true' }, 'test')).toHaveLength(1);
  });

  test('half-set: one line per problem', () => {
    expect(problems({ MICROSOFT_APP_PASSWORD: 'p', MICROSOFT_APP_TYPE: 'Personal' }, 'development')).toEqual([
      expect.stringMatching(/^MICROSOFT_APP_TYPE: must be MultiTenant/),
      expect.stringMatching(
        /^MICROSOFT_APP_ID: is required when MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TYPE are set/,
      ),
    ]);
    expect(problems({ MICROSOFT_APP_ID: 'not-a-guid', MICROSOFT_APP_TYPE: 'SingleTenant' })).toEqual([
      expect.stringMatching(/^MICROSOFT_APP_ID: must be a GUID/),
      expect.stringMatching(/^MICROSOFT_APP_PASSWORD: is required for MICROSOFT_APP_TYPE=SingleTenant/),
      expect.stringMatching(/^MICROSOFT_APP_TENANT_ID: is required for MICROSOFT_APP_TYPE=SingleTenant/),
    ]);
    expect(
      settings({
        MICROSOFT_APP_ID: '2f8e3c1a-5b7d-4e9f-8a6b-0c1d2e3f4a5b',
        MICROSOFT_APP_TYPE: 'UserAssignedMSI',
        MICROSOFT_APP_TENANT_ID: '0c1d2e3f-4a5b-4e9f-8a6b-2f8e3c1a5b7d',
      }),
    ).toMatchObject({ appType: 'UserAssignedMSI', appPassword: undefined });
  });

  test('a half-set Bot Framework stops the whole start with its lines', () => {
    expect(() =>
      createSwitchboard(
        loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir(), BOTFRAMEWORK_ENABLED: 'true' }),
        { channels },
      ),
    ).toThrow(/MICROSOFT_APP_ID: is required outside development/);
  });
});

describe('rendering', () => {
  test('every Content kind becomes an activity; nothing is dropped', () => {
    expect(renderActivity({ type: 'text', text: 'hi' })).toEqual({
      type: 'message',
      textFormat: 'plain',
      text: 'hi',
    });
    const many = renderActivity({
      type: 'text',
      text: 'Pick a size',
      buttons: ['XS', 'S', 'M', 'L', 'XL', 'XXL', '3XL'].map((s) => ({
        type: 'postback' as const,
        title: s,
        payload: s,
      })),
    });
    expect(many.attachments?.map((a) => (a.content as Json).buttons.length)).toEqual([6, 1]);
    expect(
      renderActivity({ type: 'media', kind: 'image', url: 'https://x.example/a.png', caption: 'box' }),
    ).toEqual({
      type: 'message',
      textFormat: 'plain',
      text: 'box',
      attachments: [{ contentType: 'image/png', contentUrl: 'https://x.example/a.png' }],
    });
    expect(renderActivity({ type: 'media', kind: 'image', url: 'tg-file:ABC', caption: 'box' }).text).toBe(
      '[image] box',
    );
    const carousel = renderActivity({ type: 'card', cards: [{ title: 'A' }, { title: 'B' }] });
    expect(carousel.attachmentLayout).toBe('carousel');
    expect(carousel.attachments).toHaveLength(2);
    const location = renderActivity({ type: 'location', latitude: 38.7, longitude: -9.1, name: 'Shop' });
    expect((location.attachments?.[0]?.content as Json)?.buttons[0].value).toContain('mlat=38.7');
    expect(renderActivity({ type: 'typing', on: true })).toEqual({ type: 'typing' });
  });

  test('connector answers → retry decisions: 429 waits, 400/403/404 are permanent, 401 and 5xx retried', () => {
    const url = 'http://127.0.0.1:1/v3/conversations/c/activities/a';
    const decide = (status: number, headers: Record<string, string> = {}) => {
      const e = connectorError(
        status,
        '{"error":{"code":"X","message":"m"}}',
        new Headers(headers),
        url,
        'POST',
      );
      return [e.permanent, e.retryAfter, e.method];
    };
    expect(decide(429, { 'retry-after': '7' })).toEqual([false, 7, 'sendActivity']);
    expect([400, 403, 404].map((s) => decide(s)[0])).toEqual([true, true, true]);
    expect([401, 500, 502, 503].map((s) => decide(s)[0])).toEqual([false, false, false, false]);
  });

  test('Retry-After in seconds or as a date', () => {
    expect(retryAfterSeconds('3')).toBe(3);
    expect(retryAfterSeconds(new Date(10_000).toUTCString(), 5_000)).toBe(5);
    expect(retryAfterSeconds('soon')).toBeUndefined();
  });
});
