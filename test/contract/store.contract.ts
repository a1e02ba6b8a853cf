/**
 * The Store contract: every implementation must pass all of it. Run by
 * store.sqlite.test.ts and store.postgres.test.ts.
 */
import { StoreConflictError } from '../../src/store';
import type { NewMessage, Store } from '../../src/store';

export interface StoreFactory {
  open(): Promise<Store>;
  cleanup?(): Promise<void>;
}

export function storeContract(name: string, factory: () => StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let f: StoreFactory;

    beforeEach(async () => {
      f = factory();
      store = await f.open();
    });
    afterEach(async () => {
      await store.close();
      await f.cleanup?.();
    });

    async function conversation() {
      const customer = await store.customers.create({ profile: { name: 'Ada' } });
      const identity = await store.identities.create({
        channel: 'web',
        externalId: `v-${customer.id}`,
        customerId: customer.id,
        linkedBy: 'first_contact',
        address: { visitorId: 'x' },
      });
      const conv = await store.conversations.create({
        customerId: customer.id,
        lastChannel: 'web',
        lastIdentityId: identity.id,
      });
      return { customer, identity, conversation: conv };
    }

    function inbound(
      conversationId: string,
      customerId: string,
      text: string,
      extra: Partial<NewMessage> = {},
    ): NewMessage {
      return {
        conversationId,
        customerId,
        direction: 'in',
        author: 'customer',
        channel: 'web',
        content: { type: 'text', text },
        text,
        delivery: 'received',
        ...extra,
      };
    }

    function outbound(
      conversationId: string,
      customerId: string,
      text: string,
      extra: Partial<NewMessage> = {},
    ): NewMessage {
      return {
        conversationId,
        customerId,
        direction: 'out',
        author: 'bot',
        channel: 'telegram',
        content: { type: 'text', text },
        text,
        delivery: 'pending',
        address: { chatId: 1 },
        ...extra,
      };
    }

    test('migrate is idempotent and ping works', async () => {
      await store.migrate();
      await store.migrate();
      await expect(store.ping()).resolves.toBeUndefined();
    });

    test('customers: create, get, shallow-merge update', async () => {
      const c = await store.customers.create({
        profile: { name: 'Ada', email: 'ada@example.com' },
        attributes: { vip: true },
      });
      expect(await store.customers.get(c.id)).toEqual(c);
      const updated = await store.customers.update(c.id, {
        profile: { phone: '+441234' },
        attributes: { optOut: false },
      });
      expect(updated.profile).toEqual({ name: 'Ada', email: 'ada@example.com', phone: '+441234' });
      expect(updated.attributes).toEqual({ vip: true, optOut: false });
      expect(await store.customers.get('cus_missing')).toBeNull();
    });

    test('identities are unique per channel and external id, and can be relinked', async () => {
      const { customer, identity } = await conversation();
      expect(await store.identities.find('web', identity.externalId)).toEqual(identity);
      await expect(
        store.identities.create({
          channel: 'web',
          externalId: identity.externalId,
          customerId: customer.id,
          linkedBy: 'first_contact',
          address: {},
        }),
      ).rejects.toBeInstanceOf(StoreConflictError);
      // The same external id on another channel is another identity.
      await store.identities.create({
        channel: 'telegram',
        externalId: identity.externalId,
        customerId: customer.id,
        linkedBy: 'first_contact',
        address: {},
      });
      await store.identities.touch(identity.id, { address: { visitorId: 'y' }, lastInboundAt: 42 });
      const other = await store.customers.create();
      await store.identities.relink(identity.id, other.id, 'operator_merge', 'U123');
      const moved = await store.identities.get(identity.id);
      expect(moved).toMatchObject({
        customerId: other.id,
        linkedBy: 'operator_merge',
        linkedByWhom: 'U123',
        address: { visitorId: 'y' },
        lastInboundAt: 42,
      });
      expect((await store.identities.listByCustomer(customer.id)).map((i) => i.channel)).toEqual([
        'telegram',
      ]);
    });

    test('a customer has at most one open conversation', async () => {
      const { customer, identity, conversation: first } = await conversation();
      await expect(
        store.conversations.create({
          customerId: customer.id,
          lastChannel: 'web',
          lastIdentityId: identity.id,
        }),
      ).rejects.toBeInstanceOf(StoreConflictError);
      expect((await store.conversations.findOpen(customer.id))?.id).toBe(first.id);
      await store.conversations.update(first.id, { status: 'closed', closedAt: Date.now() });
      expect(await store.conversations.findOpen(customer.id)).toBeNull();
      const second = await store.conversations.create({
        customerId: customer.id,
        lastChannel: 'web',
        lastIdentityId: identity.id,
      });
      expect(second.id).not.toBe(first.id);
    });

    test('conversation updates persist flow state, handoff and data', async () => {
      const { conversation: c } = await conversation();
      const flow = { flowId: 'returns', flowVersion: 'abc', step: 'confirm', slots: { order: 'ORD-12345' } };
      const updated = await store.conversations.update(c.id, {
        status: 'queued',
        flow,
        handoff: { team: 'support' },
        data: { n: 1 },
      });
      expect(updated).toMatchObject({ status: 'queued', flow, handoff: { team: 'support' }, data: { n: 1 } });
      expect(await store.conversations.get(c.id)).toEqual(updated);
      expect((await store.conversations.listByStatus('queued', 10)).map((x) => x.id)).toEqual([c.id]);
      await expect(store.conversations.update('cnv_missing', { status: 'bot' })).rejects.toBeInstanceOf(
        StoreConflictError,
      );
    });

    test('messages get gapless seq in append order and list after a seq', async () => {
      const { customer, conversation: c } = await conversation();
      for (let i = 1; i <= 5; i++) await store.messages.append(inbound(c.id, customer.id, `m${i}`));
      const all = await store.messages.list(c.id);
      expect(all.map((m) => [m.seq, m.text])).toEqual([
        [1, 'm1'],
        [2, 'm2'],
        [3, 'm3'],
        [4, 'm4'],
        [5, 'm5'],
      ]);
      expect((await store.messages.list(c.id, { afterSeq: 3 })).map((m) => m.text)).toEqual(['m4', 'm5']);
      expect((await store.messages.list(c.id, { afterSeq: 1, limit: 2 })).map((m) => m.seq)).toEqual([2, 3]);
    });

    test('inbound appends are idempotent on (channel, platform id); outbound on the idempotency key', async () => {
      const { customer, conversation: c } = await conversation();
      const first = await store.messages.append(
        inbound(c.id, customer.id, 'hi', { platformMessageId: 'p1' }),
      );
      const again = await store.messages.append(
        inbound(c.id, customer.id, 'hi (redelivered)', { platformMessageId: 'p1' }),
      );
      expect(first.created).toBe(true);
      expect(again).toEqual({ created: false, message: first.message });
      // Same platform id on another channel is another message.
      const other = await store.messages.append(
        inbound(c.id, customer.id, 'x', { platformMessageId: 'p1', channel: 'telegram' }),
      );
      expect(other.created).toBe(true);
      expect(await store.messages.findInbound('web', 'p1')).toEqual(first.message);

      const r1 = await store.messages.append(
        outbound(c.id, customer.id, 'answer', { idempotencyKey: 'in1:1' }),
      );
      const r2 = await store.messages.append(
        outbound(c.id, customer.id, 'answer', { idempotencyKey: 'in1:1' }),
      );
      expect(r2).toEqual({ created: false, message: r1.message });
      expect((await store.messages.list(c.id)).length).toBe(3);
      expect(await store.messages.findByIdempotencyKey('in1:1')).toEqual(r1.message);
      expect(await store.messages.findByIdempotencyKey('in1:2')).toBeNull();
    });

    test('50 concurrent appends to one conversation get distinct, gapless seqs', async () => {
      const { customer, conversation: c } = await conversation();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.messages.append(inbound(c.id, customer.id, `m${i}`, { platformMessageId: `c${i}` })),
        ),
      );
      const seqs = (await store.messages.list(c.id)).map((m) => m.seq);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    test('unprocessed inbound messages come out oldest first until marked processed', async () => {
      const { customer, conversation: c } = await conversation();
      const a = await store.messages.append(inbound(c.id, customer.id, 'a'));
      await store.messages.append(outbound(c.id, customer.id, 'reply'));
      const b = await store.messages.append(inbound(c.id, customer.id, 'b'));
      expect(await store.conversations.listWithUnprocessed(10)).toEqual([c.id]);
      expect((await store.messages.nextUnprocessed(c.id))?.id).toBe(a.message.id);
      await store.messages.markProcessed(a.message.id, { nlu: { intent: 'greet', confidence: 0.9 } });
      expect((await store.messages.get(a.message.id))?.nlu).toEqual({ intent: 'greet', confidence: 0.9 });
      expect((await store.messages.nextUnprocessed(c.id))?.id).toBe(b.message.id);
      await store.messages.markProcessed(b.message.id);
      expect(await store.messages.nextUnprocessed(c.id)).toBeNull();
      expect(await store.conversations.listWithUnprocessed(10)).toEqual([]);
    });

    test('delivery: only the oldest pending message per conversation is due, and only when its time has come', async () => {
      const one = await conversation();
      const two = await conversation();
      const now = Date.now();
      const a1 = await store.messages.append(
        outbound(one.conversation.id, one.customer.id, 'a1', { nextAttemptAt: now }),
      );
      await store.messages.append(
        outbound(one.conversation.id, one.customer.id, 'a2', { nextAttemptAt: now }),
      );
      const b1 = await store.messages.append(
        outbound(two.conversation.id, two.customer.id, 'b1', { nextAttemptAt: now + 60_000 }),
      );
      expect(await store.messages.countPendingDelivery()).toBe(3);
      expect((await store.messages.dueForDelivery(now, 10)).map((m) => m.text)).toEqual(['a1']);
      expect((await store.messages.dueForDelivery(now + 60_000, 10)).map((m) => m.text).sort()).toEqual([
        'a1',
        'b1',
      ]);

      await store.messages.updateDelivery(a1.message.id, {
        delivery: 'pending',
        attempts: 1,
        deliveryError: '503',
        nextAttemptAt: now + 1000,
      });
      // a2 must wait behind a1 even though a2 is due: order within a conversation.
      expect(await store.messages.dueForDelivery(now, 10)).toEqual([]);
      await store.messages.updateDelivery(a1.message.id, {
        delivery: 'sent',
        attempts: 2,
        deliveryError: null,
        platformMessageId: 'tg-9',
      });
      expect((await store.messages.dueForDelivery(now, 10)).map((m) => m.text)).toEqual(['a2']);
      const sent = await store.messages.get(a1.message.id);
      expect(sent).toMatchObject({ delivery: 'sent', attempts: 2, platformMessageId: 'tg-9' });
      expect(sent?.deliveryError).toBeUndefined();
      expect((await store.messages.findOutbound('telegram', 'tg-9'))?.id).toBe(a1.message.id);
      await store.messages.updateDelivery(b1.message.id, { delivery: 'failed', deliveryError: 'blocked' });
      expect(await store.messages.countPendingDelivery()).toBe(1);
    });

    test('a transaction that throws leaves nothing behind', async () => {
      const { customer, conversation: c } = await conversation();
      await expect(
        store.transaction(async (tx) => {
          await tx.messages.append(inbound(c.id, customer.id, 'lost'));
          await tx.customers.update(customer.id, { profile: { name: 'Changed' } });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.messages.list(c.id)).toEqual([]);
      expect((await store.customers.get(customer.id))?.profile.name).toBe('Ada');
      // And the store still works afterwards.
      await store.transaction(async (tx) => {
        await tx.messages.append(inbound(c.id, customer.id, 'kept'));
      });
      expect((await store.messages.list(c.id)).map((m) => [m.seq, m.text])).toEqual([[1, 'kept']]);
    });

    test('leases are exclusive until released or expired', async () => {
      const { conversation: c } = await conversation();
      const now = Date.now();
      expect(await store.conversations.tryLease(c.id, 'A', 1000, now)).toBe(true);
      expect(await store.conversations.tryLease(c.id, 'B', 1000, now)).toBe(false);
      expect(await store.conversations.tryLease(c.id, 'A', 1000, now)).toBe(true);
      expect(await store.conversations.tryLease(c.id, 'B', 1000, now + 1001)).toBe(true);
      await store.conversations.releaseLease(c.id, 'A'); // not the owner any more: no effect
      expect(await store.conversations.tryLease(c.id, 'A', 1000, now + 1002)).toBe(false);
      await store.conversations.releaseLease(c.id, 'B');
      expect(await store.conversations.tryLease(c.id, 'A', 1000, now + 1003)).toBe(true);
    });

    test("the worker's two steps: claimNext takes the lease and the oldest message; finish marks it, moves on, and lets go after the last", async () => {
      const { customer, conversation: c } = await conversation();
      expect(await store.conversations.claimNext(c.id, { owner: 'A', ttlMs: 1000 })).toEqual({
        leased: true,
        next: null,
      });
      await store.conversations.releaseLease(c.id, 'A');
      const a = await store.messages.append(inbound(c.id, customer.id, 'a'));
      await store.messages.append(outbound(c.id, customer.id, 'reply'));
      const b = await store.messages.append(inbound(c.id, customer.id, 'b'));
      const claimed = await store.conversations.claimNext(c.id, { owner: 'A', ttlMs: 60_000 });
      expect([claimed.leased, claimed.next?.id]).toEqual([true, a.message.id]);
      // Held: another worker gets neither the lease nor the message.
      expect(await store.conversations.claimNext(c.id, { owner: 'B', ttlMs: 60_000 })).toEqual({
        leased: false,
        next: null,
      });
      const first = await store.messages.finish(a.message.id, c.id, {
        nlu: { intent: 'greet', confidence: 0.9 },
        leaseOwner: 'A',
      });
      expect([first.next?.id, first.released]).toEqual([b.message.id, false]);
      expect((await store.messages.get(a.message.id))?.nlu).toEqual({ intent: 'greet', confidence: 0.9 });
      expect((await store.messages.get(a.message.id))?.processedAt).toBeGreaterThan(0);
      const last = await store.messages.finish(b.message.id, c.id, { leaseOwner: 'A' });
      expect(last).toEqual({ next: null, released: true, appendedMeanwhile: false });
      expect(await store.messages.nextUnprocessed(c.id)).toBeNull();
      // Released: B may take it now. Without a lease, claimNext only reads.
      expect((await store.conversations.claimNext(c.id, { owner: 'B', ttlMs: 1000 })).leased).toBe(true);
      const c2 = await store.messages.append(inbound(c.id, customer.id, 'c'));
      expect((await store.conversations.claimNext(c.id)).next?.id).toBe(c2.message.id);
      expect(await store.messages.finish(c2.message.id, c.id)).toEqual({
        next: null,
        released: false,
        appendedMeanwhile: false,
      });
    });

    test('an append with a known idempotency key returns the stored message and changes nothing', async () => {
      const { customer, conversation: c } = await conversation();
      const key = { idempotencyKey: 'turn-1:1' };
      const one = await store.messages.append({ ...outbound(c.id, customer.id, 'hello'), ...key });
      const two = await store.messages.append({ ...outbound(c.id, customer.id, 'hello again'), ...key });
      expect([one.created, two.created, two.message.id, two.message.text]).toEqual([
        true,
        false,
        one.message.id,
        'hello',
      ]);
      expect((await store.messages.list(c.id)).map((m) => m.seq)).toEqual([1]);
      await expect(
        store.messages.append({ ...outbound('cnv_missing', customer.id, 'x'), idempotencyKey: 'k2' }),
      ).rejects.toMatchObject({ code: 'SB_STORE_CONFLICT' });
    });

    test('full-text search finds messages by words, filters by channel, and takes user input literally', async () => {
      const { customer, conversation: c } = await conversation();
      await store.messages.append(inbound(c.id, customer.id, 'Where is my parcel? Order ORD-12345'));
      await store.messages.append(
        inbound(c.id, customer.id, 'The parcel arrived broken', { channel: 'telegram' }),
      );
      await store.messages.append(inbound(c.id, customer.id, 'thanks a lot'));
      expect((await store.messages.search({ text: 'parcel' })).length).toBe(2);
      expect(
        (await store.messages.search({ text: 'parcel', channel: 'telegram' })).map((m) => m.text),
      ).toEqual(['The parcel arrived broken']);
      expect((await store.messages.search({ text: 'parcel broken' })).map((m) => m.text)).toEqual([
        'The parcel arrived broken',
      ]);
      expect((await store.messages.search({ text: 'ORD 12345' })).length).toBe(1);
      expect(await store.messages.search({ text: '" OR * NEAR(' })).toEqual([]);
      expect(await store.messages.search({ text: 'elephant' })).toEqual([]);
    });

    test('conversation search: by words, channel, outcome (status + event log), sentiment, customer', async () => {
      const t0 = Date.now() - 60_000;
      let tick = 0;
      const at = () => t0 + ++tick * 10;
      async function make(
        lines: { text: string; channel?: string; score?: number; out?: boolean }[],
        options: {
          events?: [string, Record<string, unknown>?][];
          status?: 'queued' | 'assigned' | 'closed';
        } = {},
      ) {
        const { customer, conversation: c } = await conversation();
        for (const line of lines) {
          const { message } = await store.messages.append(
            line.out
              ? {
                  ...inbound(c.id, customer.id, line.text, {
                    channel: line.channel ?? 'web',
                    createdAt: at(),
                  }),
                  direction: 'out',
                  author: 'bot',
                  delivery: 'sent',
                }
              : inbound(c.id, customer.id, line.text, { channel: line.channel ?? 'web', createdAt: at() }),
          );
          if (line.score !== undefined) {
            const label = line.score >= 0.1 ? 'positive' : line.score <= -0.1 ? 'negative' : 'neutral';
            await store.messages.markProcessed(message.id, {
              nlu: { intent: null, confidence: 0, sentiment: { score: line.score, label } },
            });
          }
        }
        for (const [type, data] of options.events ?? []) await store.events.add(c.id, type, data);
        if (options.status)
          await store.conversations.update(c.id, {
            status: options.status,
            ...(options.status === 'closed' && { closedAt: at() }),
          });
        return { id: c.id, customerId: customer.id };
      }
      const happy = await make([
        { text: 'Where is my parcel?', score: 0.2 },
        { text: 'It is on its way', out: true },
        { text: 'Great, thank you!', score: 0.8 },
      ]);
      const resolved = await make(
        [
          { text: 'The parcel arrived broken, I want a refund', channel: 'telegram', score: -0.6 },
          { text: 'Still waiting for my refund', channel: 'web', score: -0.2 },
        ],
        {
          events: [['handoff_requested'], ['handoff_claimed'], ['handoff_resolved'], ['csat', { rating: 2 }]],
        },
      );
      const queued = await make([{ text: 'refund please', channel: 'whatsapp', score: 0 }], {
        events: [['handoff_requested']],
        status: 'queued',
      });
      const cancelled = await make([{ text: 'a person please', score: -0.05 }], {
        events: [['handoff_requested'], ['handoff_resolved'], ['handoff_requested'], ['handoff_cancelled']],
        status: 'closed',
      });
      const closed = await make([{ text: 'opening hours?' }], { status: 'closed' });
      const handedBack = await make([{ text: 'I need a human' }], {
        events: [['handoff_requested'], ['handoff_handed_back']],
      });
      const ids = (list: { id: string }[]) => list.map((c) => c.id);

      expect(ids(await store.conversations.search({}))).toEqual(
        ids([handedBack, closed, cancelled, queued, resolved, happy]),
      );
      expect(ids(await store.conversations.search({ limit: 2 }))).toEqual(ids([handedBack, closed]));
      const outcome = async (o: Parameters<Store['conversations']['search']>[0]['outcome']) =>
        ids(await store.conversations.search({ outcome: o }));
      expect(await outcome('bot')).toEqual([happy.id]);
      expect(await outcome('resolved')).toEqual([resolved.id]);
      expect(await outcome('queued')).toEqual([queued.id]);
      expect(await outcome('cancelled')).toEqual([cancelled.id]);
      expect(await outcome('closed')).toEqual([closed.id]);
      expect(await outcome('handed_back')).toEqual([handedBack.id]);
      expect(await outcome('assigned')).toEqual([]);

      expect(ids(await store.conversations.search({ sentiment: 'positive' }))).toEqual([happy.id]);
      expect(ids(await store.conversations.search({ sentiment: 'negative' }))).toEqual([resolved.id]);
      expect(ids(await store.conversations.search({ sentiment: 'neutral' }))).toEqual(
        ids([cancelled, queued]),
      );

      const refunds = await store.conversations.search({ text: 'refund' });
      expect(ids(refunds)).toEqual(ids([queued, resolved]));
      expect(refunds[1]?.matches.map((m) => [m.channel, m.text])).toEqual([
        ['web', 'Still waiting for my refund'],
        ['telegram', 'The parcel arrived broken, I want a refund'],
      ]);
      expect(ids(await store.conversations.search({ text: 'refund', channel: 'telegram' }))).toEqual([
        resolved.id,
      ]);
      expect(ids(await store.conversations.search({ text: 'parcel broken' }))).toEqual([resolved.id]);
      expect(await store.conversations.search({ text: '" OR * NEAR(' })).toEqual([]);
      expect(await store.conversations.search({ text: 'elephant' })).toEqual([]);
      expect(ids(await store.conversations.search({ channel: 'whatsapp' }))).toEqual([queued.id]);
      expect(ids(await store.conversations.search({ customerId: happy.customerId }))).toEqual([happy.id]);

      const [summary] = await store.conversations.search({ conversationId: resolved.id });
      expect(summary).toMatchObject({
        id: resolved.id,
        customerId: resolved.customerId,
        status: 'bot',
        outcome: 'resolved',
        lastChannel: 'web',
        channels: ['telegram', 'web'],
        messageCount: 2,
        sentiment: { average: -0.4, label: 'negative', last: { score: -0.2, label: 'negative' } },
        csat: 2,
        closedAt: null,
        matches: [],
      });
      const [quiet] = await store.conversations.search({ conversationId: closed.id });
      expect(quiet?.sentiment).toEqual({ average: null, label: null, last: null });
      expect(quiet?.closedAt).toEqual(expect.any(Number));
    });

    test('events and kv', async () => {
      const { conversation: c } = await conversation();
      await store.events.add(c.id, 'delivery_failed', { reason: 'blocked' });
      await store.events.add(c.id, 'handoff', {});
      expect((await store.events.list(c.id)).map((e) => [e.type, e.data])).toEqual([
        ['delivery_failed', { reason: 'blocked' }],
        ['handoff', {}],
      ]);
      await store.kv.set('telegram.offset', 42);
      expect(await store.kv.get('telegram.offset')).toBe(42);
      await store.kv.set('telegram.offset', { n: 43 });
      expect(await store.kv.get('telegram.offset')).toEqual({ n: 43 });
      await store.kv.set('short', 'x', -1);
      expect(await store.kv.get('short')).toBeNull();
      await store.kv.delete('telegram.offset');
      expect(await store.kv.get('telegram.offset')).toBeNull();
      // add: only where there is nothing (or only something expired); the first writer wins.
      expect(await Promise.all([store.kv.add('secret', 'a'), store.kv.add('secret', 'b')])).toEqual([
        true,
        false,
      ]);
      expect(await store.kv.get('secret')).toBe('a');
      expect(await store.kv.add('short', 'y')).toBe(true);
      expect(await store.kv.get('short')).toBe('y');
    });
  });
}
