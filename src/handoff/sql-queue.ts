/**
 * The embedded, durable {@link HandoffQueue}: two tables in the store (migration 2), the
 * same SQL on SQLite and PostgreSQL. Every state change is a conditional UPDATE (…WHERE
 * state = 'waiting'), so of two racing processes exactly one changes the row; PostgreSQL's
 * row lock makes the loser re-check the condition and match nothing.
 *
 * @module
 */
import type { Param, Row, SqlDriver } from '../store/driver';
import type { HandoffConfig } from './config';
import { expectedWaitMs, lapseAt, rank, teamFor, waitingTimers } from './timing';
import type {
  ClaimResult,
  DueTimer,
  Escalation,
  HandoffPriority,
  HandoffQueue,
  Operator,
  OperatorAvailability,
  OperatorState,
  QueueEntry,
  QueuePosition,
} from './types';

const nullable = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toEntry(r: Row): QueueEntry {
  return {
    conversationId: String(r.conversation_id),
    team: String(r.team),
    priority: String(r.priority) as HandoffPriority,
    reason: String(r.reason),
    waitingSince: Number(r.waiting_since),
    state: String(r.state) as QueueEntry['state'],
    operatorId: r.operator_id === null || r.operator_id === undefined ? null : String(r.operator_id),
    claimedAt: nullable(r.claimed_at),
    lastActivityAt: nullable(r.last_activity_at),
    escalatedFrom:
      r.escalated_from === null || r.escalated_from === undefined ? null : String(r.escalated_from),
    renotifyAt: nullable(r.renotify_at),
    escalateAt: nullable(r.escalate_at),
    lapseAt: nullable(r.lapse_at),
  };
}

function toOperator(r: Row): OperatorState {
  return {
    id: String(r.id),
    name: String(r.name),
    teams: JSON.parse(String(r.teams)) as string[],
    capacity: Number(r.capacity),
    availability: String(r.availability) as OperatorAvailability,
    active: Number(r.active ?? 0),
  };
}

const ORDER = 'ORDER BY priority_rank DESC, waiting_since, conversation_id';
const OPERATOR_SELECT = `SELECT o.*, (SELECT COUNT(*) FROM handoff_queue q WHERE q.operator_id = o.id AND q.state = 'claimed') AS active
  FROM handoff_operators o`;

/** Thrown inside a claim transaction to roll it back with a refusal. */
class Refused extends Error {
  constructor(readonly reason: Exclude<ClaimResult, { ok: true }>['reason']) {
    super(reason);
  }
}

export interface SqlHandoffQueueOptions {
  /** Epoch ms; inject one in tests. */
  clock?: () => number;
}

/** The human queue in the store's database. Build it with `openHandoffQueue`. */
export class SqlHandoffQueue implements HandoffQueue {
  private readonly clock: () => number;

  constructor(
    private readonly db: SqlDriver,
    private readonly config: HandoffConfig,
    options: SqlHandoffQueueOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  private async one(sql: string, params: Param[]): Promise<QueueEntry | null> {
    const row = (await this.db.all(sql, params))[0];
    return row ? toEntry(row) : null;
  }

  async enqueue(escalation: Escalation): Promise<{ entry: QueueEntry; created: boolean }> {
    const now = this.clock();
    const team = teamFor(this.config, escalation.team);
    const timers = waitingTimers(team, now);
    const inserted = await this.db.all(
      `INSERT INTO handoff_queue (conversation_id, team, priority, priority_rank, reason, waiting_since, state,
         renotify_at, escalate_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?)
       ON CONFLICT (conversation_id) DO NOTHING RETURNING *`,
      [
        escalation.conversationId,
        team.name,
        escalation.priority,
        rank(escalation.priority),
        escalation.reason,
        escalation.waitingSince ?? now,
        timers.renotifyAt,
        timers.escalateAt,
        now,
      ],
    );
    const row = inserted[0];
    if (row) return { entry: toEntry(row), created: true };
    const existing = await this.get(escalation.conversationId);
    // Resolved between the INSERT and the SELECT: queue it again.
    if (!existing) return this.enqueue(escalation);
    return { entry: existing, created: false };
  }

  get(conversationId: string): Promise<QueueEntry | null> {
    return this.one('SELECT * FROM handoff_queue WHERE conversation_id = ?', [conversationId]);
  }

  async position(conversationId: string): Promise<QueuePosition | null> {
    const entry = await this.get(conversationId);
    if (entry?.state !== 'waiting') return null;
    const r = rank(entry.priority);
    const ahead = await this.db.all(
      `SELECT COUNT(*) AS n FROM handoff_queue WHERE state = 'waiting' AND team = ?
         AND (priority_rank > ? OR (priority_rank = ? AND (waiting_since < ? OR (waiting_since = ? AND conversation_id < ?))))`,
      [entry.team, r, r, entry.waitingSince, entry.waitingSince, conversationId],
    );
    const position = Number(ahead[0]?.n ?? 0) + 1;
    const available = (await this.operators(entry.team)).filter((o) => o.availability === 'available').length;
    return {
      team: entry.team,
      position,
      expectedWaitMs: expectedWaitMs(teamFor(this.config, entry.team), position, available),
    };
  }

  async listWaiting(team?: string, limit = 100): Promise<QueueEntry[]> {
    const rows =
      team === undefined
        ? await this.db.all(`SELECT * FROM handoff_queue WHERE state = 'waiting' ${ORDER} LIMIT ?`, [limit])
        : await this.db.all(
            `SELECT * FROM handoff_queue WHERE state = 'waiting' AND team = ? ${ORDER} LIMIT ?`,
            [team, limit],
          );
    return rows.map(toEntry);
  }

  async listClaimed(operatorId: string): Promise<QueueEntry[]> {
    const rows = await this.db.all(
      `SELECT * FROM handoff_queue WHERE state = 'claimed' AND operator_id = ? ORDER BY claimed_at, conversation_id`,
      [operatorId],
    );
    return rows.map(toEntry);
  }

  async claim(conversationId: string, operatorId: string): Promise<ClaimResult> {
    const now = this.clock();
    try {
      const entry = await this.db.transaction(async (tx) => {
        // Touching the operator row first locks it (PostgreSQL) so two claims by the same
        // operator on different conversations count each other; SQLite serialises anyway.
        const op = (
          await tx.all('UPDATE handoff_operators SET updated_at = ? WHERE id = ? RETURNING *', [
            now,
            operatorId,
          ])
        )[0];
        if (!op) throw new Refused('unknown_operator');
        if (op.availability !== 'available') throw new Refused('operator_away');
        const active = await tx.all(
          `SELECT COUNT(*) AS n FROM handoff_queue WHERE operator_id = ? AND state = 'claimed'`,
          [operatorId],
        );
        if (Number(active[0]?.n ?? 0) >= Number(op.capacity)) throw new Refused('at_capacity');
        const current = (
          await tx.all(`SELECT team FROM handoff_queue WHERE conversation_id = ? AND state = 'waiting'`, [
            conversationId,
          ])
        )[0];
        if (!current) throw new Refused('not_waiting');
        const rows = await tx.all(
          `UPDATE handoff_queue SET state = 'claimed', operator_id = ?, claimed_at = ?, last_activity_at = ?,
             lapse_at = ?, renotify_at = NULL, escalate_at = NULL, updated_at = ?
           WHERE conversation_id = ? AND state = 'waiting' RETURNING *`,
          [
            operatorId,
            now,
            now,
            lapseAt(teamFor(this.config, String(current.team)), now),
            now,
            conversationId,
          ],
        );
        const row = rows[0];
        if (!row) throw new Refused('not_waiting');
        return toEntry(row);
      });
      return { ok: true, entry };
    } catch (error) {
      if (error instanceof Refused) return { ok: false, reason: error.reason };
      throw error;
    }
  }

  async touch(conversationId: string, operatorId: string): Promise<boolean> {
    const entry = await this.get(conversationId);
    if (entry?.state !== 'claimed' || entry.operatorId !== operatorId) return false;
    const now = this.clock();
    const changed = await this.db.run(
      `UPDATE handoff_queue SET last_activity_at = ?, lapse_at = ?, updated_at = ?
       WHERE conversation_id = ? AND state = 'claimed' AND operator_id = ?`,
      [now, lapseAt(teamFor(this.config, entry.team), now), now, conversationId, operatorId],
    );
    return changed === 1;
  }

  release(conversationId: string): Promise<QueueEntry | null> {
    return this.toWaiting(conversationId, undefined);
  }

  transfer(conversationId: string, team: string): Promise<QueueEntry | null> {
    return this.toWaiting(conversationId, team);
  }

  /** Back to waiting, in `team` (default: where it is), with fresh SLA timers. */
  private async toWaiting(conversationId: string, team: string | undefined): Promise<QueueEntry | null> {
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      // A no-op UPDATE reads the row and, on PostgreSQL, locks it until commit.
      const row = (
        await tx.all(
          'UPDATE handoff_queue SET updated_at = updated_at WHERE conversation_id = ? RETURNING *',
          [conversationId],
        )
      )[0];
      if (!row) return null;
      const target = teamFor(this.config, team ?? String(row.team));
      const timers = waitingTimers(target, now);
      const updated = await tx.all(
        `UPDATE handoff_queue SET state = 'waiting', team = ?, operator_id = NULL, claimed_at = NULL,
           last_activity_at = NULL, lapse_at = NULL, renotify_at = ?, escalate_at = ?, updated_at = ?
         WHERE conversation_id = ? RETURNING *`,
        [target.name, timers.renotifyAt, timers.escalateAt, now, conversationId],
      );
      const out = updated[0];
      return out ? toEntry(out) : null;
    });
  }

  async resolve(conversationId: string): Promise<QueueEntry | null> {
    const rows = await this.db.all('DELETE FROM handoff_queue WHERE conversation_id = ? RETURNING *', [
      conversationId,
    ]);
    const row = rows[0];
    return row ? toEntry(row) : null;
  }

  async cancel(conversationId: string): Promise<QueueEntry | null> {
    const rows = await this.db.all(
      `DELETE FROM handoff_queue WHERE conversation_id = ? AND state = 'waiting' RETURNING *`,
      [conversationId],
    );
    const row = rows[0];
    return row ? toEntry(row) : null;
  }

  async upsertOperator(
    operator: Omit<Operator, 'availability'> & { availability?: OperatorAvailability },
  ): Promise<void> {
    const now = this.clock();
    await this.db.run(
      `INSERT INTO handoff_operators (id, name, teams, capacity, availability, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, teams = excluded.teams, capacity = excluded.capacity,
         updated_at = excluded.updated_at`,
      [
        operator.id,
        operator.name,
        JSON.stringify(operator.teams),
        operator.capacity,
        operator.availability ?? 'available',
        now,
      ],
    );
    if (operator.availability) await this.setAvailability(operator.id, operator.availability);
  }

  async setAvailability(
    operatorId: string,
    availability: OperatorAvailability,
  ): Promise<OperatorState | null> {
    await this.db.run('UPDATE handoff_operators SET availability = ?, updated_at = ? WHERE id = ?', [
      availability,
      this.clock(),
      operatorId,
    ]);
    return this.operator(operatorId);
  }

  async operator(operatorId: string): Promise<OperatorState | null> {
    const row = (await this.db.all(`${OPERATOR_SELECT} WHERE o.id = ?`, [operatorId]))[0];
    return row ? toOperator(row) : null;
  }

  async operators(team?: string): Promise<OperatorState[]> {
    const all = (await this.db.all(`${OPERATOR_SELECT} ORDER BY o.id`)).map(toOperator);
    return team === undefined ? all : all.filter((o) => o.teams.includes(team));
  }

  async dueTimers(now = this.clock()): Promise<DueTimer[]> {
    const fired: DueTimer[] = [];
    // Each timer is cleared by the conditional UPDATE that fires it: one process wins it.
    const renotifying = await this.db.all(
      `SELECT * FROM handoff_queue WHERE state = 'waiting' AND renotify_at IS NOT NULL AND renotify_at <= ?
       ORDER BY renotify_at, conversation_id`,
      [now],
    );
    for (const row of renotifying) {
      const dueAt = Number(row.renotify_at);
      const updated = await this.db.all(
        `UPDATE handoff_queue SET renotify_at = NULL, updated_at = ?
         WHERE conversation_id = ? AND state = 'waiting' AND renotify_at = ? RETURNING *`,
        [now, String(row.conversation_id), dueAt],
      );
      const out = updated[0];
      if (out)
        fired.push({
          kind: 'renotify',
          conversationId: String(out.conversation_id),
          dueAt,
          entry: toEntry(out),
        });
    }

    const escalating = await this.db.all(
      `SELECT * FROM handoff_queue WHERE state = 'waiting' AND escalate_at IS NOT NULL AND escalate_at <= ?
       ORDER BY escalate_at, conversation_id`,
      [now],
    );
    for (const row of escalating) {
      const from = String(row.team);
      const dueAt = Number(row.escalate_at);
      const overflow = teamFor(this.config, from).overflow;
      const target = teamFor(this.config, overflow ?? from);
      // In the overflow team the SLA restarts (renotify there), but it escalates only once.
      const timers = waitingTimers(target, now, { escalate: false });
      const updated = await this.db.all(
        `UPDATE handoff_queue SET team = ?, escalated_from = ?, escalate_at = NULL, renotify_at = ?, updated_at = ?
         WHERE conversation_id = ? AND state = 'waiting' AND escalate_at = ? RETURNING *`,
        [target.name, from, overflow ? timers.renotifyAt : null, now, String(row.conversation_id), dueAt],
      );
      const out = updated[0];
      if (out) {
        const entry = toEntry(out);
        fired.push({ kind: 'escalate', conversationId: entry.conversationId, dueAt, fromTeam: from, entry });
      }
    }

    const lapsing = await this.db.all(
      `SELECT * FROM handoff_queue WHERE state = 'claimed' AND lapse_at IS NOT NULL AND lapse_at <= ?
       ORDER BY lapse_at, conversation_id`,
      [now],
    );
    for (const row of lapsing) {
      const operatorId = String(row.operator_id);
      const dueAt = Number(row.lapse_at);
      const timers = waitingTimers(teamFor(this.config, String(row.team)), now);
      const updated = await this.db.all(
        `UPDATE handoff_queue SET state = 'waiting', operator_id = NULL, claimed_at = NULL, last_activity_at = NULL,
           lapse_at = NULL, renotify_at = ?, escalate_at = ?, updated_at = ?
         WHERE conversation_id = ? AND state = 'claimed' AND operator_id = ? AND lapse_at = ? RETURNING *`,
        [timers.renotifyAt, timers.escalateAt, now, String(row.conversation_id), operatorId, dueAt],
      );
      const out = updated[0];
      if (out) {
        const entry = toEntry(out);
        fired.push({ kind: 'claim_lapsed', conversationId: entry.conversationId, dueAt, operatorId, entry });
      }
    }
    return fired;
  }

  async close(): Promise<void> {
    // The driver belongs to the store; closing the store closes it.
  }
}
