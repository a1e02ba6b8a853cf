/**
 * `npm run bench -- startup [--runs N] [--bot DIR]`
 *
 * How fast a web-only bot is up, and what it holds once idle: `switchboard start` (the compiled
 * CLI, as `npm start` runs it) on the sample bot with no channel credentials, timed from the
 * spawn to the first `200` from `/healthz`, then left idle for two seconds before it reports
 * the CommonJS modules it loaded and its resident memory. The first start trains and caches the
 * NLU; it is reported apart ("cold") and the next N starts are the warm figures.
 *
 * The peer in the same run is the floor any Node HTTP service pays: express answering
 * `/healthz`, started the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const root = path.resolve(__dirname, '..', '..');

/** Loaded with `-r`: on SIGUSR2 it writes what the process holds to SB_PROBE_FILE. */
const PROBE = `process.on('SIGUSR2', () => {
  require('node:fs').writeFileSync(process.env.SB_PROBE_FILE, JSON.stringify({
    modules: Object.keys(require.cache).length,
    rss: process.memoryUsage().rss,
  }));
});`;

interface Sample {
  readyMs: number;
  modules: number;
  rssMb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitHealthy(port: number, child: ChildProcess, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the process exited with ${child.exitCode} before /healthz answered`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 60_000) throw new Error('/healthz did not answer within 60 s');
    await sleep(10);
  }
}

/** Spawns `args`, times it to a healthy /healthz, idles, probes, and stops it. */
async function sample(args: string[], env: NodeJS.ProcessEnv, work: string): Promise<Sample> {
  const port = await freePort();
  const probeFile = path.join(work, `probe-${port}.json`);
  const probe = path.join(work, 'probe.cjs');
  const started = performance.now();
  const child = spawn(process.execPath, ['-r', probe, ...args], {
    cwd: root,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', SB_PROBE_FILE: probeFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    const readyMs = await waitHealthy(port, child, started);
    await sleep(2000);
    child.kill('SIGUSR2');
    for (let i = 0; i < 100; i++) {
      try {
        const probed = JSON.parse(readFileSync(probeFile, 'utf8')) as { modules: number; rss: number };
        return { readyMs, modules: probed.modules, rssMb: probed.rss / 2 ** 20 };
      } catch {
        await sleep(20);
      }
    }
    throw new Error('the probe did not answer');
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function row(name: string, samples: Sample[]): string {
  const ready = median(samples.map((s) => s.readyMs));
  const modules = median(samples.map((s) => s.modules));
  const rss = median(samples.map((s) => s.rssMb));
  return `${name.padEnd(34)} ${ready.toFixed(0).padStart(8)} ms ${String(modules).padStart(8)} ${rss.toFixed(0).padStart(7)} MB`;
}

export async function run(argv: string[]): Promise<void> {
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const runs = Number(option('--runs') ?? 5);
  const botDir = path.resolve(option('--bot') ?? root);
  const work = mkdtempSync(path.join(tmpdir(), 'sb-startup-'));
  writeFileSync(path.join(work, 'probe.cjs'), PROBE);
  // Web only: no channel credentials reach the child, whatever this shell has set.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    BOT_DIR: botDir,
    DATA_DIR: path.join(work, 'data'),
  };
  const cli = [path.join(root, 'bin', 'switchboard.js'), 'start'];
  const express = [
    '-e',
    "require('express')().get('/healthz', (_q, r) => r.send('ok')).listen(Number(process.env.PORT), '127.0.0.1')",
  ];
  try {
    console.log(`bot: ${botDir} (web only), ${runs} warm starts each\n`);
    const cold = await sample(cli, env, work);
    const warm: Sample[] = [];
    const floor: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      warm.push(await sample(cli, env, work));
      floor.push(await sample(express, env, work));
    }
    console.log(
      `${'process'.padEnd(34)} ${'to /healthz'.padStart(11)} ${'modules'.padStart(8)} ${'idle RSS'.padStart(10)}`,
    );
    console.log(row('switchboard start, cold (trains NLU)', [cold]));
    console.log(row('switchboard start, warm', warm));
    console.log(row('express /healthz (the floor)', floor));
    const w = median(warm.map((s) => s.readyMs));
    const f = median(floor.map((s) => s.readyMs));
    console.log(
      `\nwarm start / express floor: ${(w / f).toFixed(1)}× (targets: < 1,000 ms, < 500 modules, < 120 MB)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
