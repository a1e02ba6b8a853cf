/**
 * Rows ↔ the model, shared by the SQL repositories: JSON columns, numbers that come back as
 * strings from PostgreSQL, and the row shapes of each table.
 *
 * @module
 */
import type { Conversation, ConversationStatus, Customer, Identity, IdentityLink, Message } from '../model';
import { newId } from '../util/ids';
import type { Param, Row, SqlDriver } from './driver';
import type { NewMessage } from './types';

export const json = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
export const parse = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : ((value as T | null | undefined) ?? fallback);
export const num = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
export const str = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);

export function toCustomer(r: Row): Customer {
  return {
    id: String(r.id),
    profile: parse(r.profile, {}),
    attributes: parse(r.attributes, {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toIdentity(r: Row): Identity {
  const identity: Identity = {
    id: String(r.id),
    channel: String(r.channel),
    externalId: String(r.external_id),
    customerId: String(r.customer_id),
    linkedBy: String(r.linked_by) as IdentityLink,
    address: parse(r.address, {}),
    createdAt: Number(r.created_at),
  };
  const byWhom = str(r.linked_by_whom);
  if (byWhom !== undefined) identity.linkedByWhom = byWhom;
  const last = num(r.last_inbound_at);
  if (last !== undefined) identity.lastInboundAt = last;
  return identity;
}

export function toConversation(r: Row): Conversation {
  const conversation: Conversation = {
    id: String(r.id),
    customerId: String(r.customer_id),
    status: String(r.status) as ConversationStatus,
    flow: parse(r.flow, null),
    handoff: parse(r.handoff, null),
    lastChannel: String(r.last_channel),
    lastIdentityId: String(r.last_identity_id),
    data: parse(r.data, {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  const closed = num(r.closed_at);
  if (closed !== undefined) conversation.closedAt = closed;
  return conversation;
}

export function toMessage(r: Row): Message {
  const message: Message = {
    id: String(r.id),
    conversationId: String(r.conversation_id),
    customerId: String(r.customer_id),
    seq: Number(r.seq),
    direction: String(r.direction) as Message['direction'],
    author: String(r.author) as Message['author'],
    channel: String(r.channel),
    content: parse(r.content, { type: 'text', text: '' }),
    text: String(r.text),
    delivery: String(r.delivery) as Message['delivery'],
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
  };
  const optional: [keyof Message, unknown][] = [
    ['authorName', str(r.author_name)],
    ['platformMessageId', str(r.platform_message_id)],
    ['address', r.address === null || r.address === undefined ? undefined : parse(r.address, {})],
    ['replyToId', str(r.reply_to_id)],
    ['nlu', r.nlu === null || r.nlu === undefined ? undefined : parse(r.nlu, undefined)],
    ['deliveryError', str(r.delivery_error)],
    ['processedAt', num(r.processed_at)],
  ];
  for (const [key, value] of optional)
    if (value !== undefined) (message as unknown as Record<string, unknown>)[key] = value;
  return message;
}

/**
 * SQLite: adds messages above the full-text watermark to the FTS5 index, at most
 * `limit` of them (all when omitted). Returns how many were indexed.
 */
export async function indexPendingMessages(tx: SqlDriver, limit?: number): Promise<number> {
  const from = Number((await tx.all('SELECT indexed_rowid AS n FROM fts_state WHERE id = 1'))[0]?.n ?? 0);
  const upTo = limit
    ? Number(
        (
          await tx.all(
            'SELECT MAX(rowid) AS n FROM (SELECT rowid FROM messages WHERE rowid > ? ORDER BY rowid LIMIT ?)',
            [from, limit],
          )
        )[0]?.n ?? from,
      )
    : Number((await tx.all('SELECT MAX(rowid) AS n FROM messages'))[0]?.n ?? from);
  if (upTo <= from) return 0;
  const indexed = await tx.run(
    'INSERT INTO messages_fts (rowid, text) SELECT rowid, text FROM messages WHERE rowid > ? AND rowid <= ?',
    [from, upTo],
  );
  await tx.run('UPDATE fts_state SET indexed_rowid = ? WHERE id = 1', [upTo]);
  return indexed;
}

/**
 * A message's columns, named: PostgreSQL's `tsv` (the search vector, as long as the text)
 * never travels back to the process.
 */
export const MESSAGE_FIELDS =
  'id, conversation_id, customer_id, seq, direction, author, author_name, channel, content, text, platform_message_id, idempotency_key, address, reply_to_id, nlu, delivery, delivery_error, attempts, next_attempt_at, processed_at, created_at';
export const prefixed = (alias: string) =>
  MESSAGE_FIELDS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

export const NEXT_UNPROCESSED = `SELECT ${MESSAGE_FIELDS} FROM messages WHERE conversation_id = ? AND direction = 'in' AND processed_at IS NULL
  ORDER BY seq LIMIT 1`;

export const MESSAGE_COLUMNS = `id, conversation_id, customer_id, seq, direction, author, author_name, channel, content, text,
  platform_message_id, idempotency_key, address, reply_to_id, nlu, delivery, attempts, next_attempt_at, created_at`;

/** A message as appended, before its seq is known. */
export function newMessage(init: NewMessage, seq: number, createdAt: number): Message {
  const message: Message = {
    id: newId('msg'),
    conversationId: init.conversationId,
    customerId: init.customerId,
    seq,
    direction: init.direction,
    author: init.author,
    channel: init.channel,
    content: init.content,
    text: init.text,
    delivery: init.delivery,
    attempts: 0,
    createdAt,
  };
  if (init.authorName !== undefined) message.authorName = init.authorName;
  if (init.platformMessageId !== undefined) message.platformMessageId = init.platformMessageId;
  if (init.address !== undefined) message.address = init.address;
  if (init.replyToId !== undefined) message.replyToId = init.replyToId;
  if (init.nlu !== undefined) message.nlu = init.nlu;
  return message;
}

/** The INSERT's values after id, conversation, customer and seq. */
export function messageValues(init: NewMessage, createdAt: number): Param[] {
  return [
    init.direction,
    init.author,
    init.authorName ?? null,
    init.channel,
    json(init.content),
    init.text,
    init.platformMessageId ?? null,
    init.idempotencyKey ?? null,
    json(init.address),
    init.replyToId ?? null,
    json(init.nlu),
    init.delivery,
    init.delivery === 'pending' ? (init.nextAttemptAt ?? createdAt) : null,
    createdAt,
  ];
}

export function first<T>(rows: T[]): T | null {
  return rows[0] ?? null;
}
