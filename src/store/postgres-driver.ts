import pg from 'pg';
import { type Param, type Row, type SqlDriver, StoreConflictError } from './driver';

// BIGINT columns hold epoch milliseconds and sequence numbers: well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

const placeholders = new Map<string, string>();

/** Rewrites `?` placeholders to `$1…$n` (our SQL never has `?` inside string literals). */
function toPg(sql: string): string {
  let converted = placeholders.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${++n}`);
    placeholders.set(sql, converted);
  }
  return converted;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

class PgExecutor {
  constructor(private readonly target: Queryable) {}

  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    try {
      return (await this.target.query(toPg(sql), params)).rows as T[];
    } catch (error) {
      throw translate(error);
    }
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    try {
      return (await this.target.query(toPg(sql), params)).rowCount ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }

  async exec(sql: string): Promise<void> {
    // No values: node-postgres uses the simple protocol, which accepts several statements.
    await this.target.query(sql);
  }
}

/** node-postgres with a pool; a transaction holds one pooled client from BEGIN to COMMIT. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly executor: PgExecutor;

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    this.executor = new PgExecutor(this.pool);
  }

  all<T extends Row = Row>(sql: string, params?: Param[]): Promise<T[]> {
    return this.executor.all<T>(sql, params);
  }

  run(sql: string, params?: Param[]): Promise<number> {
    return this.executor.run(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.executor.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const executor = new PgExecutor(client);
    const inside: SqlDriver = {
      dialect: 'postgres',
      all: (sql, params) => executor.all(sql, params),
      run: (sql, params) => executor.run(sql, params),
      exec: (sql) => executor.exec(sql),
      transaction: (inner) => inner(inside),
      close: async () => {},
    };
    try {
      await client.query('BEGIN');
      const result = await fn(inside);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function translate(error: unknown): unknown {
  if ((error as { code?: string }).code === '23505') {
    return new StoreConflictError((error as Error).message, { cause: error });
  }
  return error;
}
