/**
 * Verified identity linking: issuing codes, redeeming them on the message path, and the
 * operator's merge and unmerge. Two customers are joined only on proof — a code the
 * customer carried from one channel to the other, a one-time code sent to a contact on
 * file, a signed web identity token (see the inbox), or an operator's decision — and every
 * link is recorded with how and by whom, and can be undone.
 *
 * @module
 */
import { SwitchboardError } from '../errors';
import type { Customer, Identity, IdentityLink } from '../model';
import type { Logger } from '../observability/logger';
import type { LinkCode, LinkRecord, Store, StoreTx } from '../store';
import { type CodeClaim, hashCode, linkCodeIn, maskDestination, newLinkCode, newOneTimeCode } from './codes';

/** How codes behave. Built from the `LINK_*` settings by {@link linkingSettings}. */
export interface LinkingSettings {
  /** How long a link code is valid (default 15 minutes). */
  codeTtlMs: number;
  /** How long a one-time code is valid (default 10 minutes). */
  oneTimeCodeTtlMs: number;
  /** Wrong, expired or reused codes one identity may present per window before it must wait. */
  maxFailedAttempts: number;
  /** The window of {@link LinkingSettings.maxFailedAttempts} (default: the link code TTL). */
  attemptWindowMs: number;
}

export const DEFAULT_LINKING: LinkingSettings = {
  codeTtlMs: 15 * 60_000,
  oneTimeCodeTtlMs: 10 * 60_000,
  maxFailedAttempts: 5,
  attemptWindowMs: 15 * 60_000,
};

const EXPIRED_CODES_KEPT_MS = 24 * 3_600_000;

/** Why a presented code linked nothing. */
export type RejectionReason = 'unknown' | 'expired' | 'used' | 'rate_limited';

/** What presenting a code did. */
export type Redemption =
  | { outcome: 'linked'; kind: CodeClaim['kind']; link: LinkRecord; customer: Customer; code: LinkCode }
  /** The code was valid but the sender already is that customer (the link tapped twice, …). */
  | { outcome: 'already_linked'; kind: CodeClaim['kind']; customer: Customer; code: LinkCode }
  | { outcome: 'rejected'; kind: CodeClaim['kind']; reason: RejectionReason };

/** The conversation events linking writes (and the linking middleware reads). */
export const LINK_EVENTS = {
  linked: 'identity_linked',
  unlinked: 'identity_unlinked',
  rejected: 'link_code_rejected',
  repeated: 'link_code_repeated',
} as const;

/**
 * Issues a link code for `customerId`, to be redeemed on another channel. Store the code
 * nowhere: only its hash is kept.
 *
 * ```ts
 * const { code } = await issueLinkCode(store, { customerId: ctx.customer.id, conversationId: ctx.conversation.id });
 * await ctx.reply(`Send ${code} to our WhatsApp number to continue there.`);
 * ```
 */
export async function issueLinkCode(
  store: Pick<StoreTx, 'links'>,
  init: {
    customerId: string;
    /** The conversation to continue, and the message that asked (its question is repeated). */
    conversationId?: string;
    offeredSeq?: number;
    /** The channel the code is meant for (recorded; any channel can redeem it). */
    channel?: string;
    ttlMs?: number;
  },
): Promise<{ code: string; expiresAt: number }> {
  const code = newLinkCode();
  const now = Date.now();
  const expiresAt = now + (init.ttlMs ?? DEFAULT_LINKING.codeTtlMs);
  // Housekeeping on the (rare) issuing path rather than a timer. Expired codes are kept a
  // day, so that a late tap is told "expired" rather than "unknown".
  await store.links.deleteExpiredCodes(now - EXPIRED_CODES_KEPT_MS);
  await store.links.addCode({
    codeHash: hashCode('link_code', linkCodeIn(code) ?? code),
    kind: 'link_code',
    customerId: init.customerId,
    ...(init.conversationId !== undefined && { conversationId: init.conversationId }),
    ...(init.offeredSeq !== undefined && { offeredSeq: init.offeredSeq }),
    ...(init.channel !== undefined && { channel: init.channel }),
    createdAt: now,
    expiresAt,
  });
  return { code, expiresAt };
}

/** Where a one-time code goes. */
export type CodeDestination = { email: string } | { phone: string };

/**
 * Sends a one-time code. Switchboard has no email or SMS sender of its own: plug in your
 * provider (SES, Postmark, Twilio…). Throwing means "not sent": the code is not stored.
 */
export type OneTimeCodeSender = (message: {
  to: CodeDestination;
  code: string;
  expiresAt: number;
  customerId: string;
}) => Promise<void>;

/**
 * A sender for development: logs the code instead of sending it. Never use it in
 * production: anyone reading the logs could link themselves to that customer.
 */
export function loggingCodeSender(logger: Logger): OneTimeCodeSender {
  return async ({ to, code, customerId }) => {
    logger.warn(
      { to: maskDestination(to), customerId, code },
      'one-time code NOT sent (logging sender): plug in an email/SMS sender',
    );
  };
}

/**
 * Sends a six-digit code to a verified email or phone of `customerId`, redeemable only by
 * `identityId` (the sender asking to be linked to that customer) when it types the code.
 * `to` must be the customer's email or phone on file: codes are never sent to an address
 * the requester made up. Returns where it went, masked, to tell the customer.
 *
 * ```ts
 * // The customer on Telegram says they have an account; your CRM knows its id.
 * const account = await store.identities.find('account', crmAccountId);
 * const { destination } = await requestOneTimeCode(store, sender, {
 *   identityId: ctx.conversation.lastIdentityId, customerId: account.customerId, to: { email },
 * });
 * await ctx.reply(`I sent a code to ${destination}. Type it here.`);
 * ```
 */
export async function requestOneTimeCode(
  store: Store,
  sender: OneTimeCodeSender,
  init: { identityId: string; customerId: string; to: CodeDestination; ttlMs?: number },
): Promise<{ destination: string; expiresAt: number }> {
  const customer = await store.customers.get(init.customerId);
  if (!customer) throw new SwitchboardError('SB_NOT_FOUND', `customer ${init.customerId} does not exist`);
  const onFile =
    'email' in init.to
      ? customer.profile.email !== undefined &&
        customer.profile.email.trim().toLowerCase() === init.to.email.trim().toLowerCase()
      : customer.profile.phone !== undefined &&
        digits(customer.profile.phone) === digits(init.to.phone) &&
        digits(init.to.phone).length > 0;
  if (!onFile) {
    throw new SwitchboardError(
      'SB_NOT_FOUND',
      `customer ${init.customerId} has no such ${'email' in init.to ? 'email' : 'phone'} on file; one-time codes go only to a verified contact`,
    );
  }
  const code = newOneTimeCode();
  const now = Date.now();
  const expiresAt = now + (init.ttlMs ?? DEFAULT_LINKING.oneTimeCodeTtlMs);
  await sender({ to: init.to, code, expiresAt, customerId: customer.id });
  const destination = maskDestination(init.to);
  await store.links.addCode({
    codeHash: hashCode('one_time_code', code, init.identityId),
    kind: 'one_time_code',
    customerId: customer.id,
    identityId: init.identityId,
    destination,
    createdAt: now,
    expiresAt,
  });
  return { destination, expiresAt };
}

function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/**
 * Presents a code found in an inbound message, inside the inbox's transaction (so the link
 * and the message commit together, or neither does). Returns undefined when the message
 * is not a code after all (six digits while no one-time code is awaited).
 */
export async function redeemCode(
  tx: StoreTx,
  settings: LinkingSettings,
  claim: CodeClaim,
  sender: { identity: Identity; customer: Customer },
  now = Date.now(),
): Promise<Redemption | undefined> {
  const { identity, customer } = sender;
  let hash: string;
  let code: LinkCode | null;
  if (claim.kind === 'one_time_code') {
    const pending = await tx.links.pendingOneTimeCodes(identity.id, now);
    if (pending.length === 0) return undefined;
    hash = hashCode('one_time_code', claim.code, identity.id);
    code = pending.find((c) => c.codeHash === hash) ?? null;
  } else {
    hash = hashCode('link_code', claim.code);
    code = await tx.links.getCode(hash);
    if (code?.kind !== 'link_code') code = null;
  }

  // Wrong codes are counted per identity: a few guesses per window, never enough to find one.
  const key = `link-attempts:${identity.id}`;
  const recorded = await tx.kv.get<{ count: number; since: number }>(key);
  const window = recorded && now - recorded.since < settings.attemptWindowMs ? recorded : null;
  const rejected = async (reason: RejectionReason): Promise<Redemption> => {
    if (reason !== 'rate_limited') {
      await tx.kv.set(
        key,
        { count: (window?.count ?? 0) + 1, since: window?.since ?? now },
        settings.attemptWindowMs,
      );
    }
    return { outcome: 'rejected', kind: claim.kind, reason };
  };
  if (window && window.count >= settings.maxFailedAttempts) return rejected('rate_limited');

  if (!code) return rejected('unknown');
  if (code.usedAt !== undefined) {
    return code.usedByIdentityId === identity.id && code.customerId === customer.id
      ? { outcome: 'already_linked', kind: claim.kind, customer, code }
      : rejected('used');
  }
  if (code.expiresAt <= now) return rejected('expired');
  if (!(await tx.links.useCode(hash, identity.id, now))) return rejected('used');
  if (code.customerId === customer.id) return { outcome: 'already_linked', kind: claim.kind, customer, code };
  const into = await tx.customers.get(code.customerId);
  if (!into) return rejected('unknown');
  const link = await tx.links.merge({
    from: customer.id,
    into: into.id,
    method: claim.kind,
    byWhom: 'customer',
    identityId: identity.id,
  });
  await tx.links.setCodeLink(hash, link.id);
  return { outcome: 'linked', kind: claim.kind, link, customer: into, code };
}

/** Writes a redemption's outcome on the conversation the message landed in. */
export async function recordRedemption(
  tx: StoreTx,
  redemption: Redemption,
  at: { conversationId: string; messageId: string; channel: string },
): Promise<void> {
  const base = { messageId: at.messageId, channel: at.channel, kind: redemption.kind };
  if (redemption.outcome === 'rejected') {
    await tx.events.add(at.conversationId, LINK_EVENTS.rejected, { ...base, reason: redemption.reason });
    return;
  }
  const offered = {
    ...(redemption.code.conversationId !== undefined && { offeredIn: redemption.code.conversationId }),
    ...(redemption.code.offeredSeq !== undefined && { offeredSeq: redemption.code.offeredSeq }),
  };
  if (redemption.outcome === 'already_linked') {
    await tx.events.add(at.conversationId, LINK_EVENTS.repeated, { ...base, ...offered });
    return;
  }
  await recordLinkEvents(tx, redemption.link, { ...base, ...offered }, at.conversationId);
}

function linkEventData(link: LinkRecord): Record<string, unknown> {
  return {
    linkId: link.id,
    method: link.method,
    byWhom: link.byWhom ?? null,
    identityId: link.identityId ?? null,
    fromCustomerId: link.fromCustomerId,
    intoCustomerId: link.intoCustomerId,
    ...(link.undo.absorbed && {
      absorbedConversationId: link.undo.absorbed.id,
      survivingConversationId: link.undo.absorbed.survivor,
    }),
  };
}

async function recordLinkEvents(
  tx: StoreTx,
  link: LinkRecord,
  extra: Record<string, unknown>,
  conversationId = link.conversationId,
): Promise<void> {
  const data = { ...linkEventData(link), ...extra };
  const conversations = new Set<string>();
  if (conversationId) conversations.add(conversationId);
  if (link.undo.absorbed) conversations.add(link.undo.absorbed.id);
  for (const id of conversations) await tx.events.add(id, LINK_EVENTS.linked, data);
}

/**
 * Merges customer `from` into `into`: an operator's decision (the desk's merge command) or
 * any other verified reason. Every identity, conversation and message of `from` moves;
 * when both have an open conversation, one absorbs the other (see {@link LinkRepo.merge}).
 * The link is recorded with `by` and `byWhom`, and an `identity_linked` event is written on
 * the conversations concerned. Undo it with {@link unlinkCustomers}.
 *
 * ```ts
 * const link = await linkCustomers(bot.store, { from: 'cus_…', into: 'cus_…', by: 'operator_merge', byWhom: 'U024BE7LH' });
 * ```
 */
export async function linkCustomers(
  store: Store,
  init: { from: string; into: string; by?: IdentityLink; byWhom?: string },
): Promise<LinkRecord> {
  return store.transaction(async (tx) => {
    const link = await tx.links.merge({
      from: init.from,
      into: init.into,
      method: init.by ?? 'operator_merge',
      ...(init.byWhom !== undefined && { byWhom: init.byWhom }),
    });
    await recordLinkEvents(tx, link, {});
    return link;
  });
}

/**
 * Undoes a link: the merged-away customer gets back its identities, its conversations and
 * the messages the link moved, exactly as they were (what was said after the link stays in
 * the conversation it was said in). Writes `identity_unlinked` on the conversations
 * concerned. Fails with SB_NOT_FOUND for an unknown link and SB_STORE_CONFLICT when it was
 * already undone.
 *
 * ```ts
 * const [latest] = await bot.store.links.listByCustomer(customerId);
 * await unlinkCustomers(bot.store, { linkId: latest.id, byWhom: 'U024BE7LH' });
 * ```
 */
export async function unlinkCustomers(
  store: Store,
  init: { linkId: string; byWhom?: string },
): Promise<LinkRecord> {
  return store.transaction(async (tx) => {
    const link = await tx.links.unmerge(init.linkId, init.byWhom);
    const data = { ...linkEventData(link), undoneBy: init.byWhom ?? null };
    const conversations = new Set<string>();
    if (link.conversationId) conversations.add(link.conversationId);
    if (link.undo.absorbed) conversations.add(link.undo.absorbed.id);
    for (const id of conversations) await tx.events.add(id, LINK_EVENTS.unlinked, data);
    return link;
  });
}

/** The linking settings from the `LINK_*` configuration. */
export function linkingSettings(config: {
  LINK_CODE_TTL_MINUTES: number;
  LINK_OTP_TTL_MINUTES: number;
  LINK_MAX_ATTEMPTS: number;
}): LinkingSettings {
  return {
    codeTtlMs: config.LINK_CODE_TTL_MINUTES * 60_000,
    oneTimeCodeTtlMs: config.LINK_OTP_TTL_MINUTES * 60_000,
    maxFailedAttempts: config.LINK_MAX_ATTEMPTS,
    attemptWindowMs: config.LINK_CODE_TTL_MINUTES * 60_000,
  };
}
