/** An in-memory {@link KvRepo} for unit tests (no expiry). */
import type { KvRepo } from '../../src/store';

export function memoryKv(): KvRepo {
  const values = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => (values.has(key) ? (values.get(key) as T) : null),
    set: async (key, value) => {
      values.set(key, value);
    },
    add: async (key, value) => {
      if (values.has(key)) return false;
      values.set(key, value);
      return true;
    },
    delete: async (key) => {
      values.delete(key);
    },
  };
}
