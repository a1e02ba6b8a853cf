import { sqliteFactory } from './factories';
import { linksContract } from './links.contract';

linksContract('SQLite', sqliteFactory);
