/**
 * The inbox: the first durable step of every inbound message. It drops platform
 * redeliveries, resolves the sender to a customer and that customer's one open
 * conversation, and stores the message — all in one transaction, before the adapter
 * acknowledges the platform.
 *
 * @module
 */
import { findCodeClaim } from '../identity/codes';
import {
  DEFAULT_LINKING,
  type LinkingSettings,
  type Redemption,
  recordRedemption,
  redeemCode,
} from '../identity/linking';
import {
  type ChannelAddress,
  contentToText,
  type Conversation,
  type Customer,
  type Identity,
  type Message,
} from '../model';
import type { Metrics } from '../observability/metrics';
import { retryOnConflict, type Store, type StoreTx } from '../store';
import type { InboundEvent } from './adapter';
import type { Bus } from './bus';

export interface AcceptResult {
  /** True when this was a redelivery of a stored message: nothing was written. */
  duplicate: boolean;
  message: Message;
  conversation: Conversation;
  customer: Customer;
  identity: Identity;
  /** The message presented a link code or one-time code: what it did (linked, or why not). */
  redemption?: Redemption;
  /** True when this message's sender became a new customer (first contact). */
  newCustomer: boolean;
  /**
   * When the sender last wrote on this channel before this message (undefined: never).
   * Channels with a messaging window see from it whether this message reopened one.
   */
  previousInboundAt?: number;
}

/** Identity namespace for accounts vouched for by a host site (signed web identity tokens). */
export const ACCOUNT_CHANNEL = 'account';

export class Inbox {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly onAccepted: (conversationId: string) => void,
    /** Called once per new customer, before its first message is handled (the CRM lookup). */
    private readonly onNewCustomer?: (customerId: string) => void,
    private readonly linking: LinkingSettings = DEFAULT_LINKING,
    /** Channels with a messaging window: told when a customer's message reopens a closed one. */
    private readonly windows?: {
      windowHours(channel: string): number | undefined;
      reopened(channel: string, address: ChannelAddress): void;
    },
  ) {}

  /** Stores the event (or recognises it as a duplicate) and schedules its processing. */
  async accept(event: InboundEvent): Promise<AcceptResult> {
    // Two first messages from one new sender may race to create the customer: the loser
    // hits a unique constraint, its transaction rolls back, and the retry finds the winner's rows.
    const result = await retryOnConflict(() => this.store.transaction((tx) => this.ingest(tx, event)));
    if (result.duplicate) {
      this.metrics.duplicatesDropped.inc({ channel: event.channel });
    } else {
      this.metrics.messagesIn.inc({ channel: event.channel });
      this.bus.publish({
        kind: 'message',
        conversationId: result.conversation.id,
        customerId: result.customer.id,
        message: result.message,
      });
    }
    if (result.newCustomer) this.onNewCustomer?.(result.customer.id);
    if (!result.duplicate && this.windows) this.windowCheck(result);
    // Even for a duplicate: if the first delivery was stored but never processed, this nudges it.
    this.onAccepted(result.conversation.id);
    return result;
  }

  /** Counts an authentic payload acknowledged unstored because its shape was wrong (outside HTTP, e.g. polling). */
  countMalformed(channel: string): void {
    this.metrics.malformedInbound.inc({ channel });
  }

  /** The customer wrote after the channel's messaging window had closed (or for the first time). */
  private windowCheck(result: AcceptResult): void {
    const hours = this.windows?.windowHours(result.message.channel);
    if (hours === undefined) return;
    const previous = result.previousInboundAt;
    if (previous === undefined || result.message.createdAt - previous > hours * 3_600_000)
      this.windows?.reopened(result.message.channel, result.identity.address);
  }

  private async ingest(tx: StoreTx, event: InboundEvent): Promise<AcceptResult> {
    // Issued together with the dedupe lookup: on PostgreSQL both travel in one round trip.
    const sender = tx.identities.find(event.channel, event.sender.externalId);
    sender.catch(() => {}); // Its failure is seen where it is awaited.
    if (event.platformMessageId) {
      const existing = await tx.messages.findInbound(event.channel, event.platformMessageId);
      if (existing) {
        const conversation = await tx.conversations.get(existing.conversationId);
        const customer = await tx.customers.get(existing.customerId);
        // The platform id is the dedupe key, whoever claims to send it: a payload reusing a
        // stored id with another sender is a duplicate too, answered with the stored
        // message's own identity (inserting it again could only hit the unique index).
        const identity =
          (await sender) ??
          (await tx.identities.listByCustomer(existing.customerId)).find((i) => i.channel === event.channel);
        if (conversation && customer && identity) {
          return { duplicate: true, message: existing, conversation, customer, identity, newCustomer: false };
        }
      }
    }
    const now = Date.now();
    const resolved = await this.resolveSender(tx, event, sender);
    let { identity, customer } = resolved;
    const { newCustomer } = resolved;
    const previousInboundAt = identity.lastInboundAt;
    // Verified linking happens here, before the conversation is chosen, in this transaction:
    // the message lands in the conversation it continues, and a crash cannot half-link. A
    // redelivery never gets here (it is a duplicate above), so a code is presented once.
    // All a message without a code pays is the regular expression.
    const claim = findCodeClaim(event.content, event.address);
    const redemption = claim
      ? await redeemCode(tx, this.linking, claim, { identity, customer }, now)
      : undefined;
    if (redemption?.outcome === 'linked') {
      customer = redemption.customer;
      identity = {
        ...identity,
        customerId: customer.id,
        linkedBy: redemption.kind,
        linkedByWhom: 'customer',
      };
    }
    // Refresh the reply address and last-inbound time, but spare a write per message for a
    // chatty customer: minute precision is plenty for messaging windows.
    if (
      identity.lastInboundAt === undefined ||
      now - identity.lastInboundAt > 60_000 ||
      !sameAddress(identity.address, event.address)
    ) {
      await tx.identities.touch(identity.id, { address: event.address, lastInboundAt: now });
      identity = { ...identity, address: event.address, lastInboundAt: now };
    }

    let conversation =
      resolved.open !== undefined && resolved.customer.id === customer.id
        ? resolved.open
        : await tx.conversations.findOpen(customer.id);
    if (!conversation) {
      conversation = await tx.conversations.create({
        customerId: customer.id,
        lastChannel: event.channel,
        lastIdentityId: identity.id,
      });
    } else if (conversation.lastChannel !== event.channel || conversation.lastIdentityId !== identity.id) {
      conversation = await tx.conversations.update(conversation.id, {
        lastChannel: event.channel,
        lastIdentityId: identity.id,
      });
    }

    const { message, created } = await tx.messages.append({
      conversationId: conversation.id,
      customerId: customer.id,
      direction: 'in',
      author: 'customer',
      channel: event.channel,
      content: event.content,
      text: contentToText(event.content),
      ...(event.platformMessageId !== undefined && { platformMessageId: event.platformMessageId }),
      address: event.address,
      delivery: 'received',
      createdAt: now,
      knownNew: true,
    });
    if (customer.profile.name === undefined && event.sender.profile) {
      customer = await tx.customers.update(customer.id, { profile: withoutUndefined(event.sender.profile) });
    }
    if (redemption && created) {
      await recordRedemption(tx, redemption, {
        conversationId: conversation.id,
        messageId: message.id,
        channel: event.channel,
      });
    }
    return {
      duplicate: !created,
      message,
      conversation,
      customer,
      identity,
      ...(redemption && { redemption }),
      newCustomer: newCustomer && created,
      ...(previousInboundAt !== undefined && { previousInboundAt }),
    };
  }

  private async resolveSender(
    tx: StoreTx,
    event: InboundEvent,
    sender: Promise<Identity | null>,
  ): Promise<{
    identity: Identity;
    customer: Customer;
    newCustomer: boolean;
    /** The customer's open conversation, when it was looked up together with the customer. */
    open?: Conversation | null;
  }> {
    let identity = await sender;
    let newCustomer = false;
    const account = event.verifiedAccount;
    if (account) {
      // The host site vouches for this sender: its account decides the customer.
      let accountIdentity = await tx.identities.find(ACCOUNT_CHANNEL, account.id);
      if (!accountIdentity) {
        const owner = identity
          ? await tx.customers.get(identity.customerId)
          : await tx.customers.create({ profile: withoutUndefined(account.profile ?? {}) });
        if (!owner) throw new Error(`identity ${identity?.id} points at a missing customer`);
        newCustomer = !identity;
        accountIdentity = await tx.identities.create({
          channel: ACCOUNT_CHANNEL,
          externalId: account.id,
          customerId: owner.id,
          linkedBy: 'verified_token',
          linkedByWhom: event.channel,
          address: {},
        });
      }
      if (account.profile)
        await tx.customers.update(accountIdentity.customerId, { profile: withoutUndefined(account.profile) });
      if (!identity) {
        identity = await tx.identities.create({
          channel: event.channel,
          externalId: event.sender.externalId,
          customerId: accountIdentity.customerId,
          linkedBy: 'verified_token',
          address: event.address,
        });
      } else if (identity.customerId !== accountIdentity.customerId) {
        await tx.identities.relink(identity.id, accountIdentity.customerId, 'verified_token', event.channel);
        identity = { ...identity, customerId: accountIdentity.customerId, linkedBy: 'verified_token' };
      }
    }
    if (!identity) {
      const customer = await tx.customers.create({ profile: withoutUndefined(event.sender.profile ?? {}) });
      identity = await tx.identities.create({
        channel: event.channel,
        externalId: event.sender.externalId,
        customerId: customer.id,
        linkedBy: 'first_contact',
        address: event.address,
      });
      return { identity, customer, newCustomer: true };
    }
    // Together: one round trip on PostgreSQL.
    const [customer, open] = await Promise.all([
      tx.customers.get(identity.customerId),
      tx.conversations.findOpen(identity.customerId),
    ]);
    if (!customer) throw new Error(`identity ${identity.id} points at a missing customer`);
    return { identity, customer, newCustomer, open };
  }
}

function sameAddress(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]))
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
