/**
 * Conversations (status, leases, flow state): the ConversationRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import type { Conversation } from '../model';
import { newId } from '../util/ids';
import { type Param, type SqlDriver, StoreConflictError } from './driver';
import { searchConversations } from './search';
import type { ConversationRepo, MessageRepo } from './types';

import {
  json,
  toConversation,
  toMessage,
  indexPendingMessages,
  MESSAGE_FIELDS,
  prefixed,
  NEXT_UNPROCESSED,
  first,
} from './rows';

export function sqlConversationRepo(db: SqlDriver, messages: MessageRepo): ConversationRepo {
  const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async create(init) {
      const now = Date.now();
      const conversation: Conversation = {
        id: newId('cnv'),
        customerId: init.customerId,
        status: 'bot',
        flow: null,
        handoff: null,
        lastChannel: init.lastChannel,
        lastIdentityId: init.lastIdentityId,
        data: {},
        createdAt: now,
        updatedAt: now,
      };
      await db.run(
        `INSERT INTO conversations (id, customer_id, status, flow, handoff, last_channel, last_identity_id, data, created_at, updated_at)
           VALUES (?, ?, ?, NULL, NULL, ?, ?, '{}', ?, ?)`,
        [conversation.id, conversation.customerId, 'bot', init.lastChannel, init.lastIdentityId, now, now],
      );
      return conversation;
    },
    async get(id) {
      const row = await one('SELECT * FROM conversations WHERE id = ?', [id]);
      return row ? toConversation(row) : null;
    },
    async findOpen(customerId) {
      const row = await one("SELECT * FROM conversations WHERE customer_id = ? AND status <> 'closed'", [
        customerId,
      ]);
      return row ? toConversation(row) : null;
    },
    async update(id, patch) {
      const columns: [string, Param][] = [];
      if (patch.status !== undefined) columns.push(['status', patch.status]);
      if (patch.flow !== undefined) columns.push(['flow', json(patch.flow)]);
      if (patch.handoff !== undefined) columns.push(['handoff', json(patch.handoff)]);
      if (patch.lastChannel !== undefined) columns.push(['last_channel', patch.lastChannel]);
      if (patch.lastIdentityId !== undefined) columns.push(['last_identity_id', patch.lastIdentityId]);
      if (patch.data !== undefined) columns.push(['data', json(patch.data) ?? '{}']);
      if (patch.closedAt !== undefined) columns.push(['closed_at', patch.closedAt]);
      columns.push(['updated_at', Date.now()]);
      const rows = await db.all(
        `UPDATE conversations SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ? RETURNING *`,
        [...columns.map(([, v]) => v), id],
      );
      const row = first(rows);
      if (!row) throw new StoreConflictError(`conversation ${id} does not exist`);
      return toConversation(row);
    },
    async listWithUnprocessed(limit) {
      const rows = await db.all(
        `SELECT conversation_id, MIN(created_at) AS oldest FROM messages
           WHERE direction = 'in' AND processed_at IS NULL
           GROUP BY conversation_id ORDER BY oldest LIMIT ?`,
        [limit],
      );
      return rows.map((r) => String(r.conversation_id));
    },
    async tryLease(id, owner, ttlMs, now = Date.now()) {
      const changed = await db.run(
        `UPDATE conversations SET lease_owner = ?, lease_until = ?
           WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)`,
        [owner, now + ttlMs, id, owner, now],
      );
      return changed === 1;
    },
    async releaseLease(id, owner) {
      await db.run(
        'UPDATE conversations SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
        [id, owner],
      );
    },
    async claimNext(id, lease) {
      if (!lease) return { leased: true, next: await messages.nextUnprocessed(id) };
      const now = lease.now ?? Date.now();
      const leaseParams: Param[] = [lease.owner, now + lease.ttlMs, id, lease.owner, now];
      if (db.dialect === 'postgres') {
        // One statement, one round trip: the lease, then (only if taken) the next message.
        const rows = await db.all(
          `WITH lease AS (
               UPDATE conversations SET lease_owner = ?, lease_until = ?
               WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) RETURNING id)
             SELECT lease.id AS leased_id, ${prefixed('m')} FROM lease LEFT JOIN LATERAL (
               SELECT ${MESSAGE_FIELDS} FROM messages WHERE conversation_id = lease.id AND direction = 'in' AND processed_at IS NULL
               ORDER BY seq LIMIT 1) m ON true`,
          leaseParams,
        );
        const row = rows[0];
        if (!row) return { leased: false, next: null };
        return { leased: true, next: row.id === null || row.id === undefined ? null : toMessage(row) };
      }
      return db.transaction(async (tx) => {
        const changed = await tx.run(
          `UPDATE conversations SET lease_owner = ?, lease_until = ?
             WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)`,
          leaseParams,
        );
        if (changed !== 1) return { leased: false, next: null };
        const row = first(await tx.all(NEXT_UNPROCESSED, [id]));
        return { leased: true, next: row ? toMessage(row) : null };
      });
    },
    async listByStatus(status, limit) {
      const rows = await db.all('SELECT * FROM conversations WHERE status = ? ORDER BY updated_at LIMIT ?', [
        status,
        limit,
      ]);
      return rows.map(toConversation);
    },
    search(query) {
      return searchConversations(db, query, (tx) => indexPendingMessages(tx));
    },
  };
}
