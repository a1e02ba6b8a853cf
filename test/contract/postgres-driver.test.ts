/**
 * The PostgreSQL driver when a connection dies in the middle of a transaction (a terminated
 * backend, a server restart): the transaction must fail, never "commit" on the fresh
 * connection the driver opens afterwards. A COMMIT sent there succeeds with nothing to
 * commit, so the caller would be told its work is durable while the server rolled it back:
 * a web message answered 202 and then lost (found by test/core/scale-faults.test.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { isStoreUnavailable } from '../../src/store';
import { PostgresDriver } from '../../src/store/postgres-driver';
import { describeWithPostgres, freshPostgresSchema, postgresUrl } from '../helpers/services';
import { until } from '../helpers/until';

describeWithPostgres('PostgreSQL driver: a connection lost inside a transaction', () => {
  let schema: { url: string; drop(): Promise<void> };
  let driver: PostgresDriver;
  let admin: pg.Client;
  const application = `sb_driver_${randomBytes(4).toString('hex')}`;

  const backends = async () =>
    Number(
      (
        await admin.query('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [
          application,
        ])
      ).rows[0].n,
    );
  const terminateAll = async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
      application,
    ]);
    await until(async () => (await backends()) === 0, 10_000, 'the backends to be gone');
    // The FATAL notice is on the driver's sockets; let the driver read it.
    await new Promise((resolve) => setTimeout(resolve, 100));
  };

  beforeAll(async () => {
    schema = await freshPostgresSchema();
    const url = new URL(schema.url);
    url.searchParams.set('application_name', application);
    driver = new PostgresDriver(url.toString());
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await driver.exec('CREATE TABLE notes (id integer PRIMARY KEY)');
  });

  afterAll(async () => {
    await driver?.close();
    await admin?.end();
    await schema?.drop();
  });

  test('the COMMIT fails (as "store unavailable") and nothing is reported stored that is not', async () => {
    const outcome = await driver
      .transaction(async (tx) => {
        await tx.run('INSERT INTO notes (id) VALUES (?)', [1]);
        await terminateAll();
        return 'committed';
      })
      .catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(Error);
    expect(isStoreUnavailable(outcome)).toBe(true);
    // The server rolled the insert back, as the caller was told.
    expect(await driver.all('SELECT id FROM notes')).toEqual([]);
  });

  test('a statement after the loss, inside the same transaction, fails too (no autocommit elsewhere)', async () => {
    const outcome = await driver
      .transaction(async (tx) => {
        await tx.run('INSERT INTO notes (id) VALUES (?)', [2]);
        await terminateAll();
        await tx.run('INSERT INTO notes (id) VALUES (?)', [3]);
        return 'committed';
      })
      .catch((error: unknown) => error);
    expect(isStoreUnavailable(outcome)).toBe(true);
    expect(await driver.all('SELECT id FROM notes')).toEqual([]);
  });

  test('the next transaction runs on a new connection', async () => {
    await driver.transaction(async (tx) => {
      await tx.run('INSERT INTO notes (id) VALUES (?)', [4]);
    });
    expect(await driver.all('SELECT id FROM notes')).toEqual([{ id: 4 }]);
  });
});
