/**
 * The {@link LinkRepo} over a {@link SqlDriver}: link codes (hashed) and link records, and
 * the two operations that move a customer's identities, conversations and messages into
 * another customer and back. Same SQL on SQLite and PostgreSQL.
 *
 * @module
 */
import { SwitchboardError } from '../errors';
import type { ConversationStatus, IdentityLink } from '../model';
import { newId } from '../util/ids';
import { type Row, type SqlDriver, StoreConflictError } from './driver';
import type { LinkCode, LinkRecord, LinkRepo, LinkUndo } from './types';

const opt = <T>(value: unknown, map: (v: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value);

/** `target` with the optional fields that have a value (strict optional types allow no `undefined`). */
function withDefined<T extends object>(target: T, optional: Partial<T>): T {
  for (const [key, value] of Object.entries(optional))
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

function toCode(r: Row): LinkCode {
  const code: LinkCode = {
    codeHash: String(r.code_hash),
    kind: String(r.kind) as LinkCode['kind'],
    customerId: String(r.customer_id),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
  const optional: Partial<LinkCode> = {
    conversationId: opt(r.conversation_id, String),
    offeredSeq: opt(r.offered_seq, Number),
    channel: opt(r.channel, String),
    identityId: opt(r.identity_id, String),
    destination: opt(r.destination, String),
    usedAt: opt(r.used_at, Number),
    usedByIdentityId: opt(r.used_by_identity_id, String),
    linkId: opt(r.link_id, String),
  };
  return withDefined(code, optional);
}

function toLink(r: Row): LinkRecord {
  const link: LinkRecord = {
    id: String(r.id),
    method: String(r.method) as IdentityLink,
    fromCustomerId: String(r.from_customer_id),
    intoCustomerId: String(r.into_customer_id),
    undo: JSON.parse(String(r.undo)) as LinkUndo,
    createdAt: Number(r.created_at),
  };
  const optional: Partial<LinkRecord> = {
    byWhom: opt(r.by_whom, String),
    identityId: opt(r.identity_id, String),
    conversationId: opt(r.conversation_id, String),
    undoneAt: opt(r.undone_at, Number),
    undoneBy: opt(r.undone_by, String),
  };
  return withDefined(link, optional);
}

const busy = (status: unknown) => status === 'queued' || status === 'assigned';

/**
 * After identities moved, an open conversation may still name an identity that is no
 * longer its customer's as the place replies go: point it at the customer's identity that
 * wrote last.
 */
async function repairLastIdentity(tx: SqlDriver, customerId: string): Promise<void> {
  const open = (
    await tx.all(
      `SELECT c.id FROM conversations c JOIN identities i ON i.id = c.last_identity_id
       WHERE c.customer_id = ? AND c.status <> 'closed' AND i.customer_id <> c.customer_id`,
      [customerId],
    )
  )[0];
  if (!open) return;
  const latest = (
    await tx.all(
      // Not the 'account' identity of a signed web token: nothing can be delivered there.
      `SELECT id, channel FROM identities WHERE customer_id = ? AND channel <> 'account'
       ORDER BY COALESCE(last_inbound_at, 0) DESC, created_at DESC LIMIT 1`,
      [customerId],
    )
  )[0];
  if (!latest) return;
  await tx.run('UPDATE conversations SET last_identity_id = ?, last_channel = ? WHERE id = ?', [
    String(latest.id),
    String(latest.channel),
    String(open.id),
  ]);
}

export function sqlLinkRepo(db: SqlDriver): LinkRepo {
  return {
    async addCode(code) {
      await db.run(
        `INSERT INTO link_codes (code_hash, kind, customer_id, conversation_id, offered_seq, channel, identity_id,
           destination, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          code.codeHash,
          code.kind,
          code.customerId,
          code.conversationId ?? null,
          code.offeredSeq ?? null,
          code.channel ?? null,
          code.identityId ?? null,
          code.destination ?? null,
          code.createdAt,
          code.expiresAt,
        ],
      );
    },

    async getCode(codeHash) {
      const row = (await db.all('SELECT * FROM link_codes WHERE code_hash = ?', [codeHash]))[0];
      return row ? toCode(row) : null;
    },

    async useCode(codeHash, identityId, now) {
      const changed = await db.run(
        `UPDATE link_codes SET used_at = ?, used_by_identity_id = ?
         WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
        [now, identityId, codeHash, now],
      );
      return changed === 1;
    },

    async setCodeLink(codeHash, linkId) {
      await db.run('UPDATE link_codes SET link_id = ? WHERE code_hash = ?', [linkId, codeHash]);
    },

    async pendingOneTimeCodes(identityId, now) {
      const rows = await db.all(
        `SELECT * FROM link_codes WHERE identity_id = ? AND used_at IS NULL AND expires_at > ?
         ORDER BY created_at DESC`,
        [identityId, now],
      );
      return rows.map(toCode);
    },

    async deleteExpiredCodes(before) {
      return db.run('DELETE FROM link_codes WHERE expires_at < ?', [before]);
    },

    merge(init) {
      const { from, into, method } = init;
      if (from === into) {
        return Promise.reject(new StoreConflictError(`customer ${from} cannot be linked to itself`));
      }
      return db.transaction(async (tx) => {
        const now = Date.now();
        const customers = await tx.all('SELECT id FROM customers WHERE id IN (?, ?)', [from, into]);
        if (customers.length !== 2) {
          throw new SwitchboardError('SB_NOT_FOUND', `cannot link ${from} into ${into}: no such customer`);
        }
        const identities = (
          await tx.all(
            'SELECT id, linked_by, linked_by_whom FROM identities WHERE customer_id = ? ORDER BY created_at, id',
            [from],
          )
        ).map((r) => ({
          id: String(r.id),
          linkedBy: String(r.linked_by) as IdentityLink,
          linkedByWhom: r.linked_by_whom === null ? null : String(r.linked_by_whom),
        }));
        const fromConversations = await tx.all(
          'SELECT id, customer_id, status, closed_at, last_seq FROM conversations WHERE customer_id = ? ORDER BY created_at, id',
          [from],
        );
        const fromOpen = fromConversations.find((c) => c.status !== 'closed');
        const intoOpen = (
          await tx.all(
            "SELECT id, customer_id, status, closed_at, last_seq FROM conversations WHERE customer_id = ? AND status <> 'closed'",
            [into],
          )
        )[0];
        const undo: LinkUndo = { identities, conversations: fromConversations.map((c) => String(c.id)) };
        let open = intoOpen ?? fromOpen;

        if (fromOpen && intoOpen) {
          // Keep the conversation a person is working on (its operator thread keeps receiving),
          // else the target's; close the other and append its messages, in order, to the survivor.
          const [absorbed, survivor] =
            busy(fromOpen.status) && !busy(intoOpen.status) ? [intoOpen, fromOpen] : [fromOpen, intoOpen];
          open = survivor;
          await tx.run(
            "UPDATE conversations SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
            [now, now, String(absorbed.id)],
          );
          const moved = (
            await tx.all('SELECT id, seq, customer_id FROM messages WHERE conversation_id = ? ORDER BY seq', [
              String(absorbed.id),
            ])
          ).map((m) => ({ id: String(m.id), seq: Number(m.seq), customerId: String(m.customer_id) }));
          const after = Number(
            (
              await tx.all(
                'UPDATE conversations SET last_seq = last_seq + ?, updated_at = ? WHERE id = ? RETURNING last_seq',
                [moved.length, now, String(survivor.id)],
              )
            )[0]?.last_seq,
          );
          const before = after - moved.length;
          for (const [i, m] of moved.entries()) {
            await tx.run('UPDATE messages SET conversation_id = ?, seq = ?, customer_id = ? WHERE id = ?', [
              String(survivor.id),
              before + i + 1,
              into,
              m.id,
            ]);
          }
          undo.absorbed = {
            id: String(absorbed.id),
            customerId: String(absorbed.customer_id),
            status: String(absorbed.status) as ConversationStatus,
            closedAt: absorbed.closed_at === null ? null : Number(absorbed.closed_at),
            lastSeq: Number(absorbed.last_seq),
            survivor: String(survivor.id),
            survivorLastSeqBefore: before,
            survivorLastSeqAfter: after,
            messages: moved,
          };
        }

        for (const id of undo.conversations) {
          await tx.run('UPDATE conversations SET customer_id = ? WHERE id = ?', [into, id]);
          await tx.run('UPDATE messages SET customer_id = ? WHERE conversation_id = ? AND customer_id = ?', [
            into,
            id,
            from,
          ]);
        }
        await tx.run(
          'UPDATE identities SET customer_id = ?, linked_by = ?, linked_by_whom = ? WHERE customer_id = ?',
          [into, method, init.byWhom ?? null, from],
        );

        const link: LinkRecord = {
          id: newId('lnk'),
          method,
          fromCustomerId: from,
          intoCustomerId: into,
          undo,
          createdAt: now,
        };
        if (init.byWhom !== undefined) link.byWhom = init.byWhom;
        if (init.identityId !== undefined) link.identityId = init.identityId;
        if (open) link.conversationId = String(open.id);
        await tx.run(
          `INSERT INTO identity_links (id, method, by_whom, from_customer_id, into_customer_id, identity_id,
             conversation_id, undo, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            link.id,
            method,
            init.byWhom ?? null,
            from,
            into,
            init.identityId ?? null,
            link.conversationId ?? null,
            JSON.stringify(undo),
            now,
          ],
        );
        return link;
      });
    },

    unmerge(linkId, byWhom) {
      return db.transaction(async (tx) => {
        const row = (await tx.all('SELECT * FROM identity_links WHERE id = ?', [linkId]))[0];
        if (!row) throw new SwitchboardError('SB_NOT_FOUND', `link ${linkId} does not exist`);
        const link = toLink(row);
        if (link.undoneAt !== undefined) {
          throw new StoreConflictError(
            `link ${linkId} was already undone (by ${link.undoneBy ?? 'someone'})`,
          );
        }
        const { fromCustomerId: from, intoCustomerId: into, undo } = link;
        const now = Date.now();
        const absorbed = undo.absorbed;
        if (absorbed) {
          // The absorbed conversation's messages go back to their places (their seqs there are free:
          // a closed conversation takes no new messages).
          for (const m of absorbed.messages) {
            await tx.run('UPDATE messages SET conversation_id = ?, seq = ?, customer_id = ? WHERE id = ?', [
              absorbed.id,
              m.seq,
              m.customerId,
              m.id,
            ]);
          }
          // If nothing was said since, the survivor's numbering is exactly as before; otherwise the
          // moved messages leave a gap in it (later messages keep their numbers: cursors stay valid).
          await tx.run('UPDATE conversations SET last_seq = ? WHERE id = ? AND last_seq = ?', [
            absorbed.survivorLastSeqBefore,
            absorbed.survivor,
            absorbed.survivorLastSeqAfter,
          ]);
        }
        for (const id of undo.conversations) {
          await tx.run('UPDATE conversations SET customer_id = ? WHERE id = ?', [from, id]);
          await tx.run('UPDATE messages SET customer_id = ? WHERE conversation_id = ? AND customer_id = ?', [
            from,
            id,
            into,
          ]);
        }
        if (absorbed) {
          // Reopen it, unless its customer has opened another conversation meanwhile (then it stays
          // closed, with its messages back in it).
          const reopen =
            absorbed.status !== 'closed' &&
            (
              await tx.all("SELECT id FROM conversations WHERE customer_id = ? AND status <> 'closed'", [
                absorbed.customerId,
              ])
            ).length === 0;
          if (reopen) {
            await tx.run('UPDATE conversations SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?', [
              absorbed.status,
              absorbed.closedAt,
              now,
              absorbed.id,
            ]);
          }
        }
        for (const identity of undo.identities) {
          await tx.run(
            'UPDATE identities SET customer_id = ?, linked_by = ?, linked_by_whom = ? WHERE id = ?',
            [from, identity.linkedBy, identity.linkedByWhom, identity.id],
          );
        }
        await repairLastIdentity(tx, from);
        await repairLastIdentity(tx, into);
        await tx.run('UPDATE identity_links SET undone_at = ?, undone_by = ? WHERE id = ?', [
          now,
          byWhom ?? null,
          linkId,
        ]);
        return { ...link, undoneAt: now, ...(byWhom !== undefined && { undoneBy: byWhom }) };
      });
    },

    async get(linkId) {
      const row = (await db.all('SELECT * FROM identity_links WHERE id = ?', [linkId]))[0];
      return row ? toLink(row) : null;
    },

    async listByCustomer(customerId) {
      const rows = await db.all(
        `SELECT * FROM identity_links WHERE from_customer_id = ? OR into_customer_id = ?
         ORDER BY created_at DESC, id DESC`,
        [customerId, customerId],
      );
      return rows.map(toLink);
    },
  };
}
