import fs from 'node:fs';
import { openStore } from '../../src/store';
import { tempDir } from '../helpers/bot';
import { storeContract } from './store.contract';

storeContract('SQLite', () => {
  const dir = tempDir();
  return {
    open: () => openStore({ dataDir: dir }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
