/**
 * Every webhook of one running bot (the sample bot with the desk), with each platform's
 * signing: the fuzz test and `bench/fuzz-webhooks` drive it. Seeds are valid payloads with
 * fresh ids per run; {@link mutate} breaks them the ways hostile or buggy senders do.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  type FakeTelegram,
  SECRET as TG_SECRET,
  TOKEN as TG_TOKEN,
  startFakeTelegram,
} from '../channels/fake-telegram';
import { APP_SECRET, metaEnv, PSID, startFakeGraph, WA_ID } from '../channels/meta-harness';
import { fixture } from '../channels/slack/harness';
import { type FakeApi, type RecordedCall, startFakeApi } from '../helpers/fake-api';
import { fixture as platformFixture } from '../channels/fake-telegram';
import { slackHeaders } from '../channels/slack/harness';
import { signHubBody } from '../../adapters/meta-graph';
import { type DeskBot, startDeskBot } from '../desk/harness';

// biome-ignore lint/suspicious/noExplicitAny: payloads are free-form JSON here
type Json = any;

export type Endpoint =
  | 'telegram'
  | 'messenger'
  | 'whatsapp'
  | 'slack-events'
  | 'slack-interactivity'
  | 'slack-commands'
  | 'botframework'
  | 'web';

export const ENDPOINTS: Endpoint[] = [
  'telegram',
  'messenger',
  'whatsapp',
  'slack-events',
  'slack-interactivity',
  'slack-commands',
  'botframework',
  'web',
];

export interface AllChannels {
  h: DeskBot;
  tg: FakeTelegram;
  graph: FakeApi & { sends(): RecordedCall[] };
  connector: FakeApi;
  stop(): Promise<void>;
}

export async function startAllChannels(env: Record<string, string> = {}): Promise<AllChannels> {
  const tg = await startFakeTelegram();
  const graph = await startFakeGraph();
  const connector = await startFakeApi((call) => ({ status: 200, body: { id: `reply-${call.at}` } }));
  const h = await startDeskBot({
    env: {
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: tg.url,
      ...metaEnv(graph.url),
      NODE_ENV: 'development',
      BOTFRAMEWORK_ENABLED: 'true',
      ...env,
    },
  });
  return {
    h,
    tg,
    graph,
    connector,
    stop: async () => {
      await h.stop();
      await tg.close();
      await graph.close();
      await connector.close();
    },
  };
}

const copy = (value: unknown): Json => JSON.parse(JSON.stringify(value));

/** A valid payload for `endpoint`, with ids unique to run `n`. */
export function seed(endpoint: Endpoint, n: number, connectorUrl: string, variant = 0): Json {
  switch (endpoint) {
    case 'telegram': {
      const files = [
        'update-message-text.json',
        'update-callback-query.json',
        'update-edited-message.json',
        'update-message-photo.json',
      ];
      const update = copy(platformFixture('telegram', files[variant % files.length] as string));
      update.update_id = 950_000_000 + n;
      const message = update.message ?? update.edited_message ?? update.callback_query?.message;
      if (message) message.message_id = 100_000 + n;
      if (update.callback_query) update.callback_query.id = `cbq-${n}`;
      return update;
    }
    case 'messenger': {
      const files = [
        'webhook-message-text.json',
        'webhook-postback.json',
        'webhook-message-attachment-image.json',
        'webhook-message-quick-reply.json',
      ];
      const body = copy(platformFixture('messenger', files[variant % files.length] as string));
      for (const entry of body.entry ?? [])
        for (const item of entry.messaging ?? []) {
          if (item.message) item.message.mid = `m_fuzz_${n}`;
          if (item.postback) item.postback.mid = `m_fuzz_${n}`;
        }
      return body;
    }
    case 'whatsapp': {
      const files = [
        'webhook-message-text.json',
        'webhook-message-interactive-button-reply.json',
        'webhook-status-delivered.json',
        'webhook-message-image.json',
      ];
      const body = copy(platformFixture('whatsapp-cloud', files[variant % files.length] as string));
      for (const entry of body.entry ?? [])
        for (const change of entry.changes ?? []) {
          const value = change.value ?? {};
          if (value.metadata) value.metadata.phone_number_id = '106540352242922';
          for (const m of value.messages ?? []) m.id = `wamid.fuzz${n}`;
        }
      return body;
    }
    case 'slack-events': {
      const files = [
        'event-message-im.json',
        'event-app-mention.json',
        'event-message-file-share.json',
        'event-message-thread-reply-operator.json',
      ];
      const body = copy(fixture(files[variant % files.length] as string));
      body.event_id = `EvFUZZ${n}`;
      if (body.event) body.event.ts = `1767225605.${String(n).padStart(6, '0')}`;
      return body;
    }
    case 'slack-interactivity': {
      const body = copy(fixture('interactivity-block-actions.json'));
      body.trigger_id = `trig-fuzz-${n}`;
      body.response_url = `${connectorUrl}/response/${n}`;
      return body;
    }
    case 'slack-commands': {
      const body = copy(fixture('slash-command.json'));
      body.trigger_id = `trig-cmd-${n}`;
      body.response_url = `${connectorUrl}/response/${n}`;
      if (variant % 2 === 1) body.command = '/switchboard';
      return body;
    }
    case 'botframework':
      return {
        ...copy(platformFixture('directline', 'bot-inbound-activity.json')),
        id: `fuzz-${n}`,
        serviceUrl: `${connectorUrl}/`,
      };
    case 'web':
      return {
        visitorId: `visitor-fuzz${String(n).padStart(6, '0')}`,
        text: 'hello',
        clientMessageId: `c${n}`,
      };
  }
}

/** The normal message each endpoint's customer sends after the fuzz. */
export function normal(
  endpoint: Exclude<Endpoint, 'slack-interactivity' | 'slack-commands' | 'slack-events'>,
  n: number,
  connectorUrl: string,
): Json {
  const body = seed(endpoint, n, connectorUrl, 0);
  return body;
}

/** How the body goes on the wire: raw bytes and the headers that sign them. */
export function wire(
  endpoint: Endpoint,
  body: Json,
  raw?: string,
): { path: string; headers: Record<string, string>; body: string | Buffer } {
  const json = raw ?? JSON.stringify(body);
  switch (endpoint) {
    case 'telegram':
      return {
        path: '/webhooks/telegram',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
        body: json,
      };
    case 'messenger':
    case 'whatsapp':
      return {
        path: `/webhooks/${endpoint}`,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signHubBody(json, APP_SECRET) },
        body: json,
      };
    case 'slack-events':
      return { path: '/webhooks/slack/events', headers: slackHeaders(json), body: json };
    case 'slack-interactivity': {
      const form = raw ?? `payload=${encodeURIComponent(json)}`;
      return {
        path: '/webhooks/slack/interactivity',
        headers: slackHeaders(form, { contentType: 'application/x-www-form-urlencoded' }),
        body: form,
      };
    }
    case 'slack-commands': {
      const params = new URLSearchParams();
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
          if (Array.isArray(value))
            for (const v of value) params.append(key, typeof v === 'string' ? v : JSON.stringify(v));
          else params.append(key, typeof value === 'string' ? value : JSON.stringify(value));
        }
      }
      const form = raw ?? params.toString();
      return {
        path: '/webhooks/slack/commands',
        headers: slackHeaders(form, { contentType: 'application/x-www-form-urlencoded' }),
        body: form,
      };
    }
    case 'botframework':
      return { path: '/api/messages', headers: { 'content-type': 'application/json' }, body: json };
    case 'web':
      return { path: '/web/messages', headers: { 'content-type': 'application/json' }, body: json };
  }
}

/** Re-signs a body sent gzip-encoded (or pretending to be), for the encoding cases. */
function resign(endpoint: Endpoint, headers: Record<string, string>, bytes: Buffer): Record<string, string> {
  if (endpoint === 'messenger' || endpoint === 'whatsapp')
    return { ...headers, 'x-hub-signature-256': signHubBody(bytes, APP_SECRET) };
  if (endpoint.startsWith('slack'))
    return { ...slackHeaders(bytes.toString('latin1'), { contentType: headers['content-type'] as string }) };
  return headers;
}

// ---------------------------------------------------------------------------------------
// Mutations

type Path = (string | number)[];

function paths(value: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const p = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(p);
      paths(value[key], p, out);
    }
  }
  return out;
}

const hostile = fc.oneof(
  fc.constantFrom<Json>(
    null,
    {},
    [],
    [null],
    [{}],
    0,
    -1,
    1e308,
    123,
    true,
    '',
    ' ',
    'x'.repeat(5000),
    { id: { $gt: '' } },
    ['a', 'b'],
    '__proto__',
    '<!channel>',
    '\u0000',
    '😀'.repeat(300),
    'ـ\u202Eevil',
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.integer(),
);

export type Mutation =
  | { op: 'replace'; at: number; value: Json }
  | { op: 'delete'; at: number }
  | { op: 'wrap'; at: number }
  | { op: 'root'; value: Json };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: hostile }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('root' as const), value: hostile }) },
);

export function mutate(body: Json, mutations: Mutation[]): Json {
  let out = copy(body);
  for (const m of mutations) {
    if (m.op === 'root') {
      out = m.value;
      continue;
    }
    const all = paths(out);
    if (all.length === 0) continue;
    const path = all[m.at % all.length] as Path;
    let parent = out;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const last = path[path.length - 1] as string | number;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
    } else if (m.op === 'wrap') parent[last] = [parent[last]];
    else parent[last] = copy(m.value ?? null);
  }
  return out;
}

/** Byte-level breakage on top of the JSON mutations: truncated, not-gzip "gzip", real gzip. */
export type Encoding = 'plain' | 'truncated' | 'fake-gzip' | 'gzip';
export const encodingArb: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('plain' as const) },
  { weight: 1, arbitrary: fc.constant('truncated' as const) },
  { weight: 1, arbitrary: fc.constant('fake-gzip' as const) },
  { weight: 1, arbitrary: fc.constant('gzip' as const) },
);

export interface Case {
  endpoint: Endpoint;
  variant: number;
  mutations: Mutation[];
  encoding: Encoding;
}

export const caseArb: fc.Arbitrary<Case> = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  variant: fc.nat({ max: 3 }),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
  encoding: encodingArb,
});

/** Sends one fuzz case, signed; returns the HTTP status (or throws when the connection failed). */
export async function send(url: string, c: Case, n: number, connectorUrl: string): Promise<number> {
  const body = mutate(seed(c.endpoint, n, connectorUrl, c.variant), c.mutations);
  const request = wire(c.endpoint, body);
  let bytes = Buffer.from(request.body);
  let headers = request.headers;
  if (c.encoding === 'truncated') bytes = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
  if (c.encoding === 'fake-gzip') headers = { ...headers, 'content-encoding': 'gzip' };
  if (c.encoding === 'gzip') {
    bytes = gzipSync(bytes);
    // Signatures cover the bytes as sent (compressed), as the platforms sign them.
    headers = { ...resign(c.endpoint, headers, bytes), 'content-encoding': 'gzip' };
  } else if (c.encoding !== 'plain') headers = resign(c.endpoint, headers, bytes);
  const res = await fetch(`${url}${request.path}`, { method: 'POST', headers, body: bytes });
  await res.arrayBuffer();
  return res.status;
}

export { PSID, WA_ID };
