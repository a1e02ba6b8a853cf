/**
 * The one {@link Store} implementation, over a {@link SqlDriver}: the repositories are
 * the same SQL on SQLite and PostgreSQL, so the two cannot drift apart.
 *
 * @module
 */
import type {
  ChannelId,
  Conversation,
  ConversationStatus,
  Customer,
  Identity,
  IdentityLink,
  Message,
} from '../model';
import { newId } from '../util/ids';
import { type Param, type Row, type SqlDriver, StoreConflictError } from './driver';
import { sqlLinkRepo } from './link-repo';
import { migrations } from './migrations';
import { searchConversations } from './search';
import type {
  AppendResult,
  ConversationEvent,
  ConversationRepo,
  CustomerRepo,
  DeliveryUpdate,
  EventRepo,
  IdentityRepo,
  KvRepo,
  LinkRepo,
  MessageRepo,
  NewMessage,
  SearchQuery,
  Store,
  StoreTx,
} from './types';

const json = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
const parse = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : ((value as T | null | undefined) ?? fallback);
const num = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
const str = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);

function toCustomer(r: Row): Customer {
  return {
    id: String(r.id),
    profile: parse(r.profile, {}),
    attributes: parse(r.attributes, {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toIdentity(r: Row): Identity {
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

function toConversation(r: Row): Conversation {
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

function toMessage(r: Row): Message {
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
async function indexPendingMessages(tx: SqlDriver, limit?: number): Promise<number> {
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
const MESSAGE_FIELDS =
  'id, conversation_id, customer_id, seq, direction, author, author_name, channel, content, text, platform_message_id, idempotency_key, address, reply_to_id, nlu, delivery, delivery_error, attempts, next_attempt_at, processed_at, created_at';
const prefixed = (alias: string) =>
  MESSAGE_FIELDS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

const NEXT_UNPROCESSED = `SELECT ${MESSAGE_FIELDS} FROM messages WHERE conversation_id = ? AND direction = 'in' AND processed_at IS NULL
  ORDER BY seq LIMIT 1`;

const MESSAGE_COLUMNS = `id, conversation_id, customer_id, seq, direction, author, author_name, channel, content, text,
  platform_message_id, idempotency_key, address, reply_to_id, nlu, delivery, attempts, next_attempt_at, created_at`;

/** A message as appended, before its seq is known. */
function newMessage(init: NewMessage, seq: number, createdAt: number): Message {
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
function messageValues(init: NewMessage, createdAt: number): Param[] {
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

function first<T>(rows: T[]): T | null {
  return rows[0] ?? null;
}

class Repos implements StoreTx {
  readonly links: LinkRepo;
  readonly customers: CustomerRepo;
  readonly identities: IdentityRepo;
  readonly conversations: ConversationRepo;
  readonly messages: MessageRepo;
  readonly events: EventRepo;
  readonly kv: KvRepo;

  constructor(db: SqlDriver) {
    const one = async (sql: string, params: Param[]) => first(await db.all(sql, params));
    this.links = sqlLinkRepo(db);

    this.customers = {
      async create(init = {}) {
        const now = Date.now();
        const customer: Customer = {
          id: newId('cus'),
          profile: init.profile ?? {},
          attributes: init.attributes ?? {},
          createdAt: now,
          updatedAt: now,
        };
        await db.run(
          'INSERT INTO customers (id, profile, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
          [customer.id, json(customer.profile), json(customer.attributes), now, now],
        );
        return customer;
      },
      async get(id) {
        const row = await one('SELECT * FROM customers WHERE id = ?', [id]);
        return row ? toCustomer(row) : null;
      },
      async update(id, patch) {
        return db.transaction(async (tx) => {
          const row = first(await tx.all('SELECT * FROM customers WHERE id = ?', [id]));
          if (!row) throw new StoreConflictError(`customer ${id} does not exist`);
          const current = toCustomer(row);
          const next: Customer = {
            ...current,
            profile: { ...current.profile, ...patch.profile },
            attributes: { ...current.attributes, ...patch.attributes },
            updatedAt: Date.now(),
          };
          await tx.run('UPDATE customers SET profile = ?, attributes = ?, updated_at = ? WHERE id = ?', [
            json(next.profile),
            json(next.attributes),
            next.updatedAt,
            id,
          ]);
          return next;
        });
      },
    };

    this.identities = {
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
        await db.run(
          'UPDATE identities SET customer_id = ?, linked_by = ?, linked_by_whom = ? WHERE id = ?',
          [customerId, linkedBy, linkedByWhom ?? null, id],
        );
      },
      async listByCustomer(customerId) {
        const rows = await db.all('SELECT * FROM identities WHERE customer_id = ? ORDER BY created_at', [
          customerId,
        ]);
        return rows.map(toIdentity);
      },
    };

    this.conversations = {
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
        const rows = await db.all(
          'SELECT * FROM conversations WHERE status = ? ORDER BY updated_at LIMIT ?',
          [status, limit],
        );
        return rows.map(toConversation);
      },
      search(query) {
        return searchConversations(db, query, (tx) => indexPendingMessages(tx));
      },
    };

    const messages: MessageRepo = {
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
          if (update.leaseOwner === undefined)
            return { next: null, released: false, appendedMeanwhile: false };
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
    this.messages = messages;

    this.events = {
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

    this.kv = {
      async get<T>(key: string) {
        const row = await one('SELECT value, expires_at FROM kv WHERE key = ?', [key]);
        if (!row) return null;
        if (row.expires_at !== null && Number(row.expires_at) < Date.now()) return null;
        return parse<T | null>(row.value, null);
      },
      async set(key, value, ttlMs) {
        await db.run(
          'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
          [key, json(value) ?? 'null', ttlMs === undefined ? null : Date.now() + ttlMs],
        );
      },
      async add(key, value, ttlMs) {
        const now = Date.now();
        const changed = await db.run(
          'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at < ?',
          [key, json(value) ?? 'null', ttlMs === undefined ? null : now + ttlMs, now],
        );
        return changed > 0;
      },
      async delete(key) {
        await db.run('DELETE FROM kv WHERE key = ?', [key]);
      },
    };
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
