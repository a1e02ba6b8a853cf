/**
 * Proactive messages: the bot writes first ("your order has shipped", a follow-up after
 * a human chat). The message goes into the customer's open conversation (a new one if
 * they have none), on a channel where a message is allowed now, respecting each
 * channel's rules:
 *
 * 1. An opted-out customer (see `core/opt-out`) gets nothing: {@link ProactiveError} `opted_out`.
 * 2. Each channel the customer wrote on, and that runs in this process, is asked for its
 *    delivery plan ({@link ChannelAdapter.planDelivery}, the same the outbox carries out):
 *    free-form, template (WhatsApp outside its 24-hour window), message tag (Messenger
 *    HUMAN_AGENT for operators), or refused.
 * 3. Each allowed channel's limits table (`capabilities.limits`, what its renderer degrades
 *    by) tells how it would show the message: the result's `adjustments` list each departure
 *    (`buttons: 11 > 3`). With `exact`, a channel that cannot show it as written is refused.
 * 4. The pick: free-form before message tag before template; among equals, the channel
 *    the customer wrote on most recently. `channel` restricts the choice to one channel.
 *    Nothing allowed: {@link ProactiveError} `unreachable`, with each channel's reason.
 *
 * @module
 */
import type { ChannelAdapter, ProactiveVerdict } from '../core/adapter';
import { planWithMarker } from '../core/outbox';
import { isOptedOut } from '../core/opt-out';
import { ProactiveError, SwitchboardError } from '../errors';
import type { ContentInput, Conversation, Customer, Identity, Message } from '../model';
import { retryOnConflict, type Store } from '../store';
import { ACCOUNT_CHANNEL } from '../core/inbox';
import { type Adjustment, adjustmentsFor, describeAdjustment } from './fit';

export { type Adjustment, adjustmentsFor, describeAdjustment } from './fit';

/** Who a proactive message is for: a customer, a conversation's customer, or a channel identity. */
export type ProactiveRecipient =
  | { customerId: string }
  | { conversationId: string }
  | { identity: { channel: string; externalId: string } };

export interface ProactiveMessage {
  to: ProactiveRecipient;
  content: ContentInput;
  /** Only this channel (else the best one the customer can be reached on). */
  channel?: string;
  /**
   * Makes the call safe to retry: a second call with the same key (for the same
   * customer) returns the first message instead of sending another (even after an
   * opt-out: the retry of a call that went through is not refused).
   */
  idempotencyKey?: string;
  /** Default `bot`. `operator` lets Messenger use its HUMAN_AGENT tag for 7 days. */
  author?: 'bot' | 'system' | 'operator';
  authorName?: string;
  /**
   * Only a channel that shows the message as written (within its limits table: text length,
   * buttons, titles, payloads, quick replies, cards, caption, media kind). Default false: the
   * channel's renderer degrades what does not fit, and `adjustments` says how.
   */
  exact?: boolean;
}

export interface ProactiveResult {
  conversationId: string;
  messageId: string;
  channel: string;
  /** How it goes out: as written, replaced by the channel's approved template, or with a message tag. */
  via: 'free_form' | 'template' | 'message_tag';
  /** False when the idempotency key matched an earlier message (nothing new was sent). */
  created: boolean;
  /** True when the customer had no open conversation and this message started one. */
  startedConversation: boolean;
  /** How the channel departs from the message as written, by its limits (empty: as written). */
  adjustments: Adjustment[];
}

export interface ProactiveDeps {
  store: Store;
  adapter(channel: string): ChannelAdapter | undefined;
  /** Stores the message for delivery (the bot's `send`). */
  send(
    conversationId: string,
    content: ContentInput,
    options: {
      channel: string;
      idempotencyKey?: string;
      author: 'bot' | 'system' | 'operator';
      authorName?: string;
    },
  ): Promise<{ message: Message; created: boolean }>;
}

const RANK: Record<'free_form' | 'message_tag' | 'template', number> = {
  free_form: 0,
  message_tag: 1,
  template: 2,
};

/** Resolves the recipient to a customer; SB_NOT_FOUND when there is none. */
export async function resolveRecipient(store: Store, to: ProactiveRecipient): Promise<Customer> {
  let customerId: string;
  if ('customerId' in to) customerId = to.customerId;
  else if ('conversationId' in to) {
    const conversation = await store.conversations.get(to.conversationId);
    if (!conversation)
      throw new SwitchboardError('SB_NOT_FOUND', `conversation ${to.conversationId} does not exist`);
    customerId = conversation.customerId;
  } else {
    const identity = await store.identities.find(to.identity.channel, to.identity.externalId);
    if (!identity) {
      throw new SwitchboardError(
        'SB_NOT_FOUND',
        `nobody with that id has written on ${to.identity.channel}: a proactive message needs a customer who wrote first`,
      );
    }
    customerId = identity.customerId;
  }
  const customer = await store.customers.get(customerId);
  if (!customer) throw new SwitchboardError('SB_NOT_FOUND', `customer ${customerId} does not exist`);
  return customer;
}

/**
 * Picks the identity (and so the channel) a proactive message goes to, or throws a
 * {@link ProactiveError} saying why none can be used.
 */
export async function chooseChannel(
  deps: Pick<ProactiveDeps, 'store' | 'adapter'>,
  customer: Customer,
  options: {
    channel?: string;
    author: 'bot' | 'system' | 'operator';
    /** With `exact`, a channel whose limits the content exceeds is refused. */
    content?: ContentInput;
    exact?: boolean;
  },
): Promise<{ identity: Identity; via: 'free_form' | 'template' | 'message_tag'; adjustments: Adjustment[] }> {
  if (isOptedOut(customer)) {
    const via = customer.attributes.optedOutVia;
    const at = customer.attributes.optedOutAt;
    throw new ProactiveError(
      'opted_out',
      `customer ${customer.id} opted out of messages${typeof via === 'string' ? ` (${via === 'api' ? 'set through the API' : `wrote an opt-out keyword on ${via}`}${typeof at === 'number' ? ` at ${new Date(at).toISOString()}` : ''})` : ''}; nothing was sent`,
    );
  }
  const identities = (await deps.store.identities.listByCustomer(customer.id))
    .filter((i) => i.channel !== ACCOUNT_CHANNEL)
    .filter((i) => options.channel === undefined || i.channel === options.channel)
    .sort((a, b) => (b.lastInboundAt ?? 0) - (a.lastInboundAt ?? 0));
  const details: { channel: string; reason: string }[] = [];
  let best:
    | { identity: Identity; via: 'free_form' | 'template' | 'message_tag'; adjustments: Adjustment[] }
    | undefined;
  const seen = new Set<string>();
  for (const identity of identities) {
    // The most recent identity per channel is the one the bot's `send` uses.
    if (seen.has(identity.channel)) continue;
    seen.add(identity.channel);
    const adapter = deps.adapter(identity.channel);
    const verdict: ProactiveVerdict = adapter
      ? await proactiveVerdict(deps.store, adapter, identity, options.author)
      : { allowed: false, reason: `the ${identity.channel} channel is not configured in this process` };
    if (!verdict.allowed) {
      details.push({ channel: identity.channel, reason: verdict.reason });
      continue;
    }
    const adjustments =
      adapter && options.content !== undefined ? adjustmentsFor(options.content, adapter.capabilities) : [];
    if (options.exact && adjustments.length > 0) {
      details.push({
        channel: identity.channel,
        reason: `it cannot show the message as written (${adjustments.map(describeAdjustment).join(', ')})`,
      });
      continue;
    }
    if (!best || RANK[verdict.via] < RANK[best.via]) best = { identity, via: verdict.via, adjustments };
  }
  if (best) return best;
  if (identities.length === 0) {
    throw new ProactiveError(
      'unreachable',
      options.channel
        ? `customer ${customer.id} has never written on ${options.channel}; nothing was sent`
        : `customer ${customer.id} has no channel to be reached on; nothing was sent`,
      options.channel ? [{ channel: options.channel, reason: 'the customer never wrote on it' }] : [],
    );
  }
  throw new ProactiveError(
    'unreachable',
    `no channel allows a message to customer ${customer.id} now (${details.map((d) => `${d.channel}: ${d.reason}`).join('; ')}); nothing was sent`,
    details,
  );
}

/** The channel's plan for a proactive message to `identity` (what the outbox would do), as a verdict. */
async function proactiveVerdict(
  store: Store,
  adapter: ChannelAdapter,
  identity: Identity,
  author: 'bot' | 'system' | 'operator',
): Promise<ProactiveVerdict> {
  const { plan } = await planWithMarker(store, adapter, {
    address: identity.address,
    author,
    isReply: false,
    ...(identity.lastInboundAt !== undefined && { lastInboundAt: identity.lastInboundAt }),
  });
  return plan.via === 'refuse' ? { allowed: false, reason: plan.reason } : { allowed: true, via: plan.via };
}

/** The customer's open conversation, or a new one on the chosen identity. */
async function openConversation(
  store: Store,
  customerId: string,
  identity: Identity,
): Promise<{ conversation: Conversation; started: boolean }> {
  return retryOnConflict(() =>
    store.transaction(async (tx) => {
      const open = await tx.conversations.findOpen(customerId);
      if (open) return { conversation: open, started: false };
      const conversation = await tx.conversations.create({
        customerId,
        lastChannel: identity.channel,
        lastIdentityId: identity.id,
      });
      return { conversation, started: true };
    }),
  );
}

/** Sends a proactive message (see the module's documentation for the rules). */
export async function sendProactive(
  deps: ProactiveDeps,
  request: ProactiveMessage,
): Promise<ProactiveResult> {
  const author = request.author ?? 'bot';
  const customer = await resolveRecipient(deps.store, request.to);
  const idempotencyKey =
    request.idempotencyKey !== undefined ? `proactive:${customer.id}:${request.idempotencyKey}` : undefined;
  // A repeat of a call that went through returns what it did, whatever changed since (the
  // customer opted out, the messaging window closed): the retry of a success is a success.
  if (idempotencyKey !== undefined) {
    const earlier = await deps.store.messages.findByIdempotencyKey(idempotencyKey);
    if (earlier) return repeated(deps.store, earlier);
  }
  const { identity, via, adjustments } = await chooseChannel(deps, customer, {
    author,
    content: request.content,
    ...(request.exact !== undefined && { exact: request.exact }),
    ...(request.channel !== undefined && { channel: request.channel }),
  });
  const { conversation, started } = await openConversation(deps.store, customer.id, identity);
  const { message, created } = await deps.send(conversation.id, request.content, {
    channel: identity.channel,
    author,
    ...(request.authorName !== undefined && { authorName: request.authorName }),
    ...(idempotencyKey !== undefined && { idempotencyKey }),
  });
  if (created) {
    await deps.store.events.add(conversation.id, 'proactive_message', {
      messageId: message.id,
      channel: message.channel,
      via,
      author,
      ...(adjustments.length > 0 && { adjustments }),
    });
  }
  return {
    conversationId: conversation.id,
    messageId: message.id,
    channel: message.channel,
    via,
    created,
    startedConversation: started,
    adjustments,
  };
}

/** The result of the earlier call that stored `message` (its `via` is on its `proactive_message` event). */
async function repeated(store: Store, message: Message): Promise<ProactiveResult> {
  const event = (await store.events.list(message.conversationId)).find(
    (e) => e.type === 'proactive_message' && e.data.messageId === message.id,
  );
  const via = event?.data.via;
  return {
    conversationId: message.conversationId,
    messageId: message.id,
    channel: message.channel,
    via: via === 'template' || via === 'message_tag' ? via : 'free_form',
    created: false,
    startedConversation: false,
    adjustments: Array.isArray(event?.data.adjustments) ? (event.data.adjustments as Adjustment[]) : [],
  };
}
