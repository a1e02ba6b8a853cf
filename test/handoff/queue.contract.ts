/**
 * The HandoffQueue contract: every implementation passes all of it. Run by
 * queue.sqlite.test.ts, queue.postgres.test.ts and queue.redis.test.ts.
 *
 * Time is an injected clock: SLA and lapse timers are tested by moving it, never by
 * sleeping. "Two processes" are two queue instances with their own connections to the
 * same database or Redis.
 */
import {
  type HandoffConfig,
  type HandoffQueue,
  type HandoffTimersOptions,
  parseHandoffConfig,
  startHandoffTimers,
} from '../../src/handoff';
import { until } from '../helpers/until';

export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const S = 1000;

export const contractConfig: HandoffConfig = parseHandoffConfig(`
default_team: support
claim_timeout: 600
handle_time: 300
teams:
  support:
    channel: C0SUPPORT
    sla: { renotify: 120, escalate: 300 }
    overflow: complaints
  returns:
    channel: C0RETURNS
    sla: { renotify: 60 }
    claim_timeout: 120
  complaints:
    channel: C0COMPLAIN
    sla: { renotify: 30 }
operators:
  - { slack: U0ADA, name: Ada, teams: [support, returns], capacity: 2 }
  - { slack: U0BOB, name: Bob, teams: [support], capacity: 1 }
  - { slack: U0CY, name: Cy, teams: [complaints], capacity: 1 }
`);

export interface OpenedQueue {
  queue: HandoffQueue;
  /** Closes the queue and everything under it (store, connections): the process ends. */
  close(): Promise<void>;
}

export interface QueueBackend {
  /** A new queue instance on the shared backend, with its own connection; registers the operators. */
  open(config: HandoffConfig, clock: () => number): Promise<OpenedQueue>;
  /** Drops the backend's data (schema, keys, files). */
  cleanup(): Promise<void>;
  /** What `startHandoffTimers` needs besides the queue (Redis: the URL and prefix, for BullMQ). */
  timerOptions?: HandoffTimersOptions;
}

export function queueContract(name: string, backend: () => QueueBackend): void {
  describe(`HandoffQueue contract: ${name}`, () => {
    let b: QueueBackend;
    let now: number;
    const clock = () => now;
    const opened: OpenedQueue[] = [];
    let queue: HandoffQueue;

    async function open(): Promise<HandoffQueue> {
      const o = await b.open(contractConfig, clock);
      opened.push(o);
      return o.queue;
    }

    beforeEach(async () => {
      now = T0;
      b = backend();
      queue = await open();
    });
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close();
      await b.cleanup();
    });

    const escalate = (conversationId: string, extra: Partial<Parameters<HandoffQueue['enqueue']>[0]> = {}) =>
      queue.enqueue({
        conversationId,
        team: 'support',
        priority: 'normal',
        reason: 'Asked for a person',
        ...extra,
      });

    test('enqueue stores the escalation; enqueueing again changes nothing', async () => {
      const first = await escalate('cnv_1', { reason: 'Damaged parcel', priority: 'high' });
      expect(first.created).toBe(true);
      expect(first.entry).toMatchObject({
        conversationId: 'cnv_1',
        team: 'support',
        priority: 'high',
        reason: 'Damaged parcel',
        waitingSince: T0,
        state: 'waiting',
        operatorId: null,
        renotifyAt: T0 + 120 * S,
        escalateAt: T0 + 300 * S,
        lapseAt: null,
      });
      now += 5 * S;
      const again = await escalate('cnv_1', { priority: 'low', team: 'returns' });
      expect(again.created).toBe(false);
      expect(again.entry).toEqual(first.entry);
      expect(await queue.get('cnv_1')).toEqual(first.entry);
      expect(await queue.get('cnv_unknown')).toBeNull();
    });

    test('an unknown team goes to the default team; waitingSince can be given', async () => {
      const { entry } = await escalate('cnv_1', { team: 'billing', waitingSince: T0 - 60 * S });
      expect(entry.team).toBe('support');
      expect(entry.waitingSince).toBe(T0 - 60 * S);
    });

    test('waiting conversations are listed by priority, then by age, per team and overall', async () => {
      await escalate('cnv_low', { priority: 'low' });
      now += S;
      await escalate('cnv_normal_old');
      now += S;
      await escalate('cnv_urgent', { priority: 'urgent' });
      now += S;
      await escalate('cnv_normal_new');
      now += S;
      await escalate('cnv_high', { priority: 'high' });
      now += S;
      await escalate('cnv_returns', { team: 'returns', priority: 'urgent' });
      const ids = (entries: { conversationId: string }[]) => entries.map((e) => e.conversationId);
      expect(ids(await queue.listWaiting('support'))).toEqual([
        'cnv_urgent',
        'cnv_high',
        'cnv_normal_old',
        'cnv_normal_new',
        'cnv_low',
      ]);
      expect(ids(await queue.listWaiting('returns'))).toEqual(['cnv_returns']);
      expect(ids(await queue.listWaiting())).toEqual([
        'cnv_urgent',
        'cnv_returns',
        'cnv_high',
        'cnv_normal_old',
        'cnv_normal_new',
        'cnv_low',
      ]);
      expect(ids(await queue.listWaiting('support', 2))).toEqual(['cnv_urgent', 'cnv_high']);
      expect(await queue.listWaiting('complaints')).toEqual([]);
    });

    test('position and expected wait follow the order and the available operators', async () => {
      await escalate('cnv_a');
      now += S;
      await escalate('cnv_b');
      now += S;
      await escalate('cnv_c');
      now += S;
      await escalate('cnv_vip', { priority: 'urgent' });
      // support has Ada and Bob available; handle_time 300 s.
      expect(await queue.position('cnv_vip')).toEqual({
        team: 'support',
        position: 1,
        expectedWaitMs: 300 * S,
      });
      expect(await queue.position('cnv_a')).toEqual({
        team: 'support',
        position: 2,
        expectedWaitMs: 300 * S,
      });
      expect(await queue.position('cnv_c')).toEqual({
        team: 'support',
        position: 4,
        expectedWaitMs: 600 * S,
      });
      await queue.setAvailability('U0BOB', 'away');
      expect(await queue.position('cnv_c')).toEqual({
        team: 'support',
        position: 4,
        expectedWaitMs: 1200 * S,
      });
      expect((await queue.claim('cnv_vip', 'U0ADA')).ok).toBe(true);
      expect(await queue.position('cnv_vip')).toBeNull();
      expect((await queue.position('cnv_c'))?.position).toBe(3);
      expect(await queue.position('cnv_nowhere')).toBeNull();
    });

    test('claim: the operator holds it; a second claim is refused', async () => {
      await escalate('cnv_1');
      now += 10 * S;
      const claim = await queue.claim('cnv_1', 'U0ADA');
      expect(claim).toEqual({
        ok: true,
        entry: expect.objectContaining({
          state: 'claimed',
          operatorId: 'U0ADA',
          claimedAt: now,
          lastActivityAt: now,
          lapseAt: now + 600 * S,
          renotifyAt: null,
          escalateAt: null,
        }),
      });
      expect(await queue.claim('cnv_1', 'U0BOB')).toEqual({ ok: false, reason: 'not_waiting' });
      expect(await queue.claim('cnv_1', 'U0ADA')).toEqual({ ok: false, reason: 'not_waiting' });
      expect(await queue.claim('cnv_none', 'U0ADA')).toEqual({ ok: false, reason: 'not_waiting' });
      expect((await queue.listClaimed('U0ADA')).map((e) => e.conversationId)).toEqual(['cnv_1']);
      expect(await queue.listWaiting('support')).toEqual([]);
      expect((await queue.operator('U0ADA'))?.active).toBe(1);
    });

    test('simultaneous claims, in one process and from two processes, have exactly one winner', async () => {
      const other = await open();
      const ids = Array.from({ length: 8 }, (_, i) => `cnv_race_${i}`);
      for (const id of ids) await escalate(id);
      for (const id of ids) {
        const results = await Promise.all([
          queue.claim(id, 'U0ADA'),
          other.claim(id, 'U0CY'),
          queue.claim(id, 'U0CY'),
          other.claim(id, 'U0ADA'),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const winner = results.find((r) => r.ok);
        const holder = winner?.ok ? winner.entry.operatorId : null;
        for (const r of results) if (!r.ok) expect(['not_waiting', 'at_capacity']).toContain(r.reason);
        expect((await other.get(id))?.operatorId).toBe(holder);
        // Free both operators for the next round.
        await queue.resolve(id);
      }
    });

    test('capacity: claims beyond it are refused, also when they race from two processes', async () => {
      const other = await open();
      for (const id of ['cnv_1', 'cnv_2', 'cnv_3', 'cnv_4', 'cnv_5']) await escalate(id);
      expect((await queue.claim('cnv_1', 'U0BOB')).ok).toBe(true);
      expect(await queue.claim('cnv_2', 'U0BOB')).toEqual({ ok: false, reason: 'at_capacity' });
      expect((await queue.get('cnv_2'))?.state).toBe('waiting');
      // Ada (capacity 2) clicks four cards at once, from two processes: two succeed.
      const results = await Promise.all([
        queue.claim('cnv_2', 'U0ADA'),
        other.claim('cnv_3', 'U0ADA'),
        queue.claim('cnv_4', 'U0ADA'),
        other.claim('cnv_5', 'U0ADA'),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(2);
      expect(results.filter((r) => !r.ok)).toEqual([
        { ok: false, reason: 'at_capacity' },
        { ok: false, reason: 'at_capacity' },
      ]);
      expect(await queue.operator('U0ADA')).toMatchObject({ active: 2, capacity: 2 });
      expect(await queue.listWaiting('support')).toHaveLength(2);
      // Resolving one frees a slot.
      const held = (await queue.listClaimed('U0ADA'))[0];
      await queue.resolve(held?.conversationId ?? '');
      const waiting = (await queue.listWaiting('support'))[0];
      expect((await queue.claim(waiting?.conversationId ?? '', 'U0ADA')).ok).toBe(true);
    });

    test('availability: an away or unknown operator cannot claim; upserting keeps availability', async () => {
      await escalate('cnv_1');
      expect(await queue.setAvailability('U0ADA', 'away')).toMatchObject({
        id: 'U0ADA',
        availability: 'away',
      });
      expect(await queue.claim('cnv_1', 'U0ADA')).toEqual({ ok: false, reason: 'operator_away' });
      expect(await queue.claim('cnv_1', 'U0NOBODY')).toEqual({ ok: false, reason: 'unknown_operator' });
      expect(await queue.setAvailability('U0NOBODY', 'available')).toBeNull();
      expect(await queue.operator('U0NOBODY')).toBeNull();
      await queue.upsertOperator({ id: 'U0ADA', name: 'Ada L.', teams: ['support'], capacity: 4 });
      expect(await queue.operator('U0ADA')).toEqual({
        id: 'U0ADA',
        name: 'Ada L.',
        teams: ['support'],
        capacity: 4,
        availability: 'away',
        active: 0,
      });
      await queue.setAvailability('U0ADA', 'available');
      expect((await queue.claim('cnv_1', 'U0ADA')).ok).toBe(true);
      expect((await queue.operators('support')).map((o) => o.id)).toEqual(['U0ADA', 'U0BOB']);
      expect((await queue.operators()).map((o) => o.id)).toEqual(['U0ADA', 'U0BOB', 'U0CY']);
    });

    test('transfer and release put the conversation back to waiting, keeping its age', async () => {
      await escalate('cnv_1');
      now += 30 * S;
      await escalate('cnv_2');
      await queue.claim('cnv_1', 'U0ADA');
      now += 60 * S;
      const moved = await queue.transfer('cnv_1', 'returns');
      expect(moved).toMatchObject({
        conversationId: 'cnv_1',
        team: 'returns',
        state: 'waiting',
        operatorId: null,
        waitingSince: T0,
        lapseAt: null,
        renotifyAt: now + 60 * S,
        escalateAt: null,
      });
      expect((await queue.operator('U0ADA'))?.active).toBe(0);
      expect((await queue.listWaiting('returns')).map((e) => e.conversationId)).toEqual(['cnv_1']);
      expect((await queue.listWaiting('support')).map((e) => e.conversationId)).toEqual(['cnv_2']);
      // A waiting one can be transferred too.
      expect((await queue.transfer('cnv_2', 'returns'))?.team).toBe('returns');
      expect((await queue.listWaiting('returns')).map((e) => e.conversationId)).toEqual(['cnv_1', 'cnv_2']);

      await queue.claim('cnv_2', 'U0BOB');
      const released = await queue.release('cnv_2');
      expect(released).toMatchObject({ team: 'returns', state: 'waiting', operatorId: null });
      expect((await queue.operator('U0BOB'))?.active).toBe(0);
      expect(await queue.transfer('cnv_none', 'returns')).toBeNull();
      expect(await queue.release('cnv_none')).toBeNull();
    });

    test('resolve removes the conversation; it can be escalated again later', async () => {
      await escalate('cnv_1');
      await queue.claim('cnv_1', 'U0BOB');
      const done = await queue.resolve('cnv_1');
      expect(done).toMatchObject({ conversationId: 'cnv_1', state: 'claimed', operatorId: 'U0BOB' });
      expect(await queue.get('cnv_1')).toBeNull();
      expect(await queue.listClaimed('U0BOB')).toEqual([]);
      expect((await queue.operator('U0BOB'))?.active).toBe(0);
      expect(await queue.resolve('cnv_1')).toBeNull();
      now += 60 * S;
      const again = await escalate('cnv_1', { priority: 'urgent' });
      expect(again).toMatchObject({ created: true, entry: { state: 'waiting', waitingSince: now } });
    });

    test('cancel removes a waiting conversation, not a claimed one', async () => {
      await escalate('cnv_1');
      await escalate('cnv_2');
      expect(await queue.cancel('cnv_1')).toMatchObject({ conversationId: 'cnv_1', state: 'waiting' });
      expect(await queue.get('cnv_1')).toBeNull();
      expect(await queue.listWaiting('support')).toHaveLength(1);
      await queue.claim('cnv_2', 'U0ADA');
      expect(await queue.cancel('cnv_2')).toBeNull();
      expect((await queue.get('cnv_2'))?.state).toBe('claimed');
      expect(await queue.cancel('cnv_none')).toBeNull();
      // Nothing left to fire for the cancelled one.
      now += 3600 * S;
      const timers = await queue.dueTimers();
      expect(timers.map((t) => t.conversationId)).toEqual(['cnv_2']);
    });

    test('a claim lapses when the operator stays silent; touch keeps it', async () => {
      await escalate('cnv_1');
      await queue.claim('cnv_1', 'U0ADA');
      now += 500 * S;
      expect(await queue.touch('cnv_1', 'U0ADA')).toBe(true);
      expect(await queue.touch('cnv_1', 'U0BOB')).toBe(false);
      expect(await queue.touch('cnv_none', 'U0ADA')).toBe(false);
      now += 599 * S;
      expect(await queue.dueTimers()).toEqual([]);
      now += 1 * S;
      const timers = await queue.dueTimers();
      expect(timers).toEqual([
        {
          kind: 'claim_lapsed',
          conversationId: 'cnv_1',
          operatorId: 'U0ADA',
          dueAt: T0 + 1100 * S,
          entry: expect.objectContaining({
            state: 'waiting',
            operatorId: null,
            waitingSince: T0,
            lapseAt: null,
            renotifyAt: now + 120 * S,
          }),
        },
      ]);
      expect(await queue.dueTimers()).toEqual([]);
      expect(await queue.listClaimed('U0ADA')).toEqual([]);
      expect((await queue.listWaiting('support')).map((e) => e.conversationId)).toEqual(['cnv_1']);
      expect(await queue.touch('cnv_1', 'U0ADA')).toBe(false);
      // The team's own claim timeout applies (returns: 120 s).
      await queue.transfer('cnv_1', 'returns');
      await queue.claim('cnv_1', 'U0ADA');
      expect((await queue.get('cnv_1'))?.lapseAt).toBe(now + 120 * S);
    });

    test('SLA timers: renotify, then escalate to the overflow team, each once', async () => {
      await escalate('cnv_1');
      now += 10 * S;
      await escalate('cnv_2', { team: 'returns' });
      await escalate('cnv_3', { team: 'complaints' });
      await queue.claim('cnv_3', 'U0CY');
      now = T0 + 69 * S;
      expect(await queue.dueTimers()).toEqual([]);
      now = T0 + 120 * S;
      // Fired in due order.
      expect(await queue.dueTimers()).toEqual([
        { kind: 'renotify', conversationId: 'cnv_2', dueAt: T0 + 70 * S, entry: expect.any(Object) },
        { kind: 'renotify', conversationId: 'cnv_1', dueAt: T0 + 120 * S, entry: expect.any(Object) },
      ]);
      expect(await queue.dueTimers()).toEqual([]);
      now = T0 + 299 * S;
      expect(await queue.dueTimers()).toEqual([]);
      now = T0 + 300 * S;
      const [escalation, ...rest] = await queue.dueTimers();
      expect(rest).toEqual([]);
      expect(escalation).toEqual({
        kind: 'escalate',
        conversationId: 'cnv_1',
        dueAt: T0 + 300 * S,
        fromTeam: 'support',
        entry: expect.objectContaining({
          team: 'complaints',
          escalatedFrom: 'support',
          state: 'waiting',
          waitingSince: T0,
          escalateAt: null,
          renotifyAt: T0 + 330 * S,
        }),
      });
      expect((await queue.listWaiting('complaints')).map((e) => e.conversationId)).toEqual(['cnv_1']);
      expect(await queue.listWaiting('support')).toEqual([]);
      // In the overflow team it is renotified on that team's SLA, and never escalated again.
      now = T0 + 400 * S;
      expect((await queue.dueTimers()).map((t) => [t.kind, t.conversationId])).toEqual([
        ['renotify', 'cnv_1'],
      ]);
      expect(await queue.dueTimers()).toEqual([]);
    });

    test('a due timer fires once even when two processes poll at the same moment', async () => {
      const other = await open();
      for (let i = 0; i < 6; i++) await escalate(`cnv_${i}`);
      now += 300 * S;
      const [a, b2] = await Promise.all([queue.dueTimers(), other.dueTimers()]);
      const fired = [...a, ...b2].map((t) => `${t.kind}:${t.conversationId}`).sort();
      const expected = Array.from({ length: 6 }, (_, i) => [`escalate:cnv_${i}`, `renotify:cnv_${i}`])
        .flat()
        .sort();
      expect(fired).toEqual(expected);
    });

    test('startHandoffTimers hands each fired timer to the desk, again after the desk failed', async () => {
      await escalate('cnv_1');
      now += 120 * S;
      const delivered: string[] = [];
      const errors: string[] = [];
      let slackDown = true;
      const timers = await startHandoffTimers(
        queue,
        async (timer) => {
          if (slackDown) {
            slackDown = false;
            throw new Error('Slack is down');
          }
          delivered.push(`${timer.kind}:${timer.conversationId}:${timer.dueAt}`);
        },
        {
          ...b.timerOptions,
          intervalMs: 20,
          retryDelayMs: 10,
          onError: (e) => errors.push((e as Error).message),
        },
      );
      try {
        await until(() => delivered.length > 0, 15_000);
      } finally {
        await timers.stop();
      }
      expect(delivered).toEqual([`renotify:cnv_1:${T0 + 120 * S}`]);
      expect(errors).toContain('Slack is down');
      expect(await queue.dueTimers()).toEqual([]);
    });

    test('durable: the process ends while conversations are queued; after a restart they still are and timers fire', async () => {
      const first = opened[0] as OpenedQueue;
      await escalate('cnv_waiting', { priority: 'high' });
      await escalate('cnv_claimed');
      await queue.claim('cnv_claimed', 'U0BOB');
      await queue.setAvailability('U0ADA', 'away');
      await first.close();
      opened.splice(0, 1);

      const restarted = await open();
      expect(await restarted.get('cnv_waiting')).toMatchObject({ state: 'waiting', priority: 'high' });
      expect(await restarted.get('cnv_claimed')).toMatchObject({ state: 'claimed', operatorId: 'U0BOB' });
      expect(await restarted.operator('U0ADA')).toMatchObject({ availability: 'away' });
      expect(await restarted.operator('U0BOB')).toMatchObject({ active: 1 });
      now += 120 * S;
      expect((await restarted.dueTimers()).map((t) => [t.kind, t.conversationId])).toEqual([
        ['renotify', 'cnv_waiting'],
      ]);
    });
  });
}
