/**
 * The services a scale-mode benchmark run owns: a PostgreSQL database of its own (created
 * on the server at SB_BENCH_DATABASE_URL, default the test server, dropped afterwards) and
 * a redis-server of its own on a free port. Owning them makes the CPU figures honest: the
 * backends of that database and that redis-server serve this run only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';

export const adminUrl = process.env.SB_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** CPU time (user+sys, ms) of any process, from /proc; NaN once it is gone. */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

export interface Database {
  name: string;
  url: string;
  /** The server process ids of this database's connections (postgres backends). */
  backends(): Promise<number[]>;
  /** Committed transactions so far (pg_stat_database; the statistics lag by up to 0.5 s). */
  commits(): Promise<number>;
  /** Terminates every backend of this database (the fault tests; never other databases). */
  terminateBackends(): Promise<number>;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(): Promise<Database> {
  const name = `sb_bench_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    backends: () =>
      admin(async (c) =>
        (
          await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
            name,
          ])
        ).rows.map((r) => Number(r.pid)),
      ),
    commits: () =>
      admin(
        async (c) =>
          Number(
            (await c.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [name])).rows[0]
              ?.xact_commit,
          ) || 0,
      ),
    terminateBackends: () =>
      admin(
        async (c) =>
          (
            await c.query(
              'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
              [name],
            )
          ).rowCount ?? 0,
      ),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  pid(): number;
  /** Stops it (SIGKILL: a crash) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after {@link RedisServer.kill}). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server of our own (no persistence), on a free port or `port`. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      child.stdout?.on('data', (d) => {
        output += String(d);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout?.resume();
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
  };
  const kill = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  return {
    url: `redis://127.0.0.1:${chosen}`,
    pid: () => child.pid ?? 0,
    kill: (signal = 'SIGKILL') => kill(signal),
    start: launch,
    stop: () => kill('SIGTERM'),
  };
}
