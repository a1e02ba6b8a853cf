import pg from 'pg';
import { type DriverStats, type Param, type Row, type SqlDriver, StoreConflictError } from './driver';

// BIGINT columns hold epoch milliseconds and sequence numbers: well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Single writes committed together at most. */
const MAX_GROUP = 256;
/** Distinct statements kept prepared per connection; rarer SQL beyond that runs unnamed. */
const MAX_PREPARED = 512;

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

interface Corkable {
  cork(): void;
  uncork(): void;
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
  private corked = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly stats: DriverStats,
  ) {}

  /**
   * Sends a statement now; awaited or not, the answers come back in order. With `pin`, the
   * statement goes to the client the pin's first statement went to (a transaction's BEGIN),
   * and fails if that client was lost meanwhile: a COMMIT must never reach a new connection,
   * where it would "succeed" with nothing to commit while the work it meant was rolled back.
   */
  query(sql: string, params: Param[] | undefined, pin?: Pin): Promise<pg.QueryResult> {
    this.stats.statements++;
    if (this.inFlight++ === 0) this.stats.roundTrips++;
    const run = (c: pg.Client) => {
      if (params === undefined) return c.query(sql);
      const { text, name } = toPg(sql);
      return c.query(name ? { name, text, values: params } : { text, values: params });
    };
    let result: Promise<pg.QueryResult>;
    if (pin) {
      if (!pin.ready) {
        pin.client = this.client;
        pin.ready = pin.client ? Promise.resolve(pin.client) : this.connect();
        pin.ready.then((c) => (pin.client = c)).catch(() => {});
      }
      const onPinned = (c: pg.Client) => {
        if (c !== this.client) return Promise.reject(connectionLost());
        this.cork(c);
        return run(c);
      };
      result = pin.client ? onPinned(pin.client) : pin.ready.then(onPinned);
    } else {
      const client = this.client;
      if (client) this.cork(client);
      result = client ? run(client) : this.connect().then(run);
    }
    return result.finally(() => {
      this.inFlight--;
    });
  }

  /**
   * Holds this turn's statements in the socket until the turn ends, so they leave in one
   * write (node-postgres writes each statement by itself: a system call each).
   */
  private cork(client: pg.Client): void {
    if (this.corked) return;
    const stream = (client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
    if (!stream || typeof stream.cork !== 'function') return;
    stream.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
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

/** The one client a transaction's statements go to (see {@link Connection.query}). */
interface Pin {
  client?: pg.Client | undefined;
  ready?: Promise<pg.Client>;
}

function connectionLost(): Error {
  return Object.assign(
    new Error('the database connection was lost during the transaction (it was rolled back)'),
    { code: '08003' },
  );
}

/** A single write waiting for the next group commit. */
interface Write {
  sql: string;
  params: Param[];
  resolve: (result: pg.QueryResult) => void;
  reject: (error: unknown) => void;
}

export interface PostgresDriverOptions {
  /** Transactions in flight at once, each on its own connection (default 4). */
  transactions?: number;
}

/**
 * node-postgres, with group commit and pipelining, on a handful of connections.
 *
 * On PostgreSQL a commit waits for the WAL to reach the disk, which on a small virtual disk
 * costs milliseconds — more than the statements of a message — and every round trip waits
 * for two processes to be scheduled. So:
 * - **single writes** (a statement outside any transaction that changes something: the
 *   worker's lease / finish, an append) requested while the previous group is in flight
 *   are sent together as one transaction, `BEGIN; s1; …; sN; COMMIT`, pipelined: one round
 *   trip and one WAL flush for the group. Each caller's promise settles after the COMMIT,
 *   so "resolved" still means "durable". If one statement fails, the group is rolled back
 *   and each statement runs again on its own, so a failure stays its caller's;
 * - **transactions** run on a small set of connections of their own, BEGIN travelling with
 *   their first statement; concurrent commits share WAL flushes inside PostgreSQL;
 * - **reads** outside transactions go to one connection, pipelined: reads issued together
 *   share one round trip.
 * Every connection prepares each statement once.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly stats: DriverStats = { statements: 0, roundTrips: 0, commits: 0 };
  private readonly reader: Connection;
  private readonly writer: Connection;
  private readonly free: Connection[];
  private readonly waiting: ((connection: Connection) => void)[] = [];
  private writes: Write[] = [];
  private groupInFlight: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private transactionsInFlight = 0;

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    const config: pg.ClientConfig = { connectionString };
    this.reader = new Connection(config, this.stats);
    this.writer = new Connection(config, this.stats);
    this.free = Array.from(
      { length: Math.max(1, options.transactions ?? 4) },
      () => new Connection(config, this.stats),
    );
    this.all_ = [this.reader, this.writer, ...this.free];
  }

  private readonly all_: Connection[];

  async all<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    try {
      if (isRead(sql)) return (await this.reader.query(sql, params)).rows as T[];
      return (await this.write(sql, params)).rows as T[];
    } catch (error) {
      throw translate(error);
    }
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    try {
      return (await this.write(sql, params)).rowCount ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }

  exec(sql: string): Promise<void> {
    return this.transaction((tx) => tx.exec(sql));
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    const connection =
      this.free.pop() ?? (await new Promise<Connection>((resolve) => this.waiting.push(resolve)));
    this.transactionsInFlight++;
    const pin: Pin = {};
    const inside = this.executor(connection, pin);
    try {
      // Not awaited: BEGIN travels with the first statement, whose failure shows its own.
      void connection.query('BEGIN', undefined, pin).catch(() => {});
      const result = await fn(inside);
      await connection.query('COMMIT', undefined, pin);
      this.stats.commits++;
      return result;
    } catch (error) {
      await connection.query('ROLLBACK', undefined, pin).catch(() => {});
      throw translate(error);
    } finally {
      this.transactionsInFlight--;
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.free.push(connection);
    }
  }

  async close(): Promise<void> {
    while (this.writes.length > 0 || this.groupInFlight || this.transactionsInFlight > 0 || this.scheduled) {
      await this.groupInFlight;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.closed = true;
    await Promise.all(this.all_.map((c) => c.close()));
  }

  /** Queues a single write for the next group commit. */
  private write(sql: string, params: Param[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      this.writes.push({ sql, params, resolve, reject });
      this.schedule();
    });
  }

  /** At the end of this event-loop turn, unless a group is in flight (it schedules the next). */
  private schedule(): void {
    if (this.scheduled || this.groupInFlight || this.writes.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const group = this.writes.splice(0, MAX_GROUP);
      this.groupInFlight = this.commitGroup(group).finally(() => {
        this.groupInFlight = undefined;
        this.schedule();
      });
    });
  }

  private async commitGroup(group: Write[]): Promise<void> {
    const connection = this.writer;
    if (group.length === 1) {
      // Alone: its own implicit transaction, no BEGIN / COMMIT to send.
      const [write] = group as [Write];
      await connection.query(write.sql, write.params).then(write.resolve, write.reject);
      this.stats.commits++;
      return;
    }
    const pin: Pin = {};
    const begin = connection.query('BEGIN', undefined, pin);
    const results = group.map((w) => connection.query(w.sql, w.params, pin));
    const commit = connection.query('COMMIT', undefined, pin);
    const settled = await Promise.allSettled([begin, ...results, commit]);
    const failed = settled.some((r) => r.status === 'rejected');
    if (!failed) {
      this.stats.commits++;
      for (const [i, w] of group.entries())
        w.resolve((settled[i + 1] as PromiseFulfilledResult<pg.QueryResult>).value);
      return;
    }
    const commitResult = settled.at(-1) as PromiseSettledResult<pg.QueryResult>;
    if (commitResult.status === 'rejected') {
      // The connection was lost: whether the group committed is unknown, so running it again
      // could apply it twice. Its callers get the error, as with any lost connection.
      for (const w of group) w.reject(commitResult.reason);
      return;
    }
    // A statement failed, so the COMMIT rolled the group back: nothing of it was applied.
    // Each on its own now (pipelined, each its own implicit transaction): a failure is its own.
    const alone = await Promise.allSettled(group.map((w) => connection.query(w.sql, w.params)));
    this.stats.commits += group.length;
    for (const [i, w] of group.entries()) {
      const r = alone[i] as PromiseSettledResult<pg.QueryResult>;
      if (r.status === 'fulfilled') w.resolve(r.value);
      else w.reject(r.reason);
    }
  }

  /** The driver a transaction sees: its statements run on its connection. */
  private executor(connection: Connection, pin: Pin): SqlDriver {
    const inside: SqlDriver = {
      dialect: 'postgres',
      stats: this.stats,
      all: async <T extends Row>(sql: string, params: Param[] = []) => {
        try {
          return (await connection.query(sql, params, pin)).rows as T[];
        } catch (error) {
          throw translate(error);
        }
      },
      run: async (sql: string, params: Param[] = []) => {
        try {
          return (await connection.query(sql, params, pin)).rowCount ?? 0;
        } catch (error) {
          throw translate(error);
        }
      },
      // No values: the simple protocol, which accepts several statements (migrations).
      exec: async (sql: string) => {
        await connection.query(sql, undefined, pin);
      },
      // Nested transactions join the outer one.
      transaction: (fn) => fn(inside),
      close: async () => {},
    };
    return inside;
  }
}

function translate(error: unknown): unknown {
  if (error instanceof StoreConflictError) return error;
  if ((error as { code?: string }).code === '23505') {
    return new StoreConflictError((error as Error).message, { cause: error });
  }
  return error;
}
