/**
 * Small key-value settings (secrets, cursors): the KvRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import type { Param, SqlDriver } from './driver';
import type { KvRepo } from './types';

import { json, parse, first } from './rows';

export function sqlKvRepo(db: SqlDriver): KvRepo {
  const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async get<T>(key: string) {
      const row = await one('SELECT value, expires_at FROM kv WHERE key = ?', [key]);
      if (!row) return null;
      if (row.expires_at !== null && Number(row.expires_at) < Date.now()) return null;
      return parse<T | null>(row.value, null);
    },
    async set(key, value, ttlMs) {
      await db.run(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
        [key, json(value) ?? 'null', ttlMs === undefined ? null : Date.now() + ttlMs],
      );
    },
    async add(key, value, ttlMs) {
      const now = Date.now();
      const changed = await db.run(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at < ?',
        [key, json(value) ?? 'null', ttlMs === undefined ? null : now + ttlMs, now],
      );
      return changed > 0;
    },
    async delete(key) {
      await db.run('DELETE FROM kv WHERE key = ?', [key]);
    },
  };
}
