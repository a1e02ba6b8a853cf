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
 * Rounds alternate the two servers (the machine is noisy); medians are reported.
 *
 * Usage: npm run bench -- web [--visitors 50] [--seconds 10] [--rounds 3]
 * (`SB_BENCH_PROFILE=/tmp/prof` writes a CPU profile of the Switchboard server.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { WebSocket } from 'ws';
import { type Child, cpuMs, median, percentile, startChild, table } from './load';

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
}

/**
 * The closed loop both servers are driven by: `visitors` clients, each running `one`
 * (one message and its answer) again and again; a 2 s warm-up, then `seconds` measured.
 * `one` returns the send→answer latency, plus optionally accepted→pushed, or null on error.
 */
async function closedLoop(
  visitors: number,
  seconds: number,
  setup: (visitor: number) => Promise<{
    one: (n: number) => Promise<{ latency: number; accepted?: number } | null>;
    close: () => void;
  }>,
): Promise<DriveResult> {
  const latencies: number[] = [];
  const accepted: number[] = [];
  let errors = 0;
  let measuring = false;
  let running = true;
  const loop = async (visitor: number) => {
    const { one, close } = await setup(visitor);
    for (let n = 0; running; n++) {
      const result = await one(n).catch(() => null);
      if (!result) errors++;
      else if (measuring) {
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
  port: number,
  visitors: number,
  seconds: number,
  round: number,
): Promise<DriveResult> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: visitors, pipelining: 1 });
  const result = await closedLoop(visitors, seconds, async (i) => {
    const visitorId = `bench-r${round}-v${String(i).padStart(4, '0')}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/web/socket?visitorId=${visitorId}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let waiting: { text: string; resolve: (acceptedAt: number) => void } | null = null;
    let lastAcceptedAt = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string;
        message?: { author: string; text: string; createdAt: string };
      };
      if (frame.type !== 'message' || !frame.message) return;
      if (frame.message.author === 'customer') lastAcceptedAt = Date.parse(frame.message.createdAt);
      else if (waiting && frame.message.text === waiting.text) waiting.resolve(lastAcceptedAt);
    });
    return {
      one: async (n) => {
        const text = `message ${n} from visitor ${i}`;
        const replied = new Promise<number>((resolve) => {
          waiting = { text: `You said: ${text}`, resolve };
        });
        const t0 = performance.now();
        const res = await pool.request({
          path: '/web/messages',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ visitorId, text, clientMessageId: `c${n}` }),
        });
        await res.body.dump();
        if (res.statusCode !== 202) return null;
        const acceptedAt = await Promise.race([replied, sleep(10_000).then(() => -1)]);
        if (acceptedAt < 0) return null;
        return { latency: performance.now() - t0, accepted: Date.now() - acceptedAt };
      },
      close: () => ws.close(),
    };
  });
  await pool.close();
  return result;
}

type DriveResult = Omit<RoundResult, 'cpuPercent' | 'mainThreadPercent' | 'generatorCpuPercent'>;

async function measure(child: Child, drive: () => Promise<DriveResult>): Promise<RoundResult> {
  const cpuBefore = cpuMs(child.process.pid);
  const mainBefore = cpuMs(child.process.pid, true);
  const ownBefore = process.cpuUsage();
  const t0 = performance.now();
  const result = await drive();
  const elapsed = performance.now() - t0;
  const cpuPercent = ((cpuMs(child.process.pid) - cpuBefore) / elapsed) * 100;
  const mainThreadPercent = ((cpuMs(child.process.pid, true) - mainBefore) / elapsed) * 100;
  const own = process.cpuUsage(ownBefore);
  return {
    ...result,
    cpuPercent,
    mainThreadPercent,
    generatorCpuPercent: ((own.user + own.system) / 1000 / elapsed) * 100,
  };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      visitors: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const visitors = Number(values.visitors);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  console.log(
    `Web channel vs bare express: ${visitors} concurrent visitors, ${seconds} s per run after 2 s warm-up, ${rounds} rounds (alternating), ${os.cpus().length} cores, Node ${process.version}\n`,
  );
  const results: { express: RoundResult[]; switchboard: RoundResult[] } = { express: [], switchboard: [] };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? (['express', 'switchboard'] as const) : (['switchboard', 'express'] as const);
    for (const which of order) {
      if (which === 'express') {
        const child = await startChild(
          process.execPath,
          [path.join(__dirname, 'servers/express-echo.js')],
          {},
        );
        results.express.push(await measure(child, () => driveExpress(child.port, visitors, seconds)));
        await child.stop();
      } else {
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
        // SB_BENCH_PROFILE=<dir>: a V8 CPU profile of the Switchboard server per round.
        const profile = process.env.SB_BENCH_PROFILE
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SB_BENCH_PROFILE}`]
          : [];
        const child = await startChild(
          process.execPath,
          [...profile, path.join(root, 'bin/switchboard.js'), 'start'],
          {
            PORT: '0',
            HOST: '127.0.0.1',
            DATA_DIR: dataDir,
            // An empty bot folder: the greet-and-echo bot, so this measures the path itself
            // (inbox → worker → outbox → push), not the sample bot's NLU and flows.
            BOT_DIR: dataDir,
            LOG_LEVEL: 'info',
            NODE_ENV: 'production',
          },
        );
        results.switchboard.push(
          await measure(child, () => driveSwitchboard(child.port, visitors, seconds, round)),
        );
        await child.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      const last = results[which].at(-1);
      console.log(
        `  round ${round} ${which.padEnd(11)} ${last?.rate.toFixed(0)} msg/s  p50 ${last?.p50.toFixed(1)} ms  p99 ${last?.p99.toFixed(1)} ms  main thread ${last ? ((last.mainThreadPercent * 10) / Math.max(1, last.rate)).toFixed(3) : '–'} ms/msg  errors ${last?.errors}`,
      );
    }
  }
  const summary = (rs: RoundResult[]) => ({
    rate: median(rs.map((r) => r.rate)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    acceptedP50: median(rs.map((r) => r.acceptedP50 ?? Number.NaN)),
    acceptedP99: median(rs.map((r) => r.acceptedP99 ?? Number.NaN)),
    cpu: median(rs.map((r) => r.cpuPercent)),
    /** Server CPU per message (ms): steadier than msg/s when the generator competes for the cores. */
    cpuPerMessage: median(rs.map((r) => (r.cpuPercent * 10) / Math.max(1, r.rate))),
    /** Main-thread CPU per message (ms): what bounds a Node server's throughput. */
    mainPerMessage: median(rs.map((r) => (r.mainThreadPercent * 10) / Math.max(1, r.rate))),
    generatorCpu: median(rs.map((r) => r.generatorCpuPercent)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
  });
  const e = summary(results.express);
  const s = summary(results.switchboard);
  console.log(`\nMedians of ${rounds} rounds:\n`);
  console.log(
    table(
      [
        'server',
        'msg/s',
        'send→answer p50 ms',
        'p99 ms',
        'accepted→pushed p50 ms',
        'p99 ms',
        'server CPU %',
        'server CPU ms/msg',
        'main thread ms/msg',
        'generator CPU %',
        'errors',
        'vs express',
      ],
      [
        [
          'bare express echo',
          e.rate.toFixed(0),
          e.p50.toFixed(1),
          e.p99.toFixed(1),
          '–',
          '–',
          e.cpu.toFixed(0),
          e.cpuPerMessage.toFixed(3),
          e.mainPerMessage.toFixed(3),
          e.generatorCpu.toFixed(0),
          e.errors,
          '1.00',
        ],
        [
          'Switchboard web channel',
          s.rate.toFixed(0),
          s.p50.toFixed(1),
          s.p99.toFixed(1),
          s.acceptedP50.toFixed(0),
          s.acceptedP99.toFixed(0),
          s.cpu.toFixed(0),
          s.cpuPerMessage.toFixed(3),
          s.mainPerMessage.toFixed(3),
          s.generatorCpu.toFixed(0),
          s.errors,
          (s.rate / e.rate).toFixed(2),
        ],
      ],
    ),
  );
  console.log(
    `\nThroughput ratio ${(s.rate / e.rate).toFixed(2)} (target ≥ 0.50); Switchboard p99 ${s.p99.toFixed(1)} ms (target < 50 ms).` +
      `\nCPU per message, express ÷ Switchboard: ${(e.cpuPerMessage / s.cpuPerMessage).toFixed(2)} whole process, ${(e.mainPerMessage / s.mainPerMessage).toFixed(2)} main thread (steadier than msg/s: the load generator shares the two cores).` +
      '\n"accepted→pushed" runs from the inbox storing the message (server clock, ms) to the reply frame reaching the client.',
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
