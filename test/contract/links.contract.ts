/**
 * The link repository's contract (codes, merge, unmerge), run on SQLite and PostgreSQL by
 * links.sqlite.test.ts and links.postgres.test.ts.
 */
import { findCodeClaim } from '../../src/identity/codes';
import { DEFAULT_LINKING, issueLinkCode, redeemCode } from '../../src/identity/linking';
import type { ConversationStatus } from '../../src/model';
import type { Store } from '../../src/store';
import type { StoreFactory } from './store.contract';

export function linksContract(name: string, factory: () => StoreFactory): void {
  describe(`Link repository: ${name}`, () => {
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

    /** A customer with one identity on `channel` and, unless `open` is false, an open conversation. */
    async function person(channel: string, externalId: string, texts: string[], status?: ConversationStatus) {
      const customer = await store.customers.create({ profile: { name: externalId } });
      const identity = await store.identities.create({
        channel,
        externalId,
        customerId: customer.id,
        linkedBy: 'first_contact',
        address: { id: externalId },
        lastInboundAt: Date.now(),
      });
      let conversationId: string | undefined;
      if (texts.length > 0 || status) {
        const conversation = await store.conversations.create({
          customerId: customer.id,
          lastChannel: channel,
          lastIdentityId: identity.id,
        });
        conversationId = conversation.id;
        for (const [i, text] of texts.entries()) {
          await store.messages.append({
            conversationId,
            customerId: customer.id,
            direction: i % 2 === 0 ? 'in' : 'out',
            author: i % 2 === 0 ? 'customer' : 'bot',
            channel,
            content: { type: 'text', text },
            text,
            platformMessageId: `${externalId}:${i}`,
            delivery: i % 2 === 0 ? 'received' : 'sent',
          });
        }
        if (status) await store.conversations.update(conversationId, { status });
      }
      return { customer, identity, conversationId };
    }

    /** Everything about some customers that a link may change, without timestamps it may touch. */
    async function snapshot(customerIds: string[], conversationIds: string[]) {
      const out: Record<string, unknown> = {};
      for (const id of customerIds) out[`identities:${id}`] = await store.identities.listByCustomer(id);
      for (const id of conversationIds) {
        const conversation = await store.conversations.get(id);
        const { updatedAt: _u, ...rest } = conversation ?? ({} as Record<string, unknown>);
        out[`conversation:${id}`] = rest;
        out[`messages:${id}`] = await store.messages.list(id);
      }
      return out;
    }

    test('a code is used once, never after it expired, and only as long as it exists', async () => {
      const { customer } = await person('web', 'visitor-1', ['hi']);
      const now = Date.now();
      await store.links.addCode({
        codeHash: 'h1',
        kind: 'link_code',
        customerId: customer.id,
        channel: 'telegram',
        createdAt: now,
        expiresAt: now + 60_000,
      });
      await store.links.addCode({
        codeHash: 'h2',
        kind: 'link_code',
        customerId: customer.id,
        createdAt: now - 120_000,
        expiresAt: now - 60_000,
      });
      const [first, second] = await Promise.all([
        store.links.useCode('h1', 'idn_a', now),
        store.links.useCode('h1', 'idn_b', now),
      ]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      expect(await store.links.useCode('h1', 'idn_c', now)).toBe(false);
      expect(await store.links.getCode('h1')).toMatchObject({
        kind: 'link_code',
        customerId: customer.id,
        channel: 'telegram',
        usedAt: now,
        usedByIdentityId: first ? 'idn_a' : 'idn_b',
      });
      expect(await store.links.useCode('h2', 'idn_a', now)).toBe(false);
      expect(await store.links.useCode('nope', 'idn_a', now)).toBe(false);
      expect(await store.links.getCode('nope')).toBeNull();
      expect(await store.links.deleteExpiredCodes(now)).toBe(1);
      expect(await store.links.getCode('h2')).toBeNull();
    });

    test('one-time codes wait for the identity that asked for them', async () => {
      const { customer } = await person('web', 'visitor-2', []);
      const now = Date.now();
      await store.links.addCode({
        codeHash: 'otp1',
        kind: 'one_time_code',
        customerId: customer.id,
        identityId: 'idn_requester',
        destination: 'a***@example.com',
        createdAt: now,
        expiresAt: now + 60_000,
      });
      expect((await store.links.pendingOneTimeCodes('idn_requester', now)).map((c) => c.codeHash)).toEqual([
        'otp1',
      ]);
      expect(await store.links.pendingOneTimeCodes('idn_other', now)).toEqual([]);
      expect(await store.links.pendingOneTimeCodes('idn_requester', now + 61_000)).toEqual([]);
      expect(await store.links.useCode('otp1', 'idn_requester', now)).toBe(true);
      expect(await store.links.pendingOneTimeCodes('idn_requester', now)).toEqual([]);
    });

    test('merge without a second open conversation moves identities and conversations; unmerge puts them back', async () => {
      const web = await person('web', 'visitor-3', ['where is my order?', 'What is your order number?']);
      const tg = await person('telegram', '700', []);
      const before = await snapshot([web.customer.id, tg.customer.id], [web.conversationId as string]);

      const link = await store.links.merge({
        from: tg.customer.id,
        into: web.customer.id,
        method: 'link_code',
        identityId: tg.identity.id,
      });
      expect(link).toMatchObject({
        method: 'link_code',
        fromCustomerId: tg.customer.id,
        intoCustomerId: web.customer.id,
        identityId: tg.identity.id,
        conversationId: web.conversationId,
      });
      expect(await store.identities.find('telegram', '700')).toMatchObject({
        customerId: web.customer.id,
        linkedBy: 'link_code',
      });
      expect(await store.identities.listByCustomer(tg.customer.id)).toEqual([]);
      expect((await store.conversations.findOpen(web.customer.id))?.id).toBe(web.conversationId);
      expect(await store.links.listByCustomer(tg.customer.id)).toEqual([link]);

      const undone = await store.links.unmerge(link.id, 'U123');
      expect(undone).toMatchObject({ id: link.id, undoneBy: 'U123' });
      expect(undone.undoneAt).toEqual(expect.any(Number));
      expect(await snapshot([web.customer.id, tg.customer.id], [web.conversationId as string])).toEqual(
        before,
      );
      expect(await store.links.get(link.id)).toMatchObject({ undoneBy: 'U123' });
      await expect(store.links.unmerge(link.id)).rejects.toMatchObject({ code: 'SB_STORE_CONFLICT' });
    });

    test('merge of two open conversations appends one to the other in order; unmerge restores both exactly', async () => {
      const a = await person('web', 'visitor-4', ['hello', 'Hi! How can I help?', 'my order', 'Number?']);
      const b = await person('whatsapp', '4915', ['hallo', 'Hi!', 'ORD-10001']);
      const ids = [a.conversationId as string, b.conversationId as string];
      const before = await snapshot([a.customer.id, b.customer.id], ids);

      const link = await store.links.merge({
        from: b.customer.id,
        into: a.customer.id,
        method: 'operator_merge',
        byWhom: 'U42',
      });
      expect(link.conversationId).toBe(a.conversationId);
      const merged = await store.messages.list(a.conversationId as string);
      expect(merged.map((m) => [m.seq, m.text, m.channel, m.customerId])).toEqual([
        [1, 'hello', 'web', a.customer.id],
        [2, 'Hi! How can I help?', 'web', a.customer.id],
        [3, 'my order', 'web', a.customer.id],
        [4, 'Number?', 'web', a.customer.id],
        [5, 'hallo', 'whatsapp', a.customer.id],
        [6, 'Hi!', 'whatsapp', a.customer.id],
        [7, 'ORD-10001', 'whatsapp', a.customer.id],
      ]);
      expect(await store.messages.list(b.conversationId as string)).toEqual([]);
      const closed = await store.conversations.get(b.conversationId as string);
      expect(closed).toMatchObject({ status: 'closed', customerId: a.customer.id });
      expect(await store.identities.find('whatsapp', '4915')).toMatchObject({
        customerId: a.customer.id,
        linkedBy: 'operator_merge',
        linkedByWhom: 'U42',
      });
      // The next message continues the numbering.
      const next = await store.messages.append({
        conversationId: a.conversationId as string,
        customerId: a.customer.id,
        direction: 'out',
        author: 'bot',
        channel: 'whatsapp',
        content: { type: 'text', text: 'Thanks' },
        text: 'Thanks',
        delivery: 'pending',
      });
      expect(next.message.seq).toBe(8);
      // Redelivery of a moved inbound message is still recognised.
      expect((await store.messages.findInbound('whatsapp', '4915:0'))?.conversationId).toBe(a.conversationId);

      await store.links.unmerge(link.id, 'U42');
      const after = await snapshot([a.customer.id, b.customer.id], ids);
      // What was said after the link stays where it was said; everything else is as before.
      const aMessages = after[`messages:${a.conversationId}`] as { text: string }[];
      expect(aMessages.map((m) => m.text)).toEqual([
        'hello',
        'Hi! How can I help?',
        'my order',
        'Number?',
        'Thanks',
      ]);
      after[`messages:${a.conversationId}`] = aMessages.slice(0, 4);
      expect(after).toEqual(before);
      expect((await store.messages.findInbound('whatsapp', '4915:0'))?.conversationId).toBe(b.conversationId);
    });

    test('the conversation a person works on survives a merge, whichever side it is on', async () => {
      const a = await person('web', 'visitor-5', ['hi', 'Hello!']);
      const b = await person(
        'telegram',
        '701',
        ['I need a human', 'A colleague will be with you'],
        'assigned',
      );
      const ids = [a.conversationId as string, b.conversationId as string];
      const before = await snapshot([a.customer.id, b.customer.id], ids);
      const link = await store.links.merge({
        from: b.customer.id,
        into: a.customer.id,
        method: 'operator_merge',
      });
      expect(link.conversationId).toBe(b.conversationId);
      const open = await store.conversations.findOpen(a.customer.id);
      expect(open).toMatchObject({ id: b.conversationId, status: 'assigned', customerId: a.customer.id });
      expect((await store.messages.list(b.conversationId as string)).map((m) => m.text)).toEqual([
        'I need a human',
        'A colleague will be with you',
        'hi',
        'Hello!',
      ]);
      expect(await store.conversations.get(a.conversationId as string)).toMatchObject({ status: 'closed' });
      await store.links.unmerge(link.id);
      expect(await snapshot([a.customer.id, b.customer.id], ids)).toEqual(before);
    });

    test('an unmerge points each open conversation back at an identity of its own customer', async () => {
      const a = await person('web', 'visitor-6', ['hi']);
      const b = await person('telegram', '702', []);
      const link = await store.links.merge({ from: b.customer.id, into: a.customer.id, method: 'link_code' });
      // The customer then writes on Telegram: replies would go there.
      await store.conversations.update(a.conversationId as string, {
        lastChannel: 'telegram',
        lastIdentityId: b.identity.id,
      });
      await store.links.unmerge(link.id);
      expect(await store.conversations.get(a.conversationId as string)).toMatchObject({
        lastChannel: 'web',
        lastIdentityId: a.identity.id,
      });
    });

    test('redeeming a code: two identities racing for it — one is linked, the other is told it was used', async () => {
      const web = await person('web', 'visitor-8', ['where is my order?']);
      const a = await person('telegram', '801', []);
      const b = await person('telegram', '802', []);
      const { code } = await issueLinkCode(store, { customerId: web.customer.id, ttlMs: 60_000 });
      const claim = findCodeClaim({ type: 'text', text: `/start ${code}` }, {});
      if (!claim) throw new Error('the code was not recognised');
      const outcomes = await Promise.all(
        [a, b].map((p) =>
          store.transaction((tx) =>
            redeemCode(tx, DEFAULT_LINKING, claim, { identity: p.identity, customer: p.customer }),
          ),
        ),
      );
      expect(outcomes.map((o) => (o?.outcome === 'rejected' ? o.reason : o?.outcome)).sort()).toEqual([
        'linked',
        'used',
      ]);
      const channels = (await store.identities.listByCustomer(web.customer.id)).map((i) => i.externalId);
      expect(channels).toHaveLength(2);
      expect(await store.links.listByCustomer(web.customer.id)).toHaveLength(1);
    });

    test('a crash in the middle of a redemption links nothing and leaves the code usable', async () => {
      const web = await person('web', 'visitor-9', ['hello', 'Hi!']);
      const tg = await person('whatsapp', '4916', ['hallo', 'Hallo!']);
      const before = await snapshot(
        [web.customer.id, tg.customer.id],
        [web.conversationId as string, tg.conversationId as string],
      );
      const { code } = await issueLinkCode(store, { customerId: web.customer.id });
      const claim = findCodeClaim({ type: 'text', text: code }, {});
      if (!claim) throw new Error('the code was not recognised');
      await expect(
        store.transaction(async (tx) => {
          const outcome = await redeemCode(tx, DEFAULT_LINKING, claim, tg);
          expect(outcome?.outcome).toBe('linked');
          throw new Error('the process died before the message was stored');
        }),
      ).rejects.toThrow('the process died');
      expect(
        await snapshot(
          [web.customer.id, tg.customer.id],
          [web.conversationId as string, tg.conversationId as string],
        ),
      ).toEqual(before);
      expect(await store.links.listByCustomer(web.customer.id)).toEqual([]);
      const retried = await store.transaction((tx) => redeemCode(tx, DEFAULT_LINKING, claim, tg));
      expect(retried?.outcome).toBe('linked');
    });

    test('nonsense is refused: linking a customer to itself, unknown customers, unknown links', async () => {
      const a = await person('web', 'visitor-7', []);
      await expect(
        store.links.merge({ from: a.customer.id, into: a.customer.id, method: 'operator_merge' }),
      ).rejects.toMatchObject({ code: 'SB_STORE_CONFLICT' });
      await expect(
        store.links.merge({ from: 'cus_nope', into: a.customer.id, method: 'operator_merge' }),
      ).rejects.toMatchObject({ code: 'SB_NOT_FOUND' });
      await expect(store.links.unmerge('lnk_nope')).rejects.toMatchObject({ code: 'SB_NOT_FOUND' });
      expect(await store.identities.listByCustomer(a.customer.id)).toHaveLength(1);
    });
  });
}
