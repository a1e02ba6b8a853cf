import pg from 'pg';
import { type DriverStats, type Param, type Row, type SqlDriver, StoreConflictError } from './driver';

// BIGINT columns hold epoch milliseconds and sequence numbers: well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Transactions committed together at most (bounds how long one batch holds its row locks). */
const MAX_BATCH = 128;
/** Distinct statements kept prepared per connection; rarer SQL beyond that runs unnamed. */
const MAX_PREPARED = 512;
/** A job that lost a deadlock or a serialization race runs again (alone, in a later batch). */
const MAX_RETRIES = 3;
const RETRYABLE = new Set(['40P01', '40001']);

const converted = new Map<string, { text: string; name: string | undefined }>();

/**
 * Rewrites `?` placeholders to `$1…$n` (our SQL never has `?` inside string literals) and
 * names the statement, so each connection parses and plans it once.
 */
function toPg(sql: string): { text: string; name: string | undefined } {
  let entry = converted.get(sql);
  if (entry === undefined) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    entry = { text, name: converted.size < MAX_PREPARED ? `sb${converted.size}` : undefined };
    converted.set(sql, entry);
  }
  return entry;
}

/** A statement that only reads: it may run outside any batch, on the read connection. */
const readOnly = new Map<string, boolean>();
function isRead(sql: string): boolean {
  let read = readOnly.get(sql);
  if (read === undefined) {
    read =
      /^\s*(SELECT|WITH)\b/i.test(sql) &&
      !/\b(INSERT|UPDATE|DELETE|pg_advisory\w*|nextval|setval)\b|\bFOR\s+(UPDATE|SHARE|NO\s+KEY|KEY)\b/i.test(
        sql,
      );
    if (readOnly.size < 4096) readOnly.set(sql, read);
  }
  return read;
}

/**
 * One connection in pipeline mode: statements issued while earlier ones are in flight go
 * out at once instead of waiting for the answers, so statements issued together cost one
 * round trip. Reconnects on the next statement after the connection was lost (a restarted
 * server, a terminated backend).
 */
class Connection {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private inFlight = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly stats: DriverStats,
  ) {}

  /** Sends a statement now; awaited or not, the answers come back in order. */
  query(sql: string, params: Param[] | undefined): Promise<pg.QueryResult> {
    this.stats.statements++;
    if (this.inFlight++ === 0) this.stats.roundTrips++;
    const client = this.client;
    const run = (c: pg.Client) => {
      if (params === undefined) return c.query(sql);
      const { text, name } = toPg(sql);
      return c.query(name ? { name, text, values: params } : { text, values: params });
    };
    const result = client ? run(client) : this.connect().then(run);
    return result.finally(() => {
      this.inFlight--;
    });
  }

  private connect(): Promise<pg.Client> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ ...this.config, pipeline: true } as pg.ClientConfig);
      const lost = () => {
        if (this.client === client) this.client = undefined;
      };
      // A lost connection must not crash the process: the next statement reconnects.
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
        this.client = client;
        return client;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

interface Job {
  fn: (tx: SqlDriver) => Promise<unknown>;
  /** One statement: needs no savepoint of its own when it is alone in its batch. */
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  retries: number;
}

export interface PostgresDriverOptions {
  /**
   * Batches (each a transaction on its own connection) in flight at once; more connections
   * buy nothing once the commits are grouped. Plus one connection for reads.
   */
  writers?: number;
}

/**
 * node-postgres, with group commit and pipelining.
 *
 * On PostgreSQL a commit waits for the WAL to reach the disk, which on a small virtual
 * disk costs milliseconds — far more than the statements of a message. So, as the SQLite
 * driver does, every transaction (and every single write) requested while the previous
 * batch is running joins the next batch: one BEGIN, the jobs one after another, each
 * inside its own SAVEPOINT (one that fails is rolled back alone), one COMMIT. Each caller's
 * promise settles only after that COMMIT, so "resolved" still means "durable", and each
 * caller's work is still all-or-nothing. A job that loses a deadlock runs again in a later
 * batch. Several batches may be in flight on separate connections (`writers`).
 *
 * The connections run in pipeline mode: SAVEPOINT / RELEASE / BEGIN travel with the
 * statements around them, and reads issued together (outside any transaction) share one
 * round trip on the read connection. Statements are prepared once per connection.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly stats: DriverStats = { statements: 0, roundTrips: 0, commits: 0 };
  private readonly reader: Connection;
  private readonly writers: Connection[];
  private readonly freeWriters: Connection[];
  private readonly queue: Job[] = [];
  private scheduled = false;
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    const config: pg.ClientConfig = { connectionString };
    this.reader = new Connection(config, this.stats);
    this.writers = Array.from(
      { length: Math.max(1, options.writers ?? 3) },
      () => new Connection(config, this.stats),
    );
    this.freeWriters = [...this.writers];
  }

  async all<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    if (isRead(sql)) {
      try {
        return (await this.reader.query(sql, params)).rows as T[];
      } catch (error) {
        throw translate(error);
      }
    }
    return this.enqueue((tx) => tx.all<T>(sql, params));
  }

  run(sql: string, params: Param[] = []): Promise<number> {
    return this.enqueue((tx) => tx.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.enqueue((tx) => tx.exec(sql));
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.enqueue(fn);
  }

  async close(): Promise<void> {
    while (this.queue.length > 0 || this.running.size > 0 || this.scheduled) {
      await Promise.allSettled([...this.running]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.closed = true;
    await Promise.all([this.reader, ...this.writers].map((c) => c.close()));
  }

  private enqueue<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the PostgreSQL store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, retries: 0 });
      this.schedule();
    });
  }

  /** Starts a batch at the end of this event-loop turn, when a connection is free. */
  private schedule(): void {
    if (this.scheduled || this.freeWriters.length === 0 || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.freeWriters.length > 0) {
        const connection = this.freeWriters.pop() as Connection;
        const jobs = this.queue.splice(0, MAX_BATCH);
        const batch = this.runBatch(connection, jobs).finally(() => {
          this.running.delete(batch);
          this.freeWriters.push(connection);
          this.schedule();
        });
        this.running.add(batch);
      }
    });
  }

  private async runBatch(connection: Connection, jobs: Job[]): Promise<void> {
    const savepoints = jobs.length > 1;
    const settled: { job: Job; ok: boolean; value: unknown }[] = [];
    const retry: Job[] = [];
    const inside = this.executor(connection);
    // Not awaited: BEGIN and each SAVEPOINT / RELEASE travel with the next statement. Their
    // failure shows as the failure of the statements behind them, so they are only caught here.
    const quiet = (sql: string) => void connection.query(sql, undefined).catch(() => {});
    try {
      quiet('BEGIN');
      for (const job of jobs) {
        if (savepoints) quiet('SAVEPOINT job');
        try {
          const value = await job.fn(inside);
          if (savepoints) quiet('RELEASE job');
          settled.push({ job, ok: true, value });
        } catch (error) {
          if (!savepoints) throw error;
          // Undoes this job alone; if even that fails, the transaction (or the connection) is gone.
          await connection.query('ROLLBACK TO job', undefined);
          quiet('RELEASE job');
          if (isRetryable(error) && job.retries < MAX_RETRIES) {
            job.retries++;
            retry.push(job);
          } else settled.push({ job, ok: false, value: error });
        }
      }
      await connection.query('COMMIT', undefined);
      this.stats.commits++;
    } catch (error) {
      await connection.query('ROLLBACK', undefined).catch(() => {});
      if (!savepoints) {
        const [job] = jobs as [Job];
        if (isRetryable(error) && job.retries < MAX_RETRIES) {
          job.retries++;
          this.queue.push(job);
        } else job.reject(translate(error));
        return;
      }
      // The batch as a whole failed (the connection was lost): nobody's work committed.
      for (const { job } of settled) job.reject(translate(error));
      for (const job of [...retry, ...jobs.slice(settled.length + retry.length)])
        job.reject(translate(error));
      return;
    }
    for (const { job, ok, value } of settled) {
      if (ok) job.resolve(value);
      else job.reject(translate(value));
    }
    if (retry.length > 0) this.queue.push(...retry);
  }

  /** The driver a job sees: its statements run on the batch's connection, in its transaction. */
  private executor(connection: Connection): SqlDriver {
    const inside: SqlDriver = {
      dialect: 'postgres',
      stats: this.stats,
      all: async <T extends Row>(sql: string, params: Param[] = []) =>
        (await connection.query(sql, params)).rows as T[],
      run: async (sql: string, params: Param[] = []) => (await connection.query(sql, params)).rowCount ?? 0,
      // No values: the simple protocol, which accepts several statements (migrations).
      exec: async (sql: string) => {
        await connection.query(sql, undefined);
      },
      // Nested transactions join the outer one.
      transaction: (fn) => fn(inside),
      close: async () => {},
    };
    return {
      ...inside,
      all: <T extends Row>(sql: string, params?: Param[]) => inside.all<T>(sql, params).catch(rethrow),
      run: (sql, params) => inside.run(sql, params).catch(rethrow),
    };
  }
}

function rethrow(error: unknown): never {
  throw translate(error);
}

function isRetryable(error: unknown): boolean {
  const cause = error instanceof StoreConflictError ? error.cause : error;
  return RETRYABLE.has((cause as { code?: string } | undefined)?.code ?? '');
}

function translate(error: unknown): unknown {
  if (error instanceof StoreConflictError) return error;
  if ((error as { code?: string }).code === '23505') {
    return new StoreConflictError((error as Error).message, { cause: error });
  }
  return error;
}
