/**
 * The handoff survives a crash: a real bot process (test/desk/fixtures/desk-process.ts)
 * with the sample bot and a support team whose SLA reminds the channel after 1 second,
 * its Slack pointed at a fake Slack in this process, killed with SIGKILL and started again
 * on the same DATA_DIR.
 *
 * - Killed while the customer waits: after the restart the conversation is still queued
 *   and in the queue, and the SLA reminder ("Still waiting…", broadcast) arrives in the
 *   card's thread — from the restarted process's timers.
 * - Killed while Slack is down, the card not posted (or posted with the answer lost):
 *   after the restart, with Slack up, the card is in the channel exactly once.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  type FakeSlack,
  fixture,
  SECRET,
  type SlackCall,
  slackHeaders,
  startFakeSlack,
  TOKEN,
  until,
} from '../channels/slack/harness';
import { tempDir } from '../helpers/bot';
import { killAll, sigkill, startBotProcess } from '../helpers/process';
import { ROOT, SUPPORT, slackText, slashCommand } from './harness';

jest.setTimeout(240_000);

const nluCache = tempDir('sb-desk-restart-nlu-');
let fake: FakeSlack;

/** A copy of the sample bot whose support team is reminded after 1 s of waiting. */
const botDir = (() => {
  const dir = tempDir('sb-desk-restart-bot-');
  for (const sub of ['intents', 'flows', 'actions']) {
    cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true });
  }
  const handoff = readFileSync(path.join(ROOT, 'handoff.yml'), 'utf8');
  const fast = handoff.replace(/renotify: 120 /, 'renotify: 1   ');
  if (fast === handoff) throw new Error('handoff.yml changed: update this test');
  writeFileSync(path.join(dir, 'handoff.yml'), fast);
  return dir;
})();

beforeAll(async () => {
  fake = await startFakeSlack();
});
afterAll(async () => {
  await killAll();
  await fake?.close();
});

function startBot(dataDir: string, extra: Record<string, string> = {}) {
  return startBotProcess(
    path.join(__dirname, 'fixtures/desk-process.ts'),
    {
      BOT_DIR: botDir,
      DATA_DIR: dataDir,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      SB_TEST_NLU_CACHE: nluCache,
      // The embedded store and queue: this test is about SQLite in DATA_DIR.
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      ...extra,
    },
    { timeoutMs: 120_000 },
  );
}

async function say(url: string, visitorId: string, text: string, id: string) {
  const res = await fetch(`${url}/web/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitorId, text, clientMessageId: id }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { conversationId: string };
}

/** Waits until the bot side has said something matching `pattern`; returns all its texts. */
async function hears(url: string, visitorId: string, pattern: RegExp): Promise<string[]> {
  let texts: string[] = [];
  await until(async () => {
    const res = await fetch(`${url}/web/messages?visitorId=${visitorId}`);
    const body = (await res.json()) as { messages: { author: string; text: string }[] };
    texts = body.messages.filter((m) => m.author !== 'customer').map((m) => m.text);
    return texts.some((t) => pattern.test(t));
  }, 60_000);
  return texts;
}

/** Reads the child's SQLite store (WAL: readers do not block the writer). */
function query<T>(dataDir: string, sql: string, params: unknown[] = []): T[] {
  const db = new Database(path.join(dataDir, 'switchboard.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** A signed `/switchboard …` command, as Slack sends it; returns the ack body. */
async function command(url: string, user: string, text: string): Promise<Record<string, unknown>> {
  const raw = slashCommand(user, text, `${fake.url}/response/restart`);
  const res = await fetch(`${url}/webhooks/slack/commands`, {
    method: 'POST',
    headers: slackHeaders(raw, { contentType: 'application/x-www-form-urlencoded' }),
    body: raw,
  });
  const body = await res.text();
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

const cardsOf = (conversationId: string) =>
  fake.messages.filter((m) => m.channel === SUPPORT && !m.thread_ts && slackText(m).includes(conversationId));

test('SIGKILL while the customer waits: still queued after the restart, and the SLA reminder arrives', async () => {
  const dataDir = tempDir('sb-desk-restart-');
  const visitor = 'visitor-restart-q1';
  // The first process never checks its timers (first sweep after 10 minutes): the reminder
  // can only come from the restarted one.
  const first = await startBot(dataDir, { SB_TEST_DESK_TIMER_MS: '600000' });
  const { conversationId } = await say(first.url, visitor, 'I want to talk to a person', 'q1-1');
  await hears(first.url, visitor, /number 1 in line/i);
  await until(() => cardsOf(conversationId).length === 1, 60_000);
  const card = cardsOf(conversationId)[0];
  if (!card) throw new Error('no card');
  await until(
    () => fake.messages.some((m) => m.thread_ts === card.ts && /Transcript/.test(slackText(m))),
    60_000,
  );
  await sigkill(first.child);
  const broadcasts = (calls: SlackCall[]) =>
    calls.filter((c) => c.method === 'chat.postMessage' && c.args.reply_broadcast !== undefined);
  expect(broadcasts(fake.calls)).toEqual([]);

  const second = await startBot(dataDir);
  // Still queued, still waiting in the queue.
  expect(
    query<{ status: string }>(dataDir, 'SELECT status FROM conversations WHERE id = ?', [conversationId]),
  ).toEqual([{ status: 'queued' }]);
  expect(
    query<{ state: string; team: string }>(
      dataDir,
      'SELECT state, team FROM handoff_queue WHERE conversation_id = ?',
      [conversationId],
    ),
  ).toEqual([{ state: 'waiting', team: 'support' }]);
  expect(String((await command(second.url, 'U0ADA00001', 'queue')).text)).toContain(conversationId);

  // The reminder: in the card's thread, broadcast to the channel, once.
  const reminders = () =>
    fake.messages.filter((m) => m.thread_ts === card.ts && /Still waiting/.test(String(m.text ?? '')));
  await until(() => reminders().length > 0, 60_000);
  const call = broadcasts(fake.calls).find((c) => c.args.thread_ts === card.ts);
  expect(String(call?.args.reply_broadcast)).toBe('true');
  expect(String(call?.args.text)).toMatch(/nobody has claimed it yet/);

  // The customer, writing again, is still in line (the bot does not take over).
  await say(second.url, visitor, 'hello? anyone?', 'q1-2');
  await until(
    () =>
      fake.messages.some((m) => m.thread_ts === card.ts && String(m.text ?? '').includes('hello? anyone?')),
    60_000,
  );
  expect(cardsOf(conversationId)).toHaveLength(1);
  expect(reminders()).toHaveLength(1);
  await sigkill(second.child);
});

test('SIGKILL while Slack is down: after the restart the card is posted exactly once', async () => {
  for (const lying of [false, true]) {
    const dataDir = tempDir('sb-desk-restart-');
    const visitor = `visitor-restart-d${lying ? 'l' : 'n'}`;
    let attempts = 0;
    let lookups = 0;
    // Down: every post fails with 500. Plainly (not made; the desk's lookups find nothing and
    // it tries again), or lying: made but answered 500, and the lookups that would find it fail.
    fake.respond((call) => {
      if (call.method === 'chat.postMessage') {
        attempts++;
        if (lying) fake.postAnyway(call);
        return { status: 500, body: { ok: false, error: 'internal_error' } };
      }
      if (call.method.startsWith('conversations.')) {
        lookups++;
        if (lying) return { status: 500, body: { ok: false, error: 'internal_error' } };
      }
      return null;
    });
    const first = await startBot(dataDir);
    const { conversationId } = await say(first.url, visitor, 'I want to talk to a person', 'd-1');
    await hears(first.url, visitor, /number 1 in line/i);
    await until(() => attempts >= 1 && lookups >= 2, 60_000);
    await sigkill(first.child);
    // Lying, the first attempt was the only one: after it the desk only looks (and fails).
    expect(cardsOf(conversationId)).toHaveLength(lying ? 1 : 0);
    const postedBefore = fake.messages.length;

    fake.respond(null);
    const second = await startBot(dataDir);
    // Everything the desk had to do is done: the card, then its transcript.
    await until(
      () =>
        query<{ n: number }>(dataDir, "SELECT COUNT(*) AS n FROM desk_outbox WHERE state != 'done'")[0]?.n ===
          0 &&
        query<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM desk_threads WHERE conversation_id = ?', [
          conversationId,
        ])[0]?.n === 1,
      60_000,
    );
    const [thread] = query<{ ts: string }>(dataDir, 'SELECT ts FROM desk_threads WHERE conversation_id = ?', [
      conversationId,
    ]);
    await until(
      () => fake.messages.some((m) => m.thread_ts === thread?.ts && /Transcript/.test(slackText(m))),
      60_000,
    );
    // One card: the restarted desk posted it, or (lying) found the one Slack made and
    // posted no other.
    expect(cardsOf(conversationId)).toHaveLength(1);
    expect(cardsOf(conversationId)[0]?.ts).toBe(thread?.ts);
    if (lying) expect(fake.messages.slice(postedBefore).filter((m) => !m.thread_ts)).toEqual([]);
    const transcripts = fake.messages.filter(
      (m) => m.thread_ts === thread?.ts && /Transcript/.test(slackText(m)),
    );
    expect(transcripts).toHaveLength(1);
    await sigkill(second.child);
  }
});

test('SIGKILL during a Slack call that never answered: the restarted process posts the card once, without waiting out the lease', async () => {
  // A Slack that takes the card's post and never answers; the first process holds the
  // outbox item (leased for 10 minutes) when it dies.
  const hung: http.ServerResponse[] = [];
  let posts = 0;
  const stuck = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.endsWith('/auth.test')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(fixture('auth-test-response.json')));
        return;
      }
      if (req.url?.endsWith('/chat.postMessage')) posts++;
      hung.push(res);
    });
  });
  await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
  try {
    const dataDir = tempDir('sb-desk-restart-');
    const visitor = 'visitor-restart-h1';
    const first = await startBot(dataDir, {
      SLACK_API_URL: `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/api/`,
      SB_TEST_DESK_LEASE_MS: '600000',
    });
    const { conversationId } = await say(first.url, visitor, 'I want to talk to a person', 'h-1');
    await hears(first.url, visitor, /number 1 in line/i);
    await until(() => posts >= 1, 60_000);
    await sigkill(first.child);
    expect(
      query<{ n: number }>(dataDir, 'SELECT COUNT(*) AS n FROM desk_outbox WHERE lease_owner IS NOT NULL')[0]
        ?.n,
    ).toBe(1);

    // SQLite: this process is the only one on DATA_DIR; a lease left behind is a dead one's.
    const second = await startBot(dataDir);
    await until(() => cardsOf(conversationId).length > 0, 60_000);
    await until(
      () =>
        query<{ n: number }>(dataDir, "SELECT COUNT(*) AS n FROM desk_outbox WHERE state != 'done'")[0]?.n ===
        0,
      60_000,
    );
    expect(cardsOf(conversationId)).toHaveLength(1);
    await sigkill(second.child);
  } finally {
    for (const res of hung) res.destroy();
    stuck.closeAllConnections();
    await new Promise((resolve) => stuck.close(resolve));
  }
});
