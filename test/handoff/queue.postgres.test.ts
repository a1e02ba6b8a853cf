import { openHandoffQueue } from '../../src/handoff';
import { openStore } from '../../src/store';
import { describeWithPostgres, freshPostgresSchema } from '../helpers/services';
import { queueContract } from './queue.contract';

describeWithPostgres('PostgreSQL', () => {
  queueContract('PostgreSQL (embedded)', () => {
    let schema: Promise<{ url: string; drop(): Promise<void> }> | undefined;
    return {
      async open(config, clock) {
        schema ??= freshPostgresSchema();
        const store = await openStore({ databaseUrl: (await schema).url });
        const queue = await openHandoffQueue({ config, store, clock });
        return {
          queue,
          async close() {
            await queue.close();
            await store.close();
          },
        };
      },
      cleanup: async () => (await schema)?.drop(),
    };
  });
});
