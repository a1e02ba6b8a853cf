/** The two stores every contract suite runs against: a fresh SQLite folder, a fresh PostgreSQL schema. */
import fs from 'node:fs';
import { openStore } from '../../src/store';
import { tempDir } from '../helpers/bot';
import { freshPostgresSchema } from '../helpers/services';
import type { StoreFactory } from './store.contract';

export function sqliteFactory(): StoreFactory {
  const dir = tempDir();
  return {
    open: () => openStore({ dataDir: dir }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresFactory(): StoreFactory {
  let drop: (() => Promise<void>) | undefined;
  return {
    async open() {
      const schema = await freshPostgresSchema();
      drop = schema.drop;
      return openStore({ databaseUrl: schema.url });
    },
    cleanup: async () => drop?.(),
  };
}
