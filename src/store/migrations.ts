import { analyticsMigration } from '../analytics/schema';
import { reviewMigration } from '../review/schema';

/**
 * Schema migrations, in order, never edited once released: add a new one instead.
 * Each has a SQLite and a PostgreSQL form; everything else in the store is shared SQL.
 * Timestamps are epoch milliseconds (BIGINT); JSON is stored as TEXT in both.
 */
export interface Migration {
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}

const core = (dialect: 'sqlite' | 'postgres') => `
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  attributes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  linked_by TEXT NOT NULL,
  linked_by_whom TEXT,
  address TEXT NOT NULL,
  last_inbound_at BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (channel, external_id)
);
CREATE INDEX identities_customer ON identities (customer_id);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  status TEXT NOT NULL,
  flow TEXT,
  handoff TEXT,
  last_channel TEXT NOT NULL,
  last_identity_id TEXT NOT NULL,
  data TEXT NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  closed_at BIGINT
);
-- The invariant that makes omnichannel real: one open conversation per customer.
CREATE UNIQUE INDEX conversations_one_open ON conversations (customer_id) WHERE status <> 'closed';
CREATE INDEX conversations_status ON conversations (status, updated_at);
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  customer_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  direction TEXT NOT NULL,
  author TEXT NOT NULL,
  author_name TEXT,
  channel TEXT NOT NULL,
  content TEXT NOT NULL,
  text TEXT NOT NULL,
  platform_message_id TEXT,
  idempotency_key TEXT,
  address TEXT,
  reply_to_id TEXT,
  nlu TEXT,
  delivery TEXT NOT NULL,
  delivery_error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  processed_at BIGINT,
  created_at BIGINT NOT NULL,
  UNIQUE (conversation_id, seq)
);
-- Platforms redeliver: the inbound dedupe key is (channel, platform message id).
CREATE UNIQUE INDEX messages_inbound_dedupe ON messages (channel, platform_message_id)
  WHERE direction = 'in' AND platform_message_id IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_outbound_platform ON messages (channel, platform_message_id)
  WHERE direction = 'out' AND platform_message_id IS NOT NULL;
CREATE INDEX messages_unprocessed ON messages (conversation_id, seq)
  WHERE direction = 'in' AND processed_at IS NULL;
CREATE INDEX messages_pending ON messages (conversation_id, seq) WHERE delivery = 'pending';
CREATE INDEX messages_pending_due ON messages (next_attempt_at) WHERE delivery = 'pending';
CREATE TABLE conversation_events (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, created_at);
CREATE TABLE kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at BIGINT
);
${
  dialect === 'sqlite'
    ? `-- Full-text search over message text (FTS5 with external content).
-- New messages are indexed in bulk, off the hot path, up to a watermark: by a background
-- step and by every search before it runs (so results are never stale). An insert
-- trigger cost a fifth of the CPU of handling a message.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TABLE fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_rowid INTEGER NOT NULL);
INSERT INTO fts_state (id, indexed_rowid) VALUES (1, 0);
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
  WHEN old.rowid <= (SELECT indexed_rowid FROM fts_state) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
  WHEN old.rowid <= (SELECT indexed_rowid FROM fts_state) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
END;`
    : `-- Full-text search over message text ('simple': no stemming, works for any language).
-- Punctuation becomes spaces first, so "ORD-12345" is the words ord and 12345 as in FTS5
-- (PostgreSQL's parser would read "-12345" as a signed number).
ALTER TABLE messages ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(text, '[^[:alnum:]]+', ' ', 'g'))) STORED;
CREATE INDEX messages_tsv ON messages USING GIN (tsv);`
}
`;

// The human queue (src/handoff): one row per queued conversation, deleted on resolve or
// cancel; timers are due times on the row so that firing one is a conditional UPDATE.
// Same SQL on both dialects.
const handoff = `
CREATE TABLE handoff_queue (
  conversation_id TEXT PRIMARY KEY,
  team TEXT NOT NULL,
  priority TEXT NOT NULL,
  priority_rank INTEGER NOT NULL,
  reason TEXT NOT NULL,
  waiting_since BIGINT NOT NULL,
  state TEXT NOT NULL,
  operator_id TEXT,
  claimed_at BIGINT,
  last_activity_at BIGINT,
  escalated_from TEXT,
  renotify_at BIGINT,
  escalate_at BIGINT,
  lapse_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX handoff_queue_order ON handoff_queue (state, team, priority_rank DESC, waiting_since, conversation_id);
CREATE INDEX handoff_queue_operator ON handoff_queue (operator_id) WHERE operator_id IS NOT NULL;
CREATE INDEX handoff_queue_renotify ON handoff_queue (renotify_at) WHERE renotify_at IS NOT NULL;
CREATE INDEX handoff_queue_escalate ON handoff_queue (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE INDEX handoff_queue_lapse ON handoff_queue (lapse_at) WHERE lapse_at IS NOT NULL;
CREATE TABLE handoff_operators (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  teams TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  availability TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
`;

// The operator desk (src/desk): Slack calls waiting to be made, in order per conversation,
// each exactly once (an outbox like the messages'); and which Slack thread carries which
// conversation. (Id 4 was reserved for another omnichannel migration.)
const desk = (dialect: 'sqlite' | 'postgres') => `
CREATE TABLE desk_outbox (
  seq ${dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY'},
  conversation_id TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  uncertain INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  error TEXT,
  result TEXT,
  created_at BIGINT NOT NULL,
  done_at BIGINT
);
CREATE INDEX desk_outbox_pending ON desk_outbox (conversation_id, seq) WHERE state = 'pending';
CREATE INDEX desk_outbox_due ON desk_outbox (next_attempt_at) WHERE state = 'pending';
CREATE TABLE desk_threads (
  channel TEXT NOT NULL,
  ts TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  team TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (channel, ts)
);
CREATE INDEX desk_threads_conversation ON desk_threads (conversation_id, created_at);
`;

// Verified identity linking (src/identity): link codes and one-time codes, stored only as
// hashes, and one row per link with everything needed to undo it exactly. Same SQL on both
// dialects.
const links = `
CREATE TABLE link_codes (
  code_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  conversation_id TEXT,
  offered_seq BIGINT,
  channel TEXT,
  identity_id TEXT,
  destination TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  used_by_identity_id TEXT,
  link_id TEXT
);
CREATE INDEX link_codes_pending_otp ON link_codes (identity_id, expires_at)
  WHERE identity_id IS NOT NULL AND used_at IS NULL;
CREATE INDEX link_codes_expiry ON link_codes (expires_at);
CREATE TABLE identity_links (
  id TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  by_whom TEXT,
  from_customer_id TEXT NOT NULL REFERENCES customers(id),
  into_customer_id TEXT NOT NULL REFERENCES customers(id),
  identity_id TEXT,
  conversation_id TEXT,
  undo TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  undone_at BIGINT,
  undone_by TEXT
);
CREATE INDEX identity_links_from ON identity_links (from_customer_id, created_at);
CREATE INDEX identity_links_into ON identity_links (into_customer_id, created_at);
`;

export const migrations: Migration[] = [
  { id: 1, name: 'core', sqlite: core('sqlite'), postgres: core('postgres') },
  { id: 2, name: 'handoff queue', sqlite: handoff, postgres: handoff },
  { id: 3, name: 'links', sqlite: links, postgres: links },
  { id: 5, name: 'operator desk', sqlite: desk('sqlite'), postgres: desk('postgres') },
  analyticsMigration,
  reviewMigration,
];
