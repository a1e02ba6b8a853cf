/**
 * SQL pieces the analytics share, written once for both dialects: JSON fields of the
 * stored TEXT columns, and nearest-rank percentiles by window functions (SQLite has no
 * percentile_cont, and one definition on both stores keeps their answers identical).
 *
 * @module
 */
import type { SqlDriver } from '../store/driver';

type Dialect = SqlDriver['dialect'];

/** A JSON text field of a TEXT column holding JSON (`null` when missing or JSON null). */
export function jsonText(dialect: Dialect, column: string, ...path: string[]): string {
  if (dialect === 'sqlite') return `json_extract(${column}, '$.${path.join('.')}')`;
  const head = path.slice(0, -1).map((p) => ` -> '${p}'`);
  return `(${column}::json${head.join('')} ->> '${path[path.length - 1]}')`;
}

/** A JSON number field, as a double. */
export function jsonNumber(dialect: Dialect, column: string, ...path: string[]): string {
  return dialect === 'sqlite'
    ? `CAST(${jsonText(dialect, column, ...path)} AS REAL)`
    : `CAST(${jsonText(dialect, column, ...path)} AS DOUBLE PRECISION)`;
}

/**
 * p50 and p90 (nearest rank: the smallest value with at least p% of the values at or below
 * it) of `values` (a query with columns `g` — the group — and `v`), per group. Integer
 * arithmetic only, so both dialects agree to the millisecond.
 */
export function percentilesSql(values: string): string {
  return `SELECT g, COUNT(*) AS n,
    MIN(CASE WHEN rn * 100 >= cnt * 50 THEN v END) AS p50,
    MIN(CASE WHEN rn * 100 >= cnt * 90 THEN v END) AS p90
  FROM (
    SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY g) AS cnt
    FROM (${values}) vals
  ) ranked
  GROUP BY g`;
}
