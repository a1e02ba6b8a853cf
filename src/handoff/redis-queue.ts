/**
 * The {@link HandoffQueue} in Redis, for scale mode (several processes, `REDIS_URL`).
 *
 * Layout under a prefix `P`: `P:e:<conversation>` a hash {json, v} (the entry and its
 * version), `P:w:<team>` and `P:wall` sorted sets of waiting conversations (score:
 * priority, then waiting since), `P:t` a sorted set of timers (`<kind>|<conversation>`
 * scored by due time), `P:op:<id>` operator hashes, `P:ops` their ids, `P:c:<id>` the
 * conversations an operator holds.
 *
 * Every change is computed in TypeScript from the entry at version `v`, then applied by
 * one Lua script that checks `v` is unchanged (and, for a claim, the operator's
 * availability and capacity) and updates the entry and every index at once. A process
 * that lost a race re-reads and re-decides, so two claims have exactly one winner and
 * each timer fires once.
 *
 * @module
 */
import { Redis } from 'ioredis';
import type { HandoffConfig } from './config';
import { expectedWaitMs, lapseAt, rank, teamFor, waitingTimers } from './timing';
import type {
  ClaimRefusal,
  ClaimResult,
  DueTimer,
  Escalation,
  HandoffQueue,
  Operator,
  OperatorAvailability,
  OperatorState,
  QueueEntry,
  QueuePosition,
} from './types';

/** Checks the version, runs the checks, applies the index operations and writes the entry. */
const APPLY = `
local k = KEYS[1]
local expect = ARGV[1]
local json = ARGV[2]
local ops = cjson.decode(ARGV[3])
local v = redis.call('HGET', k, 'v')
if expect == 'absent' then
  if v then return {'conflict'} end
elseif v ~= expect then
  return {'conflict'}
end
for _, op in ipairs(ops) do
  if op[1] == 'capacity' then
    local o = op[2]
    if redis.call('EXISTS', o) == 0 then return {'unknown_operator'} end
    if redis.call('HGET', o, 'availability') ~= 'available' then return {'operator_away'} end
    if redis.call('SCARD', op[3]) >= tonumber(redis.call('HGET', o, 'capacity')) then return {'at_capacity'} end
  end
end
for _, op in ipairs(ops) do
  if op[1] == 'zadd' then redis.call('ZADD', op[2], op[3], op[4])
  elseif op[1] == 'zrem' then redis.call('ZREM', op[2], op[3])
  elseif op[1] == 'sadd' then redis.call('SADD', op[2], op[3])
  elseif op[1] == 'srem' then redis.call('SREM', op[2], op[3])
  end
end
if json == '' then
  redis.call('DEL', k)
else
  redis.call('HSET', k, 'json', json, 'v', tostring(tonumber(v or '0') + 1))
end
return {'ok'}
`;

type Op =
  | ['zadd', string, string, string]
  | ['zrem', string, string]
  | ['sadd', string, string]
  | ['srem', string, string]
  | ['capacity', string, string];

type ApplyOutcome = 'ok' | 'conflict' | ClaimRefusal;

const TIMER_KINDS = ['renotify', 'escalate', 'lapse'] as const;
type TimerKey = (typeof TIMER_KINDS)[number];
const TIMER_FIELD: Record<TimerKey, 'renotifyAt' | 'escalateAt' | 'lapseAt'> = {
  renotify: 'renotifyAt',
  escalate: 'escalateAt',
  lapse: 'lapseAt',
};

/** Priority first (urgent lowest score), then waiting since; equal scores sort by id. */
function score(entry: QueueEntry): string {
  return String((3 - rank(entry.priority)) * 1e13 + entry.waitingSince);
}

export interface RedisHandoffQueueOptions {
  /** Key prefix (default `sb:handoff`); tests use a unique one each. */
  prefix?: string;
  /** Epoch ms; inject one in tests. */
  clock?: () => number;
}

type RedisWithApply = Redis & {
  sbHandoffApply(key: string, expect: string, json: string, ops: string): Promise<string[]>;
};

/** The human queue in Redis. Build it with `openHandoffQueue` when REDIS_URL is set. */
export class RedisHandoffQueue implements HandoffQueue {
  private readonly redis: RedisWithApply;
  private readonly prefix: string;
  private readonly clock: () => number;

  constructor(
    url: string,
    private readonly config: HandoffConfig,
    options: RedisHandoffQueueOptions = {},
  ) {
    this.prefix = options.prefix ?? 'sb:handoff';
    this.clock = options.clock ?? Date.now;
    const redis = new Redis(url, { maxRetriesPerRequest: 3 });
    redis.defineCommand('sbHandoffApply', { numberOfKeys: 1, lua: APPLY });
    this.redis = redis as RedisWithApply;
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  private async read(conversationId: string): Promise<{ entry: QueueEntry; v: string } | null> {
    const [json, v] = await this.redis.hmget(this.key('e', conversationId), 'json', 'v');
    if (!json || !v) return null;
    return { entry: JSON.parse(json) as QueueEntry, v };
  }

  private async apply(
    conversationId: string,
    expect: string,
    next: QueueEntry | null,
    ops: Op[],
  ): Promise<ApplyOutcome> {
    const [outcome] = await this.redis.sbHandoffApply(
      this.key('e', conversationId),
      expect,
      next ? JSON.stringify(next) : '',
      JSON.stringify(ops),
    );
    return outcome as ApplyOutcome;
  }

  /** Index operations that take `entry` out of every index it is in. */
  private unindex(entry: QueueEntry): Op[] {
    const id = entry.conversationId;
    const ops: Op[] = [];
    if (entry.state === 'waiting')
      ops.push(['zrem', this.key('w', entry.team), id], ['zrem', this.key('wall'), id]);
    if (entry.state === 'claimed' && entry.operatorId)
      ops.push(['srem', this.key('c', entry.operatorId), id]);
    for (const kind of TIMER_KINDS)
      if (entry[TIMER_FIELD[kind]] !== null) ops.push(['zrem', this.key('t'), `${kind}|${id}`]);
    return ops;
  }

  /** Index operations that put `entry` into the indexes its state calls for. */
  private index(entry: QueueEntry): Op[] {
    const id = entry.conversationId;
    const ops: Op[] = [];
    if (entry.state === 'waiting')
      ops.push(
        ['zadd', this.key('w', entry.team), score(entry), id],
        ['zadd', this.key('wall'), score(entry), id],
      );
    if (entry.state === 'claimed' && entry.operatorId)
      ops.push(['sadd', this.key('c', entry.operatorId), id]);
    for (const kind of TIMER_KINDS) {
      const at = entry[TIMER_FIELD[kind]];
      if (at !== null) ops.push(['zadd', this.key('t'), String(at), `${kind}|${id}`]);
    }
    return ops;
  }

  /**
   * Read–decide–apply with retries: `decide` gets the current entry (or null) and returns
   * the next one (null deletes), or `undefined` to change nothing.
   */
  private async change<T>(
    conversationId: string,
    decide: (
      current: QueueEntry | null,
    ) => { next: QueueEntry | null; result: T; extra?: Op[] } | { skip: T },
  ): Promise<T> {
    for (;;) {
      const current = await this.read(conversationId);
      const decision = decide(current?.entry ?? null);
      if ('skip' in decision) return decision.skip;
      const ops = [...(decision.extra ?? []), ...(current ? this.unindex(current.entry) : [])];
      if (decision.next) ops.push(...this.index(decision.next));
      const outcome = await this.apply(conversationId, current ? current.v : 'absent', decision.next, ops);
      if (outcome === 'ok') return decision.result;
      if (outcome !== 'conflict') throw new RefusedError(outcome);
    }
  }

  async enqueue(escalation: Escalation): Promise<{ entry: QueueEntry; created: boolean }> {
    const now = this.clock();
    const team = teamFor(this.config, escalation.team);
    const entry: QueueEntry = {
      conversationId: escalation.conversationId,
      team: team.name,
      priority: escalation.priority,
      reason: escalation.reason,
      waitingSince: escalation.waitingSince ?? now,
      state: 'waiting',
      operatorId: null,
      claimedAt: null,
      lastActivityAt: null,
      escalatedFrom: null,
      ...waitingTimers(team, now),
      lapseAt: null,
    };
    return this.change<{ entry: QueueEntry; created: boolean }>(escalation.conversationId, (current) =>
      current
        ? { skip: { entry: current, created: false } }
        : { next: entry, result: { entry, created: true } },
    );
  }

  async get(conversationId: string): Promise<QueueEntry | null> {
    return (await this.read(conversationId))?.entry ?? null;
  }

  async position(conversationId: string): Promise<QueuePosition | null> {
    const entry = await this.get(conversationId);
    if (entry?.state !== 'waiting') return null;
    const index = await this.redis.zrank(this.key('w', entry.team), conversationId);
    if (index === null) return null;
    const position = index + 1;
    const available = (await this.operators(entry.team)).filter((o) => o.availability === 'available').length;
    return {
      team: entry.team,
      position,
      expectedWaitMs: expectedWaitMs(teamFor(this.config, entry.team), position, available),
    };
  }

  private async entries(ids: string[]): Promise<QueueEntry[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.key('e', id), 'json');
    const results = (await pipeline.exec()) ?? [];
    return results
      .map(([, json]) => (typeof json === 'string' ? (JSON.parse(json) as QueueEntry) : null))
      .filter((e): e is QueueEntry => e !== null);
  }

  async listWaiting(team?: string, limit = 100): Promise<QueueEntry[]> {
    const ids = await this.redis.zrange(
      team === undefined ? this.key('wall') : this.key('w', team),
      '0',
      String(limit - 1),
    );
    return (await this.entries(ids)).filter((e) => e.state === 'waiting');
  }

  async listClaimed(operatorId: string): Promise<QueueEntry[]> {
    const ids = await this.redis.smembers(this.key('c', operatorId));
    return (await this.entries(ids))
      .filter((e) => e.state === 'claimed' && e.operatorId === operatorId)
      .sort(
        (a, b) =>
          (a.claimedAt ?? 0) - (b.claimedAt ?? 0) ||
          (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0),
      );
  }

  async claim(conversationId: string, operatorId: string): Promise<ClaimResult> {
    const now = this.clock();
    try {
      return await this.change<ClaimResult>(conversationId, (current) => {
        if (current?.state !== 'waiting') return { skip: { ok: false, reason: 'not_waiting' } };
        const next: QueueEntry = {
          ...current,
          state: 'claimed',
          operatorId,
          claimedAt: now,
          lastActivityAt: now,
          renotifyAt: null,
          escalateAt: null,
          lapseAt: lapseAt(teamFor(this.config, current.team), now),
        };
        return {
          next,
          result: { ok: true, entry: next },
          extra: [['capacity', this.key('op', operatorId), this.key('c', operatorId)]],
        };
      });
    } catch (error) {
      if (error instanceof RefusedError) return { ok: false, reason: error.reason };
      throw error;
    }
  }

  touch(conversationId: string, operatorId: string): Promise<boolean> {
    const now = this.clock();
    return this.change<boolean>(conversationId, (current) => {
      if (current?.state !== 'claimed' || current.operatorId !== operatorId) return { skip: false };
      const next = {
        ...current,
        lastActivityAt: now,
        lapseAt: lapseAt(teamFor(this.config, current.team), now),
      };
      return { next, result: true };
    });
  }

  private toWaiting(conversationId: string, team: string | undefined): Promise<QueueEntry | null> {
    const now = this.clock();
    return this.change<QueueEntry | null>(conversationId, (current) => {
      if (!current) return { skip: null };
      const target = teamFor(this.config, team ?? current.team);
      const next: QueueEntry = {
        ...current,
        team: target.name,
        state: 'waiting',
        operatorId: null,
        claimedAt: null,
        lastActivityAt: null,
        ...waitingTimers(target, now),
        lapseAt: null,
      };
      return { next, result: next };
    });
  }

  release(conversationId: string): Promise<QueueEntry | null> {
    return this.toWaiting(conversationId, undefined);
  }

  transfer(conversationId: string, team: string): Promise<QueueEntry | null> {
    return this.toWaiting(conversationId, team);
  }

  resolve(conversationId: string): Promise<QueueEntry | null> {
    return this.change<QueueEntry | null>(conversationId, (current) =>
      current ? { next: null, result: current } : { skip: null },
    );
  }

  cancel(conversationId: string): Promise<QueueEntry | null> {
    return this.change<QueueEntry | null>(conversationId, (current) =>
      current && current.state === 'waiting' ? { next: null, result: current } : { skip: null },
    );
  }

  async upsertOperator(
    operator: Omit<Operator, 'availability'> & { availability?: OperatorAvailability },
  ): Promise<void> {
    const key = this.key('op', operator.id);
    await this.redis
      .multi()
      .hset(key, 'id', operator.id, 'name', operator.name, 'teams', JSON.stringify(operator.teams))
      .hset(key, 'capacity', String(operator.capacity))
      .hsetnx(key, 'availability', operator.availability ?? 'available')
      .sadd(this.key('ops'), operator.id)
      .exec();
    if (operator.availability) await this.redis.hset(key, 'availability', operator.availability);
  }

  async setAvailability(
    operatorId: string,
    availability: OperatorAvailability,
  ): Promise<OperatorState | null> {
    const key = this.key('op', operatorId);
    // Only an existing operator: HSET on a missing key would create half a record.
    if (!(await this.redis.exists(key))) return null;
    await this.redis.hset(key, 'availability', availability);
    return this.operator(operatorId);
  }

  async operator(operatorId: string): Promise<OperatorState | null> {
    const [fields, active] = await Promise.all([
      this.redis.hgetall(this.key('op', operatorId)),
      this.redis.scard(this.key('c', operatorId)),
    ]);
    if (!fields.id) return null;
    return {
      id: fields.id,
      name: fields.name ?? fields.id,
      teams: JSON.parse(fields.teams ?? '[]') as string[],
      capacity: Number(fields.capacity ?? 1),
      availability: (fields.availability ?? 'away') as OperatorAvailability,
      active,
    };
  }

  async operators(team?: string): Promise<OperatorState[]> {
    const ids = (await this.redis.smembers(this.key('ops'))).sort();
    const all = (await Promise.all(ids.map((id) => this.operator(id)))).filter(
      (o): o is OperatorState => o !== null,
    );
    return team === undefined ? all : all.filter((o) => o.teams.includes(team));
  }

  async dueTimers(now = this.clock()): Promise<DueTimer[]> {
    const members = await this.redis.zrangebyscore(this.key('t'), '-inf', String(now));
    const fired: DueTimer[] = [];
    // Renotify, then escalate, then lapses, like the SQL queue.
    const ordered = TIMER_KINDS.flatMap((kind) =>
      members.filter((m) => m.startsWith(`${kind}|`)).map((m) => ({ kind, id: m.slice(kind.length + 1) })),
    );
    for (const { kind, id } of ordered) {
      const timer = await this.change<DueTimer | null>(id, (current) => {
        const dueAt = current?.[TIMER_FIELD[kind]];
        // Fired by another process, or the entry moved on: nothing to do.
        if (!current || dueAt === null || dueAt === undefined || dueAt > now) return { skip: null };
        return this.fire(kind, current, dueAt, now);
      });
      if (timer) fired.push(timer);
    }
    return fired;
  }

  private fire(
    kind: TimerKey,
    current: QueueEntry,
    dueAt: number,
    now: number,
  ): { next: QueueEntry; result: DueTimer } | { skip: null } {
    const id = current.conversationId;
    if (kind === 'renotify') {
      if (current.state !== 'waiting') return { skip: null };
      const next = { ...current, renotifyAt: null };
      return { next, result: { kind: 'renotify', conversationId: id, dueAt, entry: next } };
    }
    if (kind === 'escalate') {
      if (current.state !== 'waiting') return { skip: null };
      const overflow = teamFor(this.config, current.team).overflow;
      const target = teamFor(this.config, overflow ?? current.team);
      const next: QueueEntry = {
        ...current,
        team: target.name,
        escalatedFrom: current.team,
        escalateAt: null,
        renotifyAt: overflow ? waitingTimers(target, now, { escalate: false }).renotifyAt : null,
      };
      return {
        next,
        result: { kind: 'escalate', conversationId: id, dueAt, fromTeam: current.team, entry: next },
      };
    }
    if (current.state !== 'claimed' || !current.operatorId) return { skip: null };
    const next: QueueEntry = {
      ...current,
      state: 'waiting',
      operatorId: null,
      claimedAt: null,
      lastActivityAt: null,
      lapseAt: null,
      ...waitingTimers(teamFor(this.config, current.team), now),
    };
    return {
      next,
      result: {
        kind: 'claim_lapsed',
        conversationId: id,
        dueAt,
        operatorId: current.operatorId,
        entry: next,
      },
    };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

class RefusedError extends Error {
  constructor(readonly reason: ClaimRefusal) {
    super(reason);
  }
}
