/**
 * Every file in test/fixtures/platforms/slack, replayed the way Slack would send it (signed,
 * over HTTP) or served by the fake Web API: each is handled — stored for the bot, handed
 * to the operator desk, answered — or deliberately ignored with a logged reason.
 */
import fs from 'node:fs';
import type { SlackDeskRequest } from '../../../adapters/slack';
import { verifySlackRequest } from '../../../adapters/slack/verify';
import { ChannelApiError } from '../../../src/errors';
import type { Message } from '../../../src/model';
import { FIXTURES, fixture, type SlackBot, slackHeaders, startSlackBot, until } from './harness';

const FROZEN = 1767225600; // the vectors' timestamp
const vectors = fixture<{
  signing_secret: string;
  vectors: { name: string; headers: Record<string, string>; raw_body: string }[];
}>('signature-vectors.json');

let t: SlackBot;
const desk: SlackDeskRequest[] = [];
const outcomes: Record<string, string> = {};

beforeAll(async () => {
  t = await startSlackBot({
    adapter: {
      signingSecret: vectors.signing_secret,
      supportChannels: ['C0SUPPORT1'],
      now: () => FROZEN * 1000,
    },
    before: (slack, fake) =>
      slack.onOperatorEvent(
        async (request) => {
          desk.push(request);
          if (request.kind === 'interaction' && request.respond) {
            const url = String(request.body.response_url ?? '');
            // Only ever the fake: the vectors' response_url points at hooks.slack.com.
            if (url.startsWith(fake.url)) await request.respond(fixture('respond-response-url-request.json'));
          }
          if (request.kind === 'command')
            return { response_type: 'ephemeral', text: `desk got ${request.command.command}` };
          return undefined;
        },
        { channels: ['C0ESCALATE'] },
      ),
  });
});

afterAll(async () => {
  await t.stop();
  // The table the walk produced, for the reader of the test log.
  console.log(
    Object.entries(outcomes)
      .map(([file, outcome]) => `${file.padEnd(42)} ${outcome}`)
      .join('\n'),
  );
});

const signed = (raw: string, contentType = 'application/json') =>
  slackHeaders(raw, { secret: vectors.signing_secret, timestamp: FROZEN, contentType });
const postEvent = (body: unknown, extra: Record<string, string> = {}) => {
  const raw = JSON.stringify(body);
  return t.post('/webhooks/slack/events', raw, { ...signed(raw), ...extra });
};
const postForm = (path: string, raw: string) =>
  t.post(path, raw, signed(raw, 'application/x-www-form-urlencoded'));
const repliesTo = (channel: string) => t.fake.posts().filter((p) => p.args.channel === channel);
const lastIgnored = () => t.ignoredReasons().at(-1);
const outbound = { id: 'm_test', author: 'bot' } as Message;

async function stored(externalId: string) {
  const identity = await t.bot.store.identities.find('slack', externalId);
  if (!identity) return [];
  const conversation = await t.bot.store.conversations.findOpen(identity.customerId);
  return t.bot.store.messages.list(conversation?.id ?? '');
}

const cases: Record<string, () => Promise<string>> = {
  'auth-test-response.json': async () => {
    expect(t.fake.calls[0]?.method).toBe('auth.test');
    expect(t.slack.botIdentity).toEqual({ botUserId: 'U0BOTUSER1', botId: 'B0BOTID001' });
    return 'served by the fake at start: the bot learns its user id and bot id';
  },
  'chat-postmessage-request-thread.json': async () => {
    const expected = fixture<{ channel: string; thread_ts: string; text: string }>(
      'chat-postmessage-request-thread.json',
    );
    const before = t.fake.posts().length;
    await t.slack.send({
      message: outbound,
      content: {
        type: 'text',
        text: expected.text,
        buttons: [{ type: 'postback', title: 'Take over', payload: 'conv_42' }],
      },
      address: { channel: expected.channel, threadTs: expected.thread_ts },
    });
    const sent = t.fake.posts()[before]?.args ?? {};
    expect(sent).toMatchObject({
      channel: expected.channel,
      thread_ts: expected.thread_ts,
      text: expected.text,
      unfurl_links: 'false',
    });
    expect(sent.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: expected.text } },
      {
        type: 'actions',
        elements: [expect.objectContaining({ type: 'button', value: 'conv_42' })],
      },
    ]);
    return 'the shape send() posts for a threaded reply with a button';
  },
  'chat-postmessage-response-ok.json': async () => {
    t.fake.respond((call) =>
      call.method === 'chat.postMessage' ? { body: fixture('chat-postmessage-response-ok.json') } : null,
    );
    const result = await t.slack.send({
      message: outbound,
      content: { type: 'text', text: 'ok?' },
      address: { channel: 'C0ESCALATE' },
    });
    t.fake.respond(null);
    expect(result).toEqual({ platformMessageId: 'C0ESCALATE:1767225660.000260' });
    return 'answered by the fake: send() returns channel:ts as the platform id';
  },
  'chat-postmessage-response-error.json': async () => {
    t.fake.respond((call) =>
      call.method === 'chat.postMessage' ? { body: fixture('chat-postmessage-response-error.json') } : null,
    );
    const error = await t.slack
      .send({ message: outbound, content: { type: 'text', text: 'x' }, address: { channel: 'C0GONE' } })
      .catch((e: unknown) => e);
    t.fake.respond(null);
    expect(error).toBeInstanceOf(ChannelApiError);
    expect(error).toMatchObject({ permanent: true, platformCode: 'channel_not_found' });
    return 'answered by the fake: a permanent ChannelApiError (no retry)';
  },
  'error-429-ratelimited.json': async () => {
    const limited = fixture<{ status: number; headers: Record<string, string>; body: unknown }>(
      'error-429-ratelimited.json',
    );
    t.fake.respond((call) =>
      call.method === 'chat.postMessage'
        ? { status: limited.status, headers: limited.headers, body: limited.body }
        : null,
    );
    const error = await t.slack
      .send({ message: outbound, content: { type: 'text', text: 'x' }, address: { channel: 'C0SUPPORT1' } })
      .catch((e: unknown) => e);
    t.fake.respond(null);
    expect(error).toMatchObject({ status: 429, retryAfter: 30, permanent: false });
    return 'answered by the fake: ChannelApiError with retryAfter 30 (the outbox waits)';
  },
  'event-app-mention.json': async () => {
    const n = desk.length;
    expect((await postEvent(fixture('event-app-mention.json'))).status).toBe(200);
    expect(desk.slice(n).map((r) => r.kind === 'event' && r.event.type)).toEqual(['app_mention']);
    expect(await stored('T0ACME001:U0OPERATR1')).toEqual([]);
    return 'handled: in a desk channel → the operator desk (not the inbox)';
  },
  'event-message-bot-message.json': async () => {
    expect((await postEvent(fixture('event-message-bot-message.json'))).status).toBe(200);
    expect(lastIgnored()).toBe('own message (echo of what the bot posted)');
    return `ignored: ${lastIgnored()}`;
  },
  'event-message-changed.json': async () => {
    expect((await postEvent(fixture('event-message-changed.json'))).status).toBe(200);
    expect(lastIgnored()).toMatch(/^message subtype message_changed/);
    return `ignored: ${lastIgnored()}`;
  },
  'event-message-channel.json': async () => {
    const body = fixture<{ event: { ts: string } }>('event-message-channel.json');
    expect((await postEvent(body)).status).toBe(200);
    await until(() => repliesTo('C0SUPPORT1').some((p) => p.args.thread_ts === body.event.ts));
    expect((await stored('T0ACME001:U0CUST0001')).map((m) => m.text)).toContain(
      'Hello, I need help with my invoice',
    );
    return 'handled: support channel message → inbox → reply in its thread';
  },
  'event-message-file-share.json': async () => {
    const body = fixture<{ event: { ts: string } }>('event-message-file-share.json');
    expect((await postEvent(body)).status).toBe(200);
    await until(() => repliesTo('C0SUPPORT1').some((p) => p.args.text === 'Got your image'));
    const media = (await stored('T0ACME001:U0CUST0001')).find((m) => m.content.type === 'media');
    expect(media?.content).toEqual({
      type: 'media',
      kind: 'image',
      url: 'https://files.slack.com/files-pri/T0ACME001-F0FILE0001/error.png',
      caption: 'screenshot of the error',
      filename: 'error.png',
      mimeType: 'image/png',
    });
    return 'handled: file_share → media content (url_private, caption) → reply';
  },
  'event-message-im.json': async () => {
    expect((await postEvent(fixture('event-message-im.json'))).status).toBe(200);
    await until(() => repliesTo('D0DMCHAN01').length === 1);
    expect(repliesTo('D0DMCHAN01')[0]?.args.text).toBe('You said: hi bot');
    return 'handled: DM → inbox → reply in the DM';
  },
  'event-message-thread-reply-operator.json': async () => {
    const n = desk.length;
    expect((await postEvent(fixture('event-message-thread-reply-operator.json'))).status).toBe(200);
    const request = desk[n];
    expect(request?.kind === 'event' && request.event).toMatchObject({
      thread_ts: '1767225650.000250',
      user: 'U0OPERATR1',
    });
    return 'handled: operator thread reply in a desk channel → the operator desk';
  },
  'event-retry-envelope.json': async () => {
    const envelope = fixture<{ headers: Record<string, string> }>('event-retry-envelope.json');
    const body = fixture('event-message-channel.json');
    await postEvent(body);
    await t.bot.idle();
    const before = t.fake.posts().length;
    const res = await postEvent(body, {
      'x-slack-retry-num': envelope.headers['x-slack-retry-num'] ?? '1',
      'x-slack-retry-reason': envelope.headers['x-slack-retry-reason'] ?? 'http_timeout',
    });
    expect(res.status).toBe(200);
    await t.bot.idle();
    expect(t.fake.posts().length).toBe(before);
    expect(repliesTo('C0SUPPORT1').filter((p) => p.args.thread_ts === '1767225600.000100')).toHaveLength(1);
    return 'handled: redelivery of Ev0ACME00001 acked 200, no second reply';
  },
  'interactivity-block-actions.json': async () => {
    const n = desk.length;
    const payload = {
      ...fixture('interactivity-block-actions.json'),
      response_url: `${t.fake.url}/respond/1`,
    };
    const raw = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    expect((await postForm('/webhooks/slack/interactivity', raw)).status).toBe(200);
    const request = desk[n];
    expect(request?.kind === 'interaction' && request.action?.action_id).toBe('take_over');
    return 'handled: a non-sb: action → the operator desk, acked';
  },
  'respond-response-url-request.json': async () => {
    await until(() => t.fake.calls.some((c) => c.path === '/respond/1'));
    expect(t.fake.calls.find((c) => c.path === '/respond/1')?.args).toEqual(
      fixture('respond-response-url-request.json'),
    );
    return "handled: the desk's respond() reached the (fake) response_url with this body";
  },
  'signature-vectors.json': async () => {
    const paths: Record<string, string> = {
      'event_callback JSON': '/webhooks/slack/events',
      'block_actions form': '/webhooks/slack/interactivity',
      'slash command form': '/webhooks/slack/commands',
    };
    for (const vector of vectors.vectors) {
      const request = {
        timestamp: vector.headers['x-slack-request-timestamp'],
        signature: vector.headers['x-slack-signature'],
        rawBody: vector.raw_body,
      };
      expect(() => verifySlackRequest(vectors.signing_secret, request, FROZEN * 1000)).not.toThrow();
      expect(() =>
        verifySlackRequest(
          vectors.signing_secret,
          { ...request, rawBody: `${vector.raw_body} ` },
          FROZEN * 1000,
        ),
      ).toThrow(/bad signature/);
      expect(() => verifySlackRequest(vectors.signing_secret, request, (FROZEN + 301) * 1000)).toThrow(
        /301 s/,
      );
      // The exact bytes and headers, over HTTP.
      const res = await t.post(paths[vector.name] ?? '/nope', vector.raw_body, vector.headers);
      expect(res.status).toBe(200);
    }
    return 'handled: every vector verifies byte-for-byte (and over HTTP); a changed byte or 301 s fails';
  },
  'slash-command.json': async () => {
    const n = desk.length;
    const raw = new URLSearchParams(fixture<Record<string, string>>('slash-command.json')).toString();
    const res = await postForm('/webhooks/slack/commands', raw);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'desk got /handoff' });
    expect(desk[n]?.kind).toBe('command');
    return 'handled: a command in a desk channel → the desk; its answer is the ack body';
  },
  'url-verification.json': async () => {
    const body = fixture<{ challenge: string }>('url-verification.json');
    const res = await postEvent(body);
    expect(await res.json()).toEqual({ challenge: body.challenge });
    return 'handled: challenge echoed';
  },
};

test('every Slack fixture has a case here', () => {
  const files = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  expect(Object.keys(cases).sort()).toEqual(files);
});

describe.each(
  fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort(),
)('%s', (file) => {
  test('is handled or deliberately ignored', async () => {
    const run = cases[file];
    if (!run) throw new Error(`no case for ${file}`);
    outcomes[file] = await run();
    await t.bot.idle();
  });
});

test('everything the walk caused was sent to the fake on 127.0.0.1', () => {
  expect(t.fake.calls.length).toBeGreaterThan(5);
  expect(t.fake.calls.every((c) => c.headers.host?.startsWith('127.0.0.1:'))).toBe(true);
});
