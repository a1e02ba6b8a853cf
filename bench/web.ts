/**
 * The web channel under load, next to a bare express echo server, in one run.
 *
 * Both servers are separate processes on 127.0.0.1, driven by the same closed-loop
 * generator in this process: `--visitors` concurrent clients, each sending its next
 * message as soon as the previous one is answered. For Switchboard a message is
 * answered when the bot's reply arrives on the visitor's WebSocket: stored, processed
 * by the worker, stored again and pushed — the whole path of a real `switchboard start`
 * (SQLite WAL, default settings). For express, when the echo response arrives.
 *
 * Rounds rotate the set-ups (the machine is noisy); medians are reported.
 *
 * Usage: npm run bench -- web [--visitors 50] [--seconds 10] [--rounds 3]
 *   [--store sqlite|postgres|sqlite,postgres] [--processes 1|2|1,2] [--bot echo|sample]
 *   [--clients ws|longpoll] [--prefill N|0,N]
 * Comma lists put several set-ups in one run, so their ratios come from the same run.
 * PostgreSQL runs get a database of their own on SB_BENCH_DATABASE_URL's server (default
 * the test server) and a redis-server of their own, both removed afterwards.
 * (`SB_BENCH_PROFILE=/tmp/prof` writes a CPU profile of each Switchboard process.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { type Child, cpuMs, median, percentile, startChild, table } from './load';
import { prefill } from './prefill';
import { type RedisServer, createDatabase, procCpuMs, startRedis } from './stack';
import { type ClientKind, openVisitor, textFor, type Visitor } from './visitors';

const root = path.resolve(__dirname, '../..');

interface RoundResult {
  rate: number;
  p50: number;
  p99: number;
  /** Switchboard only: from the inbox accepting the message to the reply reaching the client. */
  acceptedP50?: number;
  acceptedP99?: number;
  cpuPercent: number;
  /** CPU of the server's main (JavaScript) thread, % of one core. */
  mainThreadPercent: number;
  /** CPU of this load-generating process, % of one core. */
  generatorCpuPercent: number;
  errors: number;
  /** Answers received during the whole drive, warm-up included (what the CPU figures cover). */
  answeredTotal: number;
  /** Per answered message: CPU ms by component, and what the store sent. */
  perMessage: {
    switchboard: number;
    main: number;
    postgres: number;
    redis: number;
    statements: number;
    roundTrips: number;
    commits: number;
    serverCommits: number;
  };
}

/**
 * The closed loop both servers are driven by: `visitors` clients, each running `one`
 * (one message and its answer) again and again; a 2 s warm-up, then `seconds` measured.
 * `one` returns the send→answer latency, plus optionally accepted→pushed, or null on error.
 */
async function closedLoop(
  visitors: number,
  seconds: number,
  setup: (visitor: number) => Promise<Visitor>,
): Promise<DriveResult> {
  const latencies: number[] = [];
  const accepted: number[] = [];
  let errors = 0;
  let answeredTotal = 0;
  let measuring = false;
  let running = true;
  const loop = async (visitor: number) => {
    const { one, close } = await setup(visitor);
    for (let n = 0; running; n++) {
      const result = await one(n).catch(() => null);
      if (!result) errors++;
      else answeredTotal++;
      if (result && measuring) {
        latencies.push(result.latency);
        if (result.accepted !== undefined) accepted.push(result.accepted);
      }
    }
    close();
  };
  const loops = Array.from({ length: visitors }, (_, i) => loop(i));
  await sleep(2000);
  measuring = true;
  const started = performance.now();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  running = false;
  await Promise.all(loops);
  latencies.sort((a, b) => a - b);
  accepted.sort((a, b) => a - b);
  return {
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(accepted.length > 0 && {
      acceptedP50: percentile(accepted, 50),
      acceptedP99: percentile(accepted, 99),
    }),
    errors,
    answeredTotal,
  };
}

async function driveExpress(port: number, visitors: number, seconds: number): Promise<DriveResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: visitors, pipelining: 1 });
  const body = JSON.stringify({ visitorId: 'x'.repeat(16), text: 'hello there' });
  const result = await closedLoop(visitors, seconds, async () => ({
    one: async () => {
      const t0 = performance.now();
      const res = await pool.request({
        path: '/echo',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.body.json();
      return res.statusCode === 200 ? { latency: performance.now() - t0 } : null;
    },
    close: () => {},
  }));
  await pool.close();
  return result;
}

async function driveSwitchboard(
  bases: string[],
  visitors: number,
  seconds: number,
  round: number,
  clients: ClientKind,
  bot: 'echo' | 'sample',
): Promise<DriveResult> {
  // Visitors are split over the processes as a sticky load balancer would (i mod N).
  const pools = bases.map((base) => new Pool(base, { connections: visitors, pipelining: 1 }));
  const result = await closedLoop(visitors, seconds, async (i) => {
    const which = i % bases.length;
    return openVisitor({
      kind: clients,
      base: bases[which] as string,
      pool: pools[which] as Pool,
      visitorId: `bench-r${round}-v${String(i).padStart(4, '0')}`,
      text: (n) => textFor(bot, i, n),
    });
  });
  await Promise.all(pools.map((pool) => pool.close()));
  return result;
}

type DriveResult = Pick<
  RoundResult,
  'rate' | 'p50' | 'p99' | 'acceptedP50' | 'acceptedP99' | 'errors' | 'answeredTotal'
>;

/** One Switchboard set-up the run compares (express is always in the run too). */
interface Setup {
  store: 'sqlite' | 'postgres';
  processes: number;
  label: string;
}

/** Reads the store counters every process exposes on /metrics. */
async function storeCounters(
  bases: string[],
): Promise<{ statements: number; roundTrips: number; commits: number }> {
  const total = { statements: 0, roundTrips: 0, commits: 0 };
  for (const base of bases) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    total.statements += read('switchboard_store_statements_total');
    total.roundTrips += read('switchboard_store_round_trips_total');
    total.commits += read('switchboard_store_commits_total');
  }
  return total;
}

/**
 * Runs one Switchboard set-up: fresh store (and database, for PostgreSQL), N processes,
 * the drive, and CPU per message split into Switchboard / postgres backends / redis-server.
 */
async function runSwitchboard(
  setup: Setup,
  options: {
    visitors: number;
    seconds: number;
    round: number;
    clients: ClientKind;
    bot: 'echo' | 'sample';
    prefill: number;
  },
  redis: RedisServer | undefined,
): Promise<RoundResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
  const database = setup.store === 'postgres' ? await createDatabase() : undefined;
  const children: Child[] = [];
  try {
    if (options.prefill > 0) {
      const t0 = performance.now();
      const shape = await prefill(database ? { databaseUrl: database.url } : { dataDir }, options.prefill);
      console.log(
        `    prefilled ${shape.messages} messages (${shape.big} conversations of 5,000, ${shape.small} of 200) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    // SB_BENCH_PROFILE=<dir>: a V8 CPU profile of each Switchboard process per round.
    const profile = process.env.SB_BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SB_BENCH_PROFILE}`]
      : [];
    for (let i = 0; i < setup.processes; i++) {
      children.push(
        await startChild(process.execPath, [...profile, path.join(root, 'bin/switchboard.js'), 'start'], {
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          // echo: an empty bot folder, the greet-and-echo bot, so this measures the path itself
          // (inbox → worker → outbox → push); sample: the shop bot in the repository (NLU + flows).
          BOT_DIR: options.bot === 'echo' ? dataDir : root,
          LOG_LEVEL: 'info',
          NODE_ENV: 'production',
          ...(database && { DATABASE_URL: database.url }),
          ...(database && redis && { REDIS_URL: redis.url }),
        }),
      );
    }
    const bases = children.map((c) => `http://127.0.0.1:${c.port}`);
    const pids = children.map((c) => c.process.pid ?? 0);
    const cpuOf = async () => ({
      switchboard: pids.reduce((n, pid) => n + cpuMs(pid), 0),
      main: pids.reduce((n, pid) => n + cpuMs(pid, true), 0),
      backends: new Map((database ? await database.backends() : []).map((pid) => [pid, procCpuMs(pid)])),
      redis: redis && database ? procCpuMs(redis.pid()) : 0,
    });
    const before = await cpuOf();
    const countersBefore = await storeCounters(bases);
    const commitsBefore = database ? await database.commits() : 0;
    const ownBefore = process.cpuUsage();
    const t0 = performance.now();
    const result = await driveSwitchboard(
      bases,
      options.visitors,
      options.seconds,
      options.round,
      options.clients,
      options.bot,
    );
    const elapsed = performance.now() - t0;
    const after = await cpuOf();
    const countersAfter = await storeCounters(bases);
    await sleep(database ? 600 : 0); // pg_stat_database lags
    const commitsAfter = database ? await database.commits() : 0;
    const own = process.cpuUsage(ownBefore);
    // Backends present at both ends (a pool's connections live as long as the process).
    let backendMs = 0;
    for (const [pid, ms] of after.backends) {
      const was = before.backends.get(pid);
      backendMs += Number.isFinite(ms) ? ms - (was !== undefined && Number.isFinite(was) ? was : 0) : 0;
    }
    // Messages answered during the whole drive (warm-up included), for the per-message costs.
    const answered = result.answeredTotal;
    return {
      rate: result.rate,
      p50: result.p50,
      p99: result.p99,
      ...(result.acceptedP50 !== undefined && { acceptedP50: result.acceptedP50 }),
      ...(result.acceptedP99 !== undefined && { acceptedP99: result.acceptedP99 }),
      errors: result.errors,
      answeredTotal: result.answeredTotal,
      cpuPercent: ((after.switchboard - before.switchboard) / elapsed) * 100,
      mainThreadPercent: ((after.main - before.main) / elapsed) * 100,
      generatorCpuPercent: ((own.user + own.system) / 1000 / elapsed) * 100,
      perMessage: {
        switchboard: (after.switchboard - before.switchboard) / answered,
        main: (after.main - before.main) / answered,
        postgres: backendMs / answered,
        redis: (after.redis - before.redis) / answered,
        statements: (countersAfter.statements - countersBefore.statements) / answered,
        roundTrips: (countersAfter.roundTrips - countersBefore.roundTrips) / answered,
        commits: (countersAfter.commits - countersBefore.commits) / answered,
        serverCommits: (commitsAfter - commitsBefore) / answered,
      },
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await database
      ?.drop()
      .catch((error: unknown) => console.error(`could not drop ${database.name}: ${error}`));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runExpress(visitors: number, seconds: number): Promise<RoundResult> {
  const child = await startChild(process.execPath, [path.join(__dirname, 'servers/express-echo.js')], {});
  try {
    const before = cpuMs(child.process.pid);
    const mainBefore = cpuMs(child.process.pid, true);
    const ownBefore = process.cpuUsage();
    const t0 = performance.now();
    const result = await driveExpress(child.port, visitors, seconds);
    const elapsed = performance.now() - t0;
    const cpu = cpuMs(child.process.pid) - before;
    const main = cpuMs(child.process.pid, true) - mainBefore;
    const own = process.cpuUsage(ownBefore);
    return {
      ...result,
      cpuPercent: (cpu / elapsed) * 100,
      mainThreadPercent: (main / elapsed) * 100,
      generatorCpuPercent: ((own.user + own.system) / 1000 / elapsed) * 100,
      perMessage: {
        switchboard: cpu / result.answeredTotal,
        main: main / result.answeredTotal,
        postgres: 0,
        redis: 0,
        statements: 0,
        roundTrips: 0,
        commits: 0,
        serverCommits: 0,
      },
    };
  } finally {
    await child.stop();
  }
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      visitors: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      store: { type: 'string', default: 'sqlite' },
      processes: { type: 'string', default: '1' },
      bot: { type: 'string', default: 'echo' },
      clients: { type: 'string', default: 'ws' },
      prefill: { type: 'string', default: '0' },
    },
  });
  const visitors = Number(values.visitors);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const bot = values.bot === 'sample' ? 'sample' : 'echo';
  const clients: ClientKind = values.clients === 'longpoll' ? 'longpoll' : 'ws';
  const prefills = String(values.prefill).split(',').map(Number);
  const setups: (Setup & { prefill: number })[] = [];
  for (const prefillN of prefills) {
    for (const store of String(values.store).split(',')) {
      if (store !== 'sqlite' && store !== 'postgres')
        throw new Error(`--store: sqlite or postgres, not ${store}`);
      for (const processes of store === 'sqlite' ? [1] : String(values.processes).split(',').map(Number)) {
        const label = `${store === 'sqlite' ? 'SQLite' : 'PostgreSQL + Redis'}${store === 'postgres' ? `, ${processes} process${processes > 1 ? 'es' : ''}` : ''}${prefillN ? `, ${prefillN.toLocaleString('en')} stored` : ''}`;
        setups.push({ store, processes, label, prefill: prefillN });
      }
    }
  }
  console.log(
    `Web channel (${bot} bot, ${clients} clients) vs bare express: ${visitors} concurrent visitors, ${seconds} s per run after 2 s warm-up, ${rounds} rounds (alternating), ${os.cpus().length} cores, Node ${process.version}\n` +
      `load average before: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
  const redis = setups.some((s) => s.store === 'postgres') ? await startRedis() : undefined;
  const results = new Map<string, RoundResult[]>([
    ['express', []],
    ...setups.map((s) => [s.label, []] as [string, RoundResult[]]),
  ]);
  const loads: string[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = ['express', ...setups.map((s) => s.label)];
      // Rotate the order each round: no set-up always runs first (or last) on a noisy machine.
      for (let k = 0; k < round - 1; k++) order.push(order.shift() as string);
      for (const which of order) {
        const setup = setups.find((s) => s.label === which);
        const result = setup
          ? await runSwitchboard(
              setup,
              { visitors, seconds, round, clients, bot, prefill: setup.prefill },
              redis,
            )
          : await runExpress(visitors, seconds);
        results.get(which)?.push(result);
        const pm = result.perMessage;
        console.log(
          `  round ${round} ${which.padEnd(40)} ${result.rate.toFixed(0).padStart(5)} msg/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  CPU ms/msg: ${pm.switchboard.toFixed(3)} app + ${pm.postgres.toFixed(3)} pg + ${pm.redis.toFixed(3)} redis  stmts ${pm.statements.toFixed(1)}  trips ${pm.roundTrips.toFixed(1)}  errors ${result.errors}`,
        );
      }
      loads.push(os.loadavg()[0]?.toFixed(2) ?? '');
    }
  } finally {
    await redis?.stop();
  }
  const summary = (rs: RoundResult[]) => {
    const m = (f: (r: RoundResult) => number) => median(rs.map(f));
    return {
      rate: m((r) => r.rate),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      acceptedP99: m((r) => r.acceptedP99 ?? Number.NaN),
      app: m((r) => r.perMessage.switchboard),
      main: m((r) => r.perMessage.main),
      postgres: m((r) => r.perMessage.postgres),
      redis: m((r) => r.perMessage.redis),
      total: m((r) => r.perMessage.switchboard + r.perMessage.postgres + r.perMessage.redis),
      statements: m((r) => r.perMessage.statements),
      roundTrips: m((r) => r.perMessage.roundTrips),
      commits: m((r) => r.perMessage.commits),
      serverCommits: m((r) => r.perMessage.serverCommits),
      generator: m((r) => r.generatorCpuPercent),
      errors: rs.reduce((n, r) => n + r.errors, 0),
    };
  };
  const e = summary(results.get('express') ?? []);
  const rows = [...results.entries()].map(([label, rs]) => {
    const s = summary(rs);
    const sw = label !== 'express';
    return [
      sw ? label : 'bare express echo',
      s.rate.toFixed(0),
      (s.rate / e.rate).toFixed(2),
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      s.app.toFixed(3),
      s.main.toFixed(3),
      sw ? s.postgres.toFixed(3) : '–',
      sw ? s.redis.toFixed(3) : '–',
      s.total.toFixed(3),
      sw ? s.statements.toFixed(1) : '–',
      sw ? s.roundTrips.toFixed(1) : '–',
      sw ? s.commits.toFixed(2) : '–',
      sw && label.startsWith('PostgreSQL') ? s.serverCommits.toFixed(2) : '–',
      s.generator.toFixed(0),
      s.errors,
    ];
  });
  console.log(`\nMedians of ${rounds} rounds (load average after each round: ${loads.join(', ')}):\n`);
  console.log(
    table(
      [
        'server',
        'msg/s',
        'vs express',
        'p50 ms',
        'p99 ms',
        'app CPU ms/msg',
        'main thread',
        'postgres',
        'redis',
        'total CPU ms/msg',
        'statements/msg',
        'round trips/msg',
        'commits/msg',
        'server xacts/msg',
        'generator CPU %',
        'errors',
      ],
      rows,
    ),
  );
  const sqlite = setups.find((s) => s.store === 'sqlite' && s.prefill === 0);
  if (sqlite) {
    const base = summary(results.get(sqlite.label) ?? []);
    for (const setup of setups.filter((s) => s !== sqlite)) {
      const s = summary(results.get(setup.label) ?? []);
      console.log(
        `${setup.label} ÷ SQLite: msg/s ${(s.rate / base.rate).toFixed(2)}, total CPU per message ${(s.total / base.total).toFixed(2)}×`,
      );
    }
  }
  console.log(
    '\nCPU per message counts every message answered from the start of the warm-up; "app" is every Switchboard process (all threads),' +
      ' "postgres" the backends of the run\'s own database, "redis" the run\'s own redis-server. "commits/msg" is counted in the driver' +
      ' (a group commit counts once); "server xacts/msg" is pg_stat_database.xact_commit (every statement outside a transaction is one).',
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
