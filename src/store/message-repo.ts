/**
 * Messages (append once, delivery, processing): the MessageRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import { type Param, type SqlDriver, StoreConflictError } from './driver';
import type { AppendResult, DeliveryUpdate, MessageRepo, NewMessage, SearchQuery } from './types';

import {
  json,
  toMessage,
  indexPendingMessages,
  MESSAGE_FIELDS,
  prefixed,
  NEXT_UNPROCESSED,
  MESSAGE_COLUMNS,
  newMessage,
  messageValues,
  first,
} from './rows';

export function sqlMessageRepo(db: SqlDriver): MessageRepo {
  const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async append(init: NewMessage): Promise<AppendResult> {
      const lookUpInbound = init.direction === 'in' && init.platformMessageId && !init.knownNew;
      if (db.dialect === 'postgres' && !(lookUpInbound && !init.idempotencyKey)) {
        // One statement, one round trip: the seq bump (it locks the conversation row, so seq
        // order is commit order) feeds the INSERT; an existing idempotency key stops both.
        const createdAt = init.createdAt ?? Date.now();
        const guard = init.idempotencyKey
          ? ' AND NOT EXISTS (SELECT 1 FROM messages WHERE idempotency_key = ?)'
          : '';
        const message = newMessage(init, 0, createdAt);
        const rows = await db.all(
          `WITH s AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ?${guard} RETURNING last_seq)
             INSERT INTO messages (${MESSAGE_COLUMNS})
             SELECT ?, ?, ?, s.last_seq, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?::bigint, ?::bigint FROM s
             RETURNING seq`,
          [
            init.conversationId,
            ...(init.idempotencyKey ? [init.idempotencyKey] : []),
            message.id,
            init.conversationId,
            init.customerId,
            ...messageValues(init, createdAt),
          ],
        );
        const inserted = rows[0];
        if (inserted) return { message: { ...message, seq: Number(inserted.seq) }, created: true };
        const existing = init.idempotencyKey
          ? await one(`SELECT ${MESSAGE_FIELDS} FROM messages WHERE idempotency_key = ?`, [
              init.idempotencyKey,
            ])
          : null;
        if (existing) return { message: toMessage(existing), created: false };
        throw new StoreConflictError(`conversation ${init.conversationId} does not exist`);
      }
      // The whole append is one transaction: the seq bump locks the conversation row
      // (PostgreSQL) or the database (SQLite), so seq order is commit order.
      return db.transaction(async (tx) => {
        // The inbox looks the inbound platform id up itself, in the same transaction, and
        // says so with `knownNew`; the unique index still catches a race.
        const existing = init.idempotencyKey
          ? first(
              await tx.all(`SELECT ${MESSAGE_FIELDS} FROM messages WHERE idempotency_key = ?`, [
                init.idempotencyKey,
              ]),
            )
          : lookUpInbound
            ? first(
                await tx.all(
                  `SELECT ${MESSAGE_FIELDS} FROM messages WHERE channel = ? AND platform_message_id = ? AND direction = 'in'`,
                  [init.channel, init.platformMessageId ?? null],
                ),
              )
            : null;
        if (existing) return { message: toMessage(existing), created: false };
        const seqRow = first(
          await tx.all('UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq', [
            init.conversationId,
          ]),
        );
        if (!seqRow) throw new StoreConflictError(`conversation ${init.conversationId} does not exist`);
        const createdAt = init.createdAt ?? Date.now();
        const message = newMessage(init, Number(seqRow.last_seq), createdAt);
        await tx.run(
          `INSERT INTO messages (${MESSAGE_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
          [
            message.id,
            message.conversationId,
            message.customerId,
            message.seq,
            ...messageValues(init, createdAt),
          ],
        );
        return { message, created: true };
      });
    },
    async get(id) {
      const row = await one(`SELECT ${MESSAGE_FIELDS} FROM messages WHERE id = ?`, [id]);
      return row ? toMessage(row) : null;
    },
    async findInbound(channel, platformMessageId) {
      const row = await one(
        `SELECT ${MESSAGE_FIELDS} FROM messages WHERE channel = ? AND platform_message_id = ? AND direction = 'in'`,
        [channel, platformMessageId],
      );
      return row ? toMessage(row) : null;
    },
    async findOutbound(channel, platformMessageId) {
      const row = await one(
        `SELECT ${MESSAGE_FIELDS} FROM messages WHERE channel = ? AND platform_message_id = ? AND direction = 'out'`,
        [channel, platformMessageId],
      );
      return row ? toMessage(row) : null;
    },
    async findByIdempotencyKey(idempotencyKey) {
      const row = await one(`SELECT ${MESSAGE_FIELDS} FROM messages WHERE idempotency_key = ?`, [
        idempotencyKey,
      ]);
      return row ? toMessage(row) : null;
    },
    async list(conversationId, options = {}) {
      const rows = await db.all(
        `SELECT ${MESSAGE_FIELDS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
        [conversationId, options.afterSeq ?? 0, options.limit ?? 1000],
      );
      return rows.map(toMessage);
    },
    async nextUnprocessed(conversationId) {
      const row = await one(NEXT_UNPROCESSED, [conversationId]);
      return row ? toMessage(row) : null;
    },
    async markProcessed(id, update = {}) {
      if (update.nlu !== undefined) {
        await db.run('UPDATE messages SET processed_at = ?, nlu = ? WHERE id = ?', [
          update.at ?? Date.now(),
          json(update.nlu),
          id,
        ]);
      } else {
        await db.run('UPDATE messages SET processed_at = ? WHERE id = ?', [update.at ?? Date.now(), id]);
      }
    },
    async finish(id, conversationId, update = {}) {
      const at = update.at ?? Date.now();
      const set = update.nlu !== undefined ? 'processed_at = ?, nlu = ?' : 'processed_at = ?';
      const setParams: Param[] = update.nlu !== undefined ? [at, json(update.nlu)] : [at];
      const next = `SELECT ${MESSAGE_FIELDS} FROM messages
          WHERE conversation_id = ? AND direction = 'in' AND processed_at IS NULL AND id <> ? ORDER BY seq LIMIT 1`;
      if (db.dialect === 'postgres') {
        // One statement, one round trip. Its parts share one snapshot, so the plain read of
        // last_seq is the value before this statement, while the lease UPDATE sees (and waits
        // for) an append committed meanwhile: a larger last_seq there means look again.
        const owner = update.leaseOwner;
        const rows = await db.all(
          `WITH done AS (UPDATE messages SET ${set} WHERE id = ?),
             next AS (${next})${
               owner === undefined
                 ? ''
                 : `,
             released AS (UPDATE conversations SET lease_owner = NULL, lease_until = NULL
               WHERE id = ? AND lease_owner = ? AND NOT EXISTS (SELECT 1 FROM next) RETURNING last_seq)`
             }
             SELECT ${prefixed('n')}, ${
               owner === undefined
                 ? 'NULL AS released_seq, NULL AS seen_seq'
                 : '(SELECT last_seq FROM released) AS released_seq, (SELECT last_seq FROM conversations WHERE id = ?) AS seen_seq'
             }
             FROM (SELECT 1 AS one) AS one LEFT JOIN next n ON true`,
          [
            ...setParams,
            id,
            conversationId,
            id,
            ...(owner === undefined ? [] : [conversationId, owner, conversationId]),
          ],
        );
        const row = rows[0] ?? {};
        const released = row.released_seq !== null && row.released_seq !== undefined;
        return {
          next: row.id === null || row.id === undefined ? null : toMessage(row),
          released,
          appendedMeanwhile: released && Number(row.released_seq) > Number(row.seen_seq),
        };
      }
      return db.transaction(async (tx) => {
        await tx.run(`UPDATE messages SET ${set} WHERE id = ?`, [...setParams, id]);
        const row = first(await tx.all(next, [conversationId, id]));
        if (row) return { next: toMessage(row), released: false, appendedMeanwhile: false };
        if (update.leaseOwner === undefined) return { next: null, released: false, appendedMeanwhile: false };
        const changed = await tx.run(
          'UPDATE conversations SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?',
          [conversationId, update.leaseOwner],
        );
        return { next: null, released: changed === 1, appendedMeanwhile: false };
      });
    },
    async dueForDelivery(now, limit) {
      const rows = await db.all(
        `SELECT ${prefixed('m')} FROM messages m
           WHERE m.delivery = 'pending' AND m.next_attempt_at <= ?
             AND m.seq = (SELECT MIN(p.seq) FROM messages p WHERE p.conversation_id = m.conversation_id AND p.delivery = 'pending')
           ORDER BY m.next_attempt_at, m.created_at LIMIT ?`,
        [now, limit],
      );
      return rows.map(toMessage);
    },
    async updateDelivery(id, update: DeliveryUpdate) {
      const columns: [string, Param][] = [['delivery', update.delivery]];
      if (update.platformMessageId !== undefined)
        columns.push(['platform_message_id', update.platformMessageId]);
      if (update.deliveryError !== undefined) columns.push(['delivery_error', update.deliveryError]);
      if (update.attempts !== undefined) columns.push(['attempts', update.attempts]);
      if (update.nextAttemptAt !== undefined) columns.push(['next_attempt_at', update.nextAttemptAt]);
      else if (update.delivery !== 'pending') columns.push(['next_attempt_at', null]);
      await db.run(`UPDATE messages SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`, [
        ...columns.map(([, v]) => v),
        id,
      ]);
    },
    async countPendingDelivery() {
      const row = await one("SELECT COUNT(*) AS n FROM messages WHERE delivery = 'pending'", []);
      return Number(row?.n ?? 0);
    },
    async search(query: SearchQuery) {
      const words = query.text.match(/[\p{L}\p{N}]+/gu) ?? [];
      if (words.length === 0) return [];
      const filters: string[] = [];
      const params: Param[] = [];
      let sql: string;
      if (db.dialect === 'sqlite') {
        // Quote each word so FTS5 operators in user input are taken literally.
        params.push(words.map((w) => `"${w}"`).join(' '));
        sql = `SELECT ${prefixed('m')} FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?`;
      } else {
        params.push(words.join(' '));
        sql = `SELECT ${prefixed('m')} FROM messages m WHERE m.tsv @@ plainto_tsquery('simple', ?)`;
      }
      if (query.channel) {
        filters.push('m.channel = ?');
        params.push(query.channel);
      }
      if (query.conversationId) {
        filters.push('m.conversation_id = ?');
        params.push(query.conversationId);
      }
      params.push(query.limit ?? 50);
      const rows = await db.transaction(async (tx) => {
        if (tx.dialect === 'sqlite') await indexPendingMessages(tx);
        return tx.all(
          `${sql}${filters.map((f) => ` AND ${f}`).join('')} ORDER BY m.created_at DESC LIMIT ?`,
          params,
        );
      });
      return rows.map(toMessage);
    },
  };
}
