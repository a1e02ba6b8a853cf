/**
 * Identities (a customer on one channel): the IdentityRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import type { Identity } from '../model';
import { newId } from '../util/ids';
import type { Param, SqlDriver } from './driver';
import type { IdentityRepo } from './types';

import { json, toIdentity, first } from './rows';

export function sqlIdentityRepo(db: SqlDriver): IdentityRepo {
  const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async find(channel, externalId) {
      const row = await one('SELECT * FROM identities WHERE channel = ? AND external_id = ?', [
        channel,
        externalId,
      ]);
      return row ? toIdentity(row) : null;
    },
    async get(id) {
      const row = await one('SELECT * FROM identities WHERE id = ?', [id]);
      return row ? toIdentity(row) : null;
    },
    async create(init) {
      const identity: Identity = { id: newId('idn'), ...init, createdAt: Date.now() };
      await db.run(
        `INSERT INTO identities (id, channel, external_id, customer_id, linked_by, linked_by_whom, address, last_inbound_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          identity.id,
          identity.channel,
          identity.externalId,
          identity.customerId,
          identity.linkedBy,
          identity.linkedByWhom ?? null,
          json(identity.address),
          identity.lastInboundAt ?? null,
          identity.createdAt,
        ],
      );
      return identity;
    },
    async touch(id, update) {
      await db.run('UPDATE identities SET address = ?, last_inbound_at = ? WHERE id = ?', [
        json(update.address),
        update.lastInboundAt,
        id,
      ]);
    },
    async relink(id, customerId, linkedBy, linkedByWhom) {
      await db.run('UPDATE identities SET customer_id = ?, linked_by = ?, linked_by_whom = ? WHERE id = ?', [
        customerId,
        linkedBy,
        linkedByWhom ?? null,
        id,
      ]);
    },
    async listByCustomer(customerId) {
      const rows = await db.all('SELECT * FROM identities WHERE customer_id = ? ORDER BY created_at', [
        customerId,
      ]);
      return rows.map(toIdentity);
    },
  };
}
