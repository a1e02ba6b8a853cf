/**
 * The one {@link Store} implementation, over a {@link SqlDriver}: one repository per concern
 * (`customer-repo.ts`, `identity-repo.ts`, `conversation-repo.ts`, `message-repo.ts`,
 * `event-repo.ts`, `kv-repo.ts`, `link-repo.ts`), the same SQL on SQLite and PostgreSQL, so the
 * two cannot drift apart; this class composes them and owns transactions and migrations.
 *
 * @module
 */
import type { ChannelId } from '../model';
import type { SqlDriver } from './driver';
import { sqlConversationRepo } from './conversation-repo';
import { sqlCustomerRepo } from './customer-repo';
import { sqlEventRepo } from './event-repo';
import { sqlIdentityRepo } from './identity-repo';
import { sqlKvRepo } from './kv-repo';
import { sqlLinkRepo } from './link-repo';
import { sqlMessageRepo } from './message-repo';
import { indexPendingMessages } from './rows';
import { migrations } from './migrations';
import type {
  ConversationRepo,
  CustomerRepo,
  EventRepo,
  IdentityRepo,
  KvRepo,
  LinkRepo,
  MessageRepo,
  Store,
  StoreTx,
} from './types';

class Repos implements StoreTx {
  readonly links: LinkRepo;
  readonly customers: CustomerRepo;
  readonly identities: IdentityRepo;
  readonly conversations: ConversationRepo;
  readonly messages: MessageRepo;
  readonly events: EventRepo;
  readonly kv: KvRepo;

  constructor(db: SqlDriver) {
    this.links = sqlLinkRepo(db);
    this.customers = sqlCustomerRepo(db);
    this.identities = sqlIdentityRepo(db);
    this.messages = sqlMessageRepo(db);
    this.conversations = sqlConversationRepo(db, this.messages);
    this.events = sqlEventRepo(db);
    this.kv = sqlKvRepo(db);
  }
}

/** A {@link Store} over SQLite or PostgreSQL. Build one with {@link openStore}. */
export class SqlStore extends Repos implements Store {
  readonly kind: 'sqlite' | 'postgres';
  private indexer: NodeJS.Timeout | undefined;
  private readonly txRepos = new WeakMap<SqlDriver, Repos>();

  constructor(private readonly db: SqlDriver) {
    super(db);
    this.kind = db.dialect;
    if (db.dialect === 'sqlite') {
      // Keeps the full-text backlog small between searches, in bounded chunks.
      this.indexer = setInterval(() => {
        db.transaction((tx) => indexPendingMessages(tx, 2000)).catch(() => {
          // Retried on the next tick, and every search indexes what is pending anyway.
        });
      }, 1000);
      this.indexer.unref();
    }
  }

  /**
   * The SQL driver underneath, for framework modules that keep their own tables (the
   * handoff queue). Not part of the {@link Store} interface.
   */
  get driver(): SqlDriver {
    return this.db;
  }

  get stats(): SqlDriver['stats'] {
    return this.db.stats;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(this.reposFor(tx)));
  }

  /** The repositories bound to a transaction's driver (SQLite reuses one driver for all). */
  private reposFor(tx: SqlDriver): Repos {
    let repos = this.txRepos.get(tx);
    if (!repos) {
      repos = new Repos(tx);
      this.txRepos.set(tx, repos);
    }
    return repos;
  }

  async migrate(): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Several processes may start at once on one PostgreSQL: one migrates, the others wait.
      if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(7370627)');
      await tx.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set((await tx.all('SELECT id FROM schema_migrations')).map((r) => Number(r.id)));
      for (const migration of migrations) {
        if (applied.has(migration.id)) continue;
        await tx.exec(tx.dialect === 'sqlite' ? migration.sqlite : migration.postgres);
        await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
          migration.id,
          migration.name,
          Date.now(),
        ]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS ok');
  }

  close(): Promise<void> {
    if (this.indexer) clearInterval(this.indexer);
    return this.db.close();
  }
}

export type { ChannelId };
