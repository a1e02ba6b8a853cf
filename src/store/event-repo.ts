/**
 * Conversation events: the EventRepo over a {@link SqlDriver} (the same SQL on SQLite and PostgreSQL).
 *
 * @module
 */
import { newId } from '../util/ids';
import type { Param, SqlDriver } from './driver';
import type { ConversationEvent, EventRepo } from './types';

import { json, parse, first } from './rows';

export function sqlEventRepo(db: SqlDriver): EventRepo {
  const _one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
  return {
    async add(conversationId, type, data = {}) {
      const event: ConversationEvent = {
        id: newId('evt'),
        conversationId,
        type,
        data,
        createdAt: Date.now(),
      };
      await db.run(
        'INSERT INTO conversation_events (id, conversation_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)',
        [event.id, conversationId, type, json(data), event.createdAt],
      );
      return event;
    },
    async list(conversationId) {
      const rows = await db.all(
        'SELECT * FROM conversation_events WHERE conversation_id = ? ORDER BY created_at, id',
        [conversationId],
      );
      return rows.map((r) => ({
        id: String(r.id),
        conversationId: String(r.conversation_id),
        type: String(r.type),
        data: parse(r.data, {}),
        createdAt: Number(r.created_at),
      }));
    },
  };
}
