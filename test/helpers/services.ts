/**
 * Real services for tests. `test/global-setup.js` probes them; a suite that needs one
 * uses `describeWithPostgres` / `describeWithRedis`, which skip (with the reason printed
 * once by the setup) when the service is down outside CI.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const postgresUrl = process.env.SB_TEST_DATABASE_URL;
export const redisUrl = process.env.SB_TEST_REDIS_URL;

export const describeWithPostgres = postgresUrl ? describe : describe.skip;
export const describeWithRedis = redisUrl ? describe : describe.skip;

/**
 * A fresh PostgreSQL schema for one test suite, so suites never see each other's rows.
 * Returns a connection URL whose search_path points at it, and a cleanup function.
 */
export async function freshPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!postgresUrl) throw new Error('PostgreSQL is not available');
  const schema = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    },
  };
}
