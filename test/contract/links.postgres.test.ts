import { openStore } from '../../src/store';
import { describeWithPostgres, freshPostgresSchema } from '../helpers/services';
import { linksContract } from './links.contract';

describeWithPostgres('PostgreSQL', () => {
  linksContract('PostgreSQL', () => {
    let drop: (() => Promise<void>) | undefined;
    return {
      async open() {
        const schema = await freshPostgresSchema();
        drop = schema.drop;
        return openStore({ databaseUrl: schema.url });
      },
      cleanup: async () => drop?.(),
    };
  });
});
