import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type DriverStats, type Param, type Row, type SqlDriver, StoreConflictError } from './driver';
import { BACKSTOP_PAGES, BackgroundCheckpointer } from './sqlite-checkpointer';

type Db = InstanceType<typeof Database>;
type Statement = Database.Statement<unknown[]>;

interface Job {
  fn: (tx: SqlDriver) => Promise<unknown>;
  /** One statement: atomic by itself in SQLite, so it needs no savepoint. */
  single: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Transactions committed together at most; bounds how long one batch holds the loop. */
const MAX_BATCH = 256;
/**
 * Commits after which WAL checkpoints move to a background thread: a store that writes
 * less than this never needs one (nor pays for starting it).
 */
const CHECKPOINTER_AFTER_COMMITS = 100;

/**
 * better-sqlite3 in WAL mode, with group commit.
 *
 * A commit is the expensive part of a small transaction (it appends the dirty pages of
 * the table, its indexes and the full-text index to the WAL). So transactions requested
 * in the same event-loop turn run one after another inside a single SQLite transaction,
 * each in its own SAVEPOINT — one that throws is rolled back alone — and the batch
 * commits once. Every caller's promise settles only after that COMMIT, so "resolved"
 * still means "durable", and each caller's work is still all-or-nothing.
 *
 * Callers may `await` inside a transaction, but only on the store: network I/O there
 * would hold the whole batch.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  /** In-process: no round trips; savepoints, BEGIN and COMMIT count as statements. */
  readonly stats: DriverStats = { statements: 0, roundTrips: 0, commits: 0 };
  private readonly db: Db;
  private readonly statements = new Map<string, Statement>();
  private readonly queue: Job[] = [];
  private scheduled = false;
  private batchOpen = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly inside: SqlDriver;
  private readonly savepoint: { begin: Statement; release: Statement; rollback: Statement };
  private commits = 0;
  private checkpointer: BackgroundCheckpointer | undefined;
  private closing = false;

  constructor(
    private readonly file: string,
    /** Told when background checkpoints stop and commits checkpoint again (a log line). */
    private readonly warn: (message: string, error: Error) => void = () => {},
  ) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only power loss can drop the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // After a burst has grown the WAL, its file is cut back to this when it restarts.
    this.db.pragma('journal_size_limit = 67108864');
    this.savepoint = {
      begin: this.db.prepare('SAVEPOINT job'),
      release: this.db.prepare('RELEASE job'),
      rollback: this.db.prepare('ROLLBACK TO job'),
    };
    this.inside = {
      dialect: 'sqlite',
      stats: this.stats,
      all: async <T extends Row>(sql: string, params: Param[] = []) => this.allNow<T>(sql, params),
      run: async (sql: string, params: Param[] = []) => this.runNow(sql, params),
      exec: async (sql: string) => {
        this.stats.statements++;
        this.db.exec(sql);
      },
      // Nested transactions join the outer one.
      transaction: (fn) => fn(this.inside),
      close: async () => {},
    };
  }

  async all<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    // A read outside any batch runs at once; writes (and anything while a batch is open)
    // join the next batch.
    if (!this.batchOpen && this.prepare(sql).readonly) return this.allNow<T>(sql, params);
    return this.enqueue((tx) => tx.all<T>(sql, params), true);
  }

  run(sql: string, params: Param[] = []): Promise<number> {
    return this.enqueue((tx) => tx.run(sql, params), true);
  }

  exec(sql: string): Promise<void> {
    return this.enqueue((tx) => tx.exec(sql), false);
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.enqueue(fn, false);
  }

  private enqueue<T>(fn: (tx: SqlDriver) => Promise<T>, single: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, single, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    // The thread first: then the last drain and the close below happen in one turn, so no
    // batch can start in between.
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    while (this.queue.length > 0 || this.batchOpen || this.scheduled) await this.idle;
    // The last connection to close checkpoints the WAL and removes it.
    this.db.close();
  }

  /** The background checkpointer, once started (tests, diagnostics). */
  get backgroundCheckpointer(): BackgroundCheckpointer | undefined {
    return this.checkpointer;
  }

  /** See {@link BackgroundCheckpointer}: moves WAL checkpoints off this thread. */
  private startCheckpointer(): void {
    if (this.file === ':memory:' || this.checkpointer || this.closing) return;
    try {
      this.checkpointer = new BackgroundCheckpointer(this.file, (error) => {
        this.warn('background WAL checkpoints stopped; commits checkpoint again', error);
        // Checkpoint on commit again, as SQLite does by default.
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        const failed = this.checkpointer;
        this.checkpointer = undefined;
        void failed?.close().catch(() => {});
      });
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    } catch {
      // No worker threads here: SQLite's own checkpoints on commit go on as before.
    }
  }

  private schedule(): void {
    if (this.scheduled || this.batchOpen) return;
    this.scheduled = true;
    this.idle = new Promise((resolve) => {
      this.markIdle = resolve;
    });
    setImmediate(() => void this.runBatch());
  }

  private async runBatch(): Promise<void> {
    this.scheduled = false;
    this.batchOpen = true;
    const settled: { job: Job; ok: boolean; value: unknown }[] = [];
    try {
      this.stats.statements++;
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const job of this.queue.splice(0)) job.reject(error);
      this.finishBatch();
      return;
    }
    while (this.queue.length > 0 && settled.length < MAX_BATCH) {
      const job = this.queue.shift() as Job;
      if (!job.single) {
        this.stats.statements++;
        this.savepoint.begin.run();
      }
      try {
        const value = await job.fn(this.inside);
        if (!job.single) {
          this.stats.statements++;
          this.savepoint.release.run();
        }
        settled.push({ job, ok: true, value });
      } catch (error) {
        if (!job.single) {
          this.stats.statements += 2;
          this.savepoint.rollback.run();
          this.savepoint.release.run();
        }
        settled.push({ job, ok: false, value: error });
      }
    }
    try {
      this.stats.statements++;
      this.db.exec('COMMIT');
      this.stats.commits++;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const { job } of settled) job.reject(error);
      this.finishBatch();
      return;
    }
    if (++this.commits === CHECKPOINTER_AFTER_COMMITS) this.startCheckpointer();
    this.finishBatch();
    for (const { job, ok, value } of settled) {
      if (ok) job.resolve(value);
      else job.reject(value);
    }
  }

  private finishBatch(): void {
    this.batchOpen = false;
    if (this.queue.length > 0) this.schedule();
    else this.markIdle();
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private allNow<T>(sql: string, params: Param[]): T[] {
    this.stats.statements++;
    try {
      const statement = this.prepare(sql);
      if (statement.reader) return statement.all(...params) as T[];
      statement.run(...params);
      return [];
    } catch (error) {
      throw translate(error);
    }
  }

  private runNow(sql: string, params: Param[]): number {
    this.stats.statements++;
    try {
      return this.prepare(sql).run(...params).changes;
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new StoreConflictError((error as Error).message, { cause: error });
  }
  return error;
}
