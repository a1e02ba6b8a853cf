import fs from 'node:fs';
import { openHandoffQueue } from '../../src/handoff';
import { openStore } from '../../src/store';
import { tempDir } from '../helpers/bot';
import { queueContract } from './queue.contract';

// Each instance opens its own connection to the same database file: two "processes".
queueContract('SQLite (embedded)', () => {
  const dir = tempDir();
  return {
    async open(config, clock) {
      const store = await openStore({ dataDir: dir });
      const queue = await openHandoffQueue({ config, store, clock });
      return {
        queue,
        async close() {
          await queue.close();
          await store.close();
        },
      };
    },
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
