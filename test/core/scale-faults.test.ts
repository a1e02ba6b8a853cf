/**
 * Faults at scale, with real processes: two bot processes share one PostgreSQL schema and
 * a redis-server of this test's own, under steady load from visitors whose messages
 * alternate between the two processes (so every conversation is handed back and forth
 * between their workers by the lease). During the load:
 * - Redis is killed (SIGKILL) and started again: `/readyz` says 503 on both processes
 *   while it is down and 200 again within 10 s of its return;
 * - every PostgreSQL backend of the two processes is terminated (`pg_terminate_backend`,
 *   matched by this test's application_name). The PostgreSQL server itself is shared with
 *   other suites (and other developers' runs), so it is not restarted: a terminated
 *   backend is what a restart looks like to a connection.
 * Afterwards every message is stored once and answered exactly once, in order.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { type RedisServer, startRedis } from '../../bench/stack';
import { openStore, type Store } from '../../src/store';
import { tempDir } from '../helpers/bot';
import { type BotProcess, killAll, startBotProcess } from '../helpers/process';
import { describeWithPostgres, freshPostgresSchema, postgresUrl } from '../helpers/services';

const root = path.resolve(__dirname, '../..');
const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const describeFaults = haveRedisServer ? describeWithPostgres : describe.skip;

const VISITORS = 6;

async function ready(url: string): Promise<number> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** Polls until `probe` is true; returns the milliseconds it took (throws after `ms`). */
async function within(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeFaults('two processes under load: Redis restarted, PostgreSQL backends terminated', () => {
  let schema: { url: string; drop(): Promise<void> };
  let redis: RedisServer;
  let bots: BotProcess[] = [];
  let store: Store;
  const application = `sb_faults_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const url = new URL(schema.url);
    url.searchParams.set('application_name', application);
    redis = await startRedis();
    const env = {
      DATABASE_URL: url.toString(),
      REDIS_URL: redis.url,
      FAKECHAT_API: 'http://127.0.0.1:9',
    };
    bots = await Promise.all(
      [0, 1].map(() =>
        startBotProcess(
          path.join(root, 'test/fixtures/crash-bot.ts'),
          { ...env, DATA_DIR: tempDir() },
          { timeoutMs: 30_000 },
        ),
      ),
    );
    store = await openStore({ databaseUrl: schema.url, migrate: false });
  }, 60_000);

  afterAll(async () => {
    await killAll();
    await store?.close();
    await redis?.stop();
    await schema?.drop();
  });

  test('nothing lost, nothing answered twice or out of order, ready again within 10 s', async () => {
    const urls = bots.map((b) => b.url);
    let running = true;
    let refused = 0;
    const sent: string[][] = Array.from({ length: VISITORS }, () => []);
    // Each visitor sends its next message once the previous one was accepted (202), to the
    // process after the one it used last; a refused or failed POST is sent again, with the
    // same clientMessageId, as the widget does.
    const visitor = async (v: number) => {
      for (let k = 0; running; k++) {
        const text = `v${v}-m${String(k).padStart(4, '0')}`;
        for (let attempt = 0; ; attempt++) {
          const url = urls[(v + k + attempt) % urls.length] as string;
          const ok = await fetch(`${url}/web/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ visitorId: `faults-visitor-${v}`, text, clientMessageId: text }),
            signal: AbortSignal.timeout(5000),
          })
            .then(async (res) => {
              await res.arrayBuffer();
              return res.status === 202;
            })
            .catch(() => false);
          if (ok) break;
          refused++;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        sent[v]?.push(text);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };
    const load = Promise.all(Array.from({ length: VISITORS }, (_, v) => visitor(v)));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    // Redis dies: both processes say so on /readyz, and keep taking messages.
    await redis.kill('SIGKILL');
    await within('both /readyz 503 while Redis is down', 8000, async () =>
      (await Promise.all(urls.map(ready))).every((s) => s === 503),
    );
    const acceptedWhileDown = sent.flat().length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sent.flat().length).toBeGreaterThan(acceptedWhileDown);
    await redis.start();
    const redisBack = await within('both ready after Redis is back', 10_000, async () =>
      (await Promise.all(urls.map(ready))).every((s) => s === 200),
    );
    expect(redisBack).toBeLessThan(10_000);

    // Every PostgreSQL backend of the two processes is terminated, twice, while they work.
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    let terminated = 0;
    for (let i = 0; i < 2; i++) {
      const result = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [application],
      );
      terminated += result.rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await admin.end();
    expect(terminated).toBeGreaterThan(0);
    const before = sent.flat().length;
    const pgBack = await within('messages accepted again after the backends died', 10_000, async () => {
      return (
        sent.flat().length > before + VISITORS && (await Promise.all(urls.map(ready))).every((s) => s === 200)
      );
    });
    expect(pgBack).toBeLessThan(10_000);

    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = false;
    await load;

    // Every accepted message is answered once, in the order the visitor sent them.
    const histories = async () =>
      Promise.all(
        sent.map(async (_, v) => {
          const identity = await store.identities.find('web', `faults-visitor-${v}`);
          const conversation = identity ? await store.conversations.findOpen(identity.customerId) : null;
          return conversation ? store.messages.list(conversation.id, { limit: 100_000 }) : [];
        }),
      );
    // A 202 means stored durably: every accepted message is in the database now, answered or not.
    for (const [v, messages] of (await histories()).entries()) {
      const stored = new Set(messages.filter((m) => m.author === 'customer').map((m) => m.text));
      expect({ visitor: v, acceptedButNotStored: (sent[v] ?? []).filter((t) => !stored.has(t)) }).toEqual({
        visitor: v,
        acceptedButNotStored: [],
      });
    }
    // A conversation whose worker lost its connection mid-message waits for its lease to lapse
    // (30 s) before the other process takes it up, and the turn that failed on the dead
    // connection runs again: nothing is lost, but on a loaded machine it can take a while.
    // A liveness bound, not a timing claim.
    await within('every message answered', 120_000, async () =>
      (await histories()).every(
        (messages, v) => messages.filter((m) => m.author === 'bot').length >= (sent[v]?.length ?? 0),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more arrives late
    const all = await histories();
    for (const [v, messages] of all.entries()) {
      const questions = messages.filter((m) => m.author === 'customer');
      const answers = messages.filter((m) => m.author === 'bot');
      expect(questions.map((m) => m.text)).toEqual(sent[v]);
      expect(answers.map((m) => m.text)).toEqual(questions.map((q) => `answer: ${q.text}`));
      // Each answer comes after its question (the worker handled them in order).
      expect(answers.every((a, i) => a.seq > (questions[i]?.seq ?? Number.POSITIVE_INFINITY))).toBe(true);
    }
    expect(sent.flat().length).toBeGreaterThan(VISITORS * 4);
    // Not asserted, but useful when this test is read in a log.
    console.log(
      `faults: ${sent.flat().length} messages, ${refused} refused POSTs retried, ${terminated} backends terminated, Redis back in ${redisBack} ms, PostgreSQL in ${pgBack} ms`,
    );
  }, 200_000);
});
