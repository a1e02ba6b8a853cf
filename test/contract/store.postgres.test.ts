import { openStore } from '../../src/store';
import { describeWithPostgres, freshPostgresSchema } from '../helpers/services';
import { storeContract } from './store.contract';

describeWithPostgres('PostgreSQL', () => {
  storeContract('PostgreSQL', () => {
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
