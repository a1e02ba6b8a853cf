/**
 * SQLite's WAL checkpoints run on a background thread once a store writes steadily
 * (src/store/sqlite-checkpointer.ts): the WAL stays small, nothing is lost, and closing
 * the store stops the thread and folds the WAL back into the database file.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../../src/store/sqlite-checkpointer';
import { SqliteDriver } from '../../src/store/sqlite-driver';
import { tempDir } from '../helpers/bot';
import { until } from '../helpers/until';

describe('SQLite background checkpoints', () => {
  let dir: string;
  let closeLater: SqliteDriver | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await closeLater?.close().catch(() => {});
    closeLater = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('take over from commit-time checkpoints, keep the WAL small, and lose nothing', async () => {
    const file = path.join(dir, 'switchboard.db');
    const driver = new SqliteDriver(file);
    closeLater = driver;
    await driver.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    expect(driver.backgroundCheckpointer).toBeUndefined();
    const body = 'x'.repeat(2000);
    let rows = 0;
    // Separate commits (each awaited), as a steady stream of messages makes them.
    const writeCommits = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await driver.transaction(async (tx) => {
          for (let j = 0; j < 10; j++) await tx.run('INSERT INTO t (body) VALUES (?)', [body]);
        });
        rows += 10;
      }
    };
    await writeCommits(120);
    const checkpointer = driver.backgroundCheckpointer;
    expect(checkpointer).toBeDefined();
    // The main connection checkpoints only as a backstop now.
    expect((await driver.all('PRAGMA wal_autocheckpoint'))[0]).toEqual({ wal_autocheckpoint: 16_000 });
    await until(
      () =>
        (checkpointer?.lastResult?.log ?? -1) > 0 &&
        checkpointer?.lastResult?.checkpointed === checkpointer?.lastResult?.log,
      10_000,
      'a complete background checkpoint',
    );

    // ~12 MB more in small commits; once the checkpoints caught up, the next commit starts
    // the WAL again from its beginning instead of growing it.
    await writeCommits(600);
    const caughtUp = () => checkpointer?.lastResult?.checkpointed === checkpointer?.lastResult?.log;
    const nextCheckpoint = async () => {
      const before = checkpointer?.lastResult;
      await until(() => checkpointer?.lastResult !== before, 10_000, 'the next checkpoint');
    };
    // A tick's message can be older than the last writes: take the state a few ticks later.
    for (let i = 0; i < 3 || (!caughtUp() && i < 20); i++) await nextCheckpoint();
    expect(caughtUp()).toBe(true);
    await writeCommits(1);
    await until(
      () => (checkpointer?.lastResult?.log ?? Number.POSITIVE_INFINITY) < 20,
      10_000,
      'the WAL to start again',
    );

    await driver.close();
    closeLater = undefined;
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: rows });
    reopened.close();
  });

  test('when the thread fails, commits checkpoint again and the failure is reported', async () => {
    const warnings: string[] = [];
    const file = path.join(dir, 'switchboard.db');
    const driver = new SqliteDriver(file, (message, error) => warnings.push(`${message}: ${error.message}`));
    closeLater = driver;
    await driver.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    for (let i = 0; i < 100; i++) await driver.run('INSERT INTO t DEFAULT VALUES');
    const checkpointer = driver.backgroundCheckpointer;
    expect((await driver.all('PRAGMA wal_autocheckpoint'))[0]).toEqual({ wal_autocheckpoint: 16_000 });
    // What a worker thread throws arrives cloned: a SqliteError as a plain object.
    (checkpointer as unknown as { worker: import('node:worker_threads').Worker }).worker.emit('error', {
      code: 'SQLITE_IOERR',
    });
    expect(driver.backgroundCheckpointer).toBeUndefined();
    expect((await driver.all('PRAGMA wal_autocheckpoint'))[0]).toEqual({ wal_autocheckpoint: 1000 });
    expect(warnings).toEqual([expect.stringMatching(/background WAL checkpoints stopped.*SQLITE_IOERR/)]);
    await driver.run('INSERT INTO t DEFAULT VALUES');
    await driver.close();
    closeLater = undefined;
  });

  test('a thread that cannot open the database reports it and closes', async () => {
    const failures: Error[] = [];
    const checkpointer = new BackgroundCheckpointer(path.join(dir, 'missing', 'x.db'), (error) =>
      failures.push(error),
    );
    await until(() => failures.length > 0, 10_000, 'the failure');
    expect(failures[0]).toBeInstanceOf(Error);
    await checkpointer.close();
  });

  test('an in-memory store never starts one', async () => {
    const driver = new SqliteDriver(':memory:');
    await driver.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    for (let i = 0; i < 120; i++) await driver.run('INSERT INTO t DEFAULT VALUES');
    expect(driver.backgroundCheckpointer).toBeUndefined();
    await driver.close();
  });
});
