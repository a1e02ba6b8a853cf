/**
 * `--prefill N`: a store that already holds about N messages before the run, the shape a
 * busy deployment has after a while: thousands of conversations of 200 messages and, from
 * 100,000 messages on, a tenth of them in conversations of 5,000. Written with one
 * INSERT … SELECT per table (a generated series), then indexed as a live store would be
 * (SQLite's full-text index built, PostgreSQL's tables analysed).
 */
import { openStore } from '../src/store';
import type { SqlStore } from '../src/store/sql-store';

export interface PrefillShape {
  big: number;
  small: number;
  messages: number;
}

export function shape(n: number): PrefillShape {
  const big = n >= 100_000 ? Math.floor((n * 0.1) / 5000) : 0;
  const small = Math.ceil(Math.max(0, n - big * 5000) / 200);
  return { big, small, messages: big * 5000 + small * 200 };
}

export async function prefill(
  target: { databaseUrl?: string; dataDir?: string },
  n: number,
): Promise<PrefillShape> {
  const s = shape(n);
  const store = (await openStore({
    ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : { dataDir: target.dataDir ?? '' }),
  })) as SqlStore;
  const db = store.driver;
  const pg = db.dialect === 'postgres';
  const conversations = s.big + s.small;
  const t = Date.now() - 86_400_000;
  const series = pg
    ? (name: string, upTo: string) => `generate_series(1, ${upTo}) AS ${name}(i)`
    : (name: string, _upTo: string) => name;
  const cte = pg
    ? ''
    : `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${conversations}),
       s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 5000) `;
  const size = `CASE WHEN k.i <= ${s.big} THEN 5000 ELSE 200 END`;
  await db.exec(
    `INSERT INTO customers (id, profile, attributes, created_at, updated_at)
     ${cte}SELECT 'cus_pf_' || k.i, '{}', '{}', ${t}, ${t} FROM ${series('k', String(conversations))}`,
  );
  await db.exec(
    `INSERT INTO identities (id, channel, external_id, customer_id, linked_by, address, last_inbound_at, created_at)
     ${cte}SELECT 'idn_pf_' || k.i, 'web', 'prefill-visitor-' || k.i, 'cus_pf_' || k.i, 'first_contact',
       '{"visitorId":"prefill-visitor-' || k.i || '"}', ${t}, ${t} FROM ${series('k', String(conversations))}`,
  );
  await db.exec(
    `INSERT INTO conversations (id, customer_id, status, last_channel, last_identity_id, data, last_seq, created_at, updated_at)
     ${cte}SELECT 'cnv_pf_' || k.i, 'cus_pf_' || k.i, 'bot', 'web', 'idn_pf_' || k.i, '{}', ${size}, ${t}, ${t}
     FROM ${series('k', String(conversations))}`,
  );
  const text = `'prefill message ' || s.i || ' about order ORD-' || ((s.i * 7919 + k.i * 104729) % 100000)`;
  await db.exec(
    `INSERT INTO messages (id, conversation_id, customer_id, seq, direction, author, channel, content, text,
       platform_message_id, idempotency_key, address, delivery, attempts, processed_at, created_at)
     ${cte}SELECT 'msg_pf_' || k.i || '_' || s.i, 'cnv_pf_' || k.i, 'cus_pf_' || k.i, s.i,
       CASE WHEN s.i % 2 = 1 THEN 'in' ELSE 'out' END,
       CASE WHEN s.i % 2 = 1 THEN 'customer' ELSE 'bot' END, 'web',
       '{"type":"text","text":"' || ${text} || '"}', ${text},
       CASE WHEN s.i % 2 = 1 THEN 'prefill-visitor-' || k.i || ':cm' || s.i END,
       CASE WHEN s.i % 2 = 0 THEN 'msg_pf_' || k.i || '_' || (s.i - 1) || ':1' END,
       '{"visitorId":"prefill-visitor-' || k.i || '"}',
       CASE WHEN s.i % 2 = 1 THEN 'received' ELSE 'sent' END, 0,
       CASE WHEN s.i % 2 = 1 THEN ${t} + s.i END, ${t} + s.i
     FROM ${pg ? `${series('k', String(conversations))}, LATERAL generate_series(1, ${size}) AS s(i)` : 'k JOIN s ON s.i <= ' + size}`,
  );
  if (pg) await db.exec('ANALYZE');
  else {
    await db.exec(
      `INSERT INTO messages_fts (rowid, text) SELECT rowid, text FROM messages;
       UPDATE fts_state SET indexed_rowid = (SELECT MAX(rowid) FROM messages) WHERE id = 1; ANALYZE`,
    );
  }
  await store.close();
  return s;
}
