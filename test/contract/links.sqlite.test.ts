import fs from 'node:fs';
import { openStore } from '../../src/store';
import { tempDir } from '../helpers/bot';
import { linksContract } from './links.contract';

linksContract('SQLite', () => {
  const dir = tempDir();
  return {
    open: () => openStore({ dataDir: dir }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});
