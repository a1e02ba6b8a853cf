import { describeWithPostgres } from '../helpers/services';
import { postgresFactory } from './factories';
import { storeContract } from './store.contract';

describeWithPostgres('PostgreSQL', () => {
  storeContract('PostgreSQL', postgresFactory);
});
