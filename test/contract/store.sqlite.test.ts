import { sqliteFactory } from './factories';
import { storeContract } from './store.contract';

storeContract('SQLite', sqliteFactory);
