import { describeWithPostgres } from '../helpers/services';
import { postgresFactory } from './factories';
import { linksContract } from './links.contract';

describeWithPostgres('PostgreSQL', () => {
  linksContract('PostgreSQL', postgresFactory);
});
