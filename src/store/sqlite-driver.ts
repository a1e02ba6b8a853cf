import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Param, type Row, type SqlDriver, StoreConflictError } from './driver';

type Db = InstanceType<typeof Database>;
type Statement = Database.Statement<unknown[]>;

/**
 * better-sqlite3 in WAL mode. The library is synchronous; transactions here may
 * `await` between statements, so they are serialised with a promise chain and every
 * statement outside a transaction waits while one is open (otherwise it would run
 * inside it, on the same connection).
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: Db;
  private readonly statements = new Map<string, Statement>();
  private tail: Promise<unknown> = Promise.resolve();
  private openTransactions = 0;
  private readonly inside: SqlDriver;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash; only power loss can drop the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.inside = {
      dialect: 'sqlite',
      all: async <T extends Row>(sql: string, params: Param[] = []) => this.allNow<T>(sql, params),
      run: async (sql: string, params: Param[] = []) => this.runNow(sql, params),
      exec: async (sql: string) => {
        this.db.exec(sql);
      },
      // Nested transactions join the outer one.
      transaction: (fn) => fn(this.inside),
      close: async () => {},
    };
  }

  async all<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    if (this.openTransactions === 0) return this.allNow<T>(sql, params);
    return this.transaction((tx) => tx.all<T>(sql, params));
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    if (this.openTransactions === 0) return this.runNow(sql, params);
    return this.transaction((tx) => tx.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    this.openTransactions++;
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.inside);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.then(
      () => this.openTransactions--,
      () => this.openTransactions--,
    );
    return result;
  }

  async exec(sql: string): Promise<void> {
    if (this.openTransactions === 0) this.db.exec(sql);
    else await this.transaction((tx) => tx.exec(sql));
  }

  async close(): Promise<void> {
    await this.tail;
    this.db.close();
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
