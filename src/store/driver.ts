/**
 * The thin SQL seam under {@link SqlStore}: two drivers (better-sqlite3, node-postgres)
 * that run the same `?`-placeholder SQL. Dialect differences stay in the migrations
 * and in a few clearly marked queries.
 *
 * @module
 */
import { SwitchboardError } from '../errors';

export type Param = string | number | bigint | null | Buffer;
export type Row = Record<string, unknown>;

/**
 * What a driver sent to its database since it opened (the benchmark reads these from
 * `/metrics` to report statements and round trips per message).
 */
export interface DriverStats {
  /** SQL statements executed, BEGIN / SAVEPOINT / COMMIT included. */
  statements: number;
  /** Times the process waited for the database server (0 for an embedded database). */
  roundTrips: number;
  /** Transactions committed (a group commit of several callers counts once). */
  commits: number;
}

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  readonly stats: DriverStats;
  all<T extends Row = Row>(sql: string, params?: Param[]): Promise<T[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A unique-constraint violation: the caller's write raced another one. */
export class StoreConflictError extends SwitchboardError {
  override readonly name = 'StoreConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SB_STORE_CONFLICT', message, options);
  }
}

/** Runs `fn` again (up to `attempts` times) when it fails with a write conflict. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof StoreConflictError) || i >= attempts) throw error;
    }
  }
}

/** SQLSTATE classes and codes of a database that is unreachable or going away (not of a bad statement). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Whether `error` (or what caused it) says the database could not be reached — a terminated
 * backend, a restart, a refused connection — rather than that a statement was wrong. Work that
 * failed this way is retried later, not recorded as done.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
      return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|connection (is )?closed|Client has encountered a connection error/i.test(message)
    )
      return true;
  }
  return false;
}
