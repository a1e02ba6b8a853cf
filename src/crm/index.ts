/**
 * CRM context: a profile provider looks the customer up in your CRM (a TypeScript
 * function, an HTTP webhook, or a JSON file) and what it returns lands on the customer
 * as `customer.profile.crm`, usable in flows as `{{customer.profile.tier}}` (CRM fields
 * fill in what the channel did not tell: `{{customer.name}}` works too).
 *
 * It runs on first contact (a new customer: started when the message is stored; the
 * bot's first reply waits for it at most CRM_TIMEOUT_MS) and whenever something calls
 * {@link CustomerEnricher.enrich} — the operator desk does on handoff; the admin API on
 * `POST /api/v1/customers/:id/enrich`. Never on ordinary messages.
 *
 * ```ts
 * const bot = createSwitchboard(config, {
 *   channels, // import { channels } from 'switchboard/channels'
 *   profileProvider: async ({ profile }) => (profile.email ? await crm.findByEmail(profile.email) : null),
 * });
 * ```
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { asError, SwitchboardError } from '../errors';
import type { Customer, CustomerProfile } from '../model';
import type { Logger } from '../observability/logger';
import type { Store } from '../store';
import { ACCOUNT_CHANNEL } from '../core/inbox';

/** Why the customer is being looked up. */
export type EnrichReason = 'first_contact' | 'handoff' | 'api';

/** What a profile provider is asked. */
export interface ProfileLookup {
  customerId: string;
  reason: EnrichReason;
  /** What the channels told about the customer (name, email, phone…), without earlier CRM data. */
  profile: Omit<CustomerProfile, 'crm'>;
  /**
   * The customer's identities: `{channel: 'whatsapp', externalId: '<phone digits>'}`,
   * `{channel: 'account', externalId: '<your account id>'}` (signed web identity), …
   */
  identities: { channel: string; externalId: string }[];
  /** Aborted when CRM_TIMEOUT_MS passes: stop waiting for your CRM. */
  signal: AbortSignal;
}

/**
 * Looks a customer up. Return the CRM's data (any JSON object: name, tier, orders…), or
 * null when the CRM does not know them. Throwing (or timing out) leaves the customer as
 * it was.
 */
export type ProfileProvider = (
  lookup: ProfileLookup,
) => Promise<Record<string, unknown> | null | undefined> | Record<string, unknown> | null | undefined;

export type EnrichResult =
  | { status: 'enriched'; customer: Customer }
  | { status: 'not_found'; customer: Customer }
  | { status: 'failed'; customer: Customer; error: string }
  /** No profile provider is configured. */
  | { status: 'off'; customer: Customer };

/** Runs the profile provider for customers, one lookup per customer at a time. */
export class CustomerEnricher {
  private readonly inFlight = new Map<string, Promise<EnrichResult>>();

  constructor(
    private readonly store: Store,
    private readonly provider: ProfileProvider | undefined,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  get enabled(): boolean {
    return this.provider !== undefined;
  }

  /**
   * Looks the customer up and stores the result on `customer.profile.crm`. Never throws
   * for the provider's failures (see the result's `status`); throws SB_NOT_FOUND for an
   * unknown customer. A lookup already running for the customer is shared.
   */
  enrich(customerId: string, reason: EnrichReason): Promise<EnrichResult> {
    const running = this.inFlight.get(customerId);
    if (running) return running;
    const lookup = this.run(customerId, reason).finally(() => this.inFlight.delete(customerId));
    this.inFlight.set(customerId, lookup);
    return lookup;
  }

  /** Starts a first-contact lookup in the background (the inbox calls this for a new customer). */
  firstContact(customerId: string): void {
    if (!this.provider) return;
    this.enrich(customerId, 'first_contact').catch((error: unknown) =>
      this.logger.warn({ err: error, customerId }, 'CRM lookup on first contact failed'),
    );
  }

  /** The customer's lookup in flight in this process, if any: the worker lets it finish first. */
  pending(customerId: string): Promise<unknown> | undefined {
    return this.inFlight.get(customerId);
  }

  private async run(customerId: string, reason: EnrichReason): Promise<EnrichResult> {
    const customer = await this.store.customers.get(customerId);
    if (!customer) throw new SwitchboardError('SB_NOT_FOUND', `customer ${customerId} does not exist`);
    const provider = this.provider;
    if (!provider) return { status: 'off', customer };
    const identities = (await this.store.identities.listByCustomer(customerId)).map((i) => ({
      channel: i.channel,
      externalId: i.externalId,
    }));
    const { crm: _previous, ...profile } = customer.profile;
    const signal = AbortSignal.timeout(this.timeoutMs);
    let data: Record<string, unknown> | null | undefined;
    try {
      data = await Promise.race([
        Promise.resolve(provider({ customerId, reason, profile, identities, signal })),
        new Promise<never>((_, reject) => {
          signal.addEventListener(
            'abort',
            () => reject(new Error(`no answer within ${this.timeoutMs} ms (CRM_TIMEOUT_MS)`)),
            { once: true },
          );
        }),
      ]);
    } catch (thrown) {
      const error = asError(thrown);
      this.logger.warn({ err: error, customerId, reason }, 'CRM profile lookup failed');
      return { status: 'failed', customer, error: error.message };
    }
    if (data === null || data === undefined) return { status: 'not_found', customer };
    if (typeof data !== 'object' || Array.isArray(data)) {
      const error = 'the profile provider must return an object or null';
      this.logger.warn({ customerId, reason }, error);
      return { status: 'failed', customer, error };
    }
    const updated = await this.store.customers.update(customerId, {
      profile: { crm: data },
      attributes: { crmUpdatedAt: Date.now() },
    });
    this.logger.debug({ customerId, reason }, 'customer enriched from the CRM');
    return { status: 'enriched', customer: updated };
  }
}

/** `Ana@Example.com` → `ana@example.com`, `+1 (650) 555-1234` → `16505551234`, others as they are. */
export function lookupKey(key: string): string {
  const trimmed = key.trim();
  if (/^\+?[\d\s().-]{6,}$/.test(trimmed)) return trimmed.replace(/\D/g, '');
  return trimmed.toLowerCase();
}

/** The keys to try for a customer, most specific first. */
export function lookupKeys(lookup: Pick<ProfileLookup, 'profile' | 'identities'>): string[] {
  const keys: string[] = [];
  for (const i of lookup.identities) if (i.channel === ACCOUNT_CHANNEL) keys.push(i.externalId);
  for (const i of lookup.identities) keys.push(`${i.channel}:${i.externalId}`);
  if (lookup.profile.email) keys.push(lookup.profile.email);
  if (lookup.profile.phone) keys.push(lookup.profile.phone);
  // A WhatsApp user id is their phone number.
  for (const i of lookup.identities) if (i.channel.startsWith('whatsapp')) keys.push(i.externalId);
  return keys.map(lookupKey);
}

/**
 * A provider reading a JSON file `{ "<key>": { …customer data… } }`, keyed by e-mail,
 * phone number (any formatting), account id (signed web identity) or
 * `<channel>:<external id>`. The file is read again when it changes.
 *
 * ```json
 * { "ana@example.com": { "name": "Ana Lima", "tier": "gold", "orders": ["ORD-10001"] } }
 * ```
 */
export function fileProfileProvider(file: string): ProfileProvider {
  let cache: { mtimeMs: number; index: Map<string, Record<string, unknown>> } | undefined;
  const load = () => {
    const { mtimeMs } = fs.statSync(file);
    if (cache?.mtimeMs === mtimeMs) return cache.index;
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`${file} must hold a JSON object keyed by e-mail, phone or account id`);
    const index = new Map<string, Record<string, unknown>>();
    for (const [key, value] of Object.entries(parsed)) {
      if (value && typeof value === 'object' && !Array.isArray(value))
        index.set(lookupKey(key), value as Record<string, unknown>);
    }
    cache = { mtimeMs, index };
    return index;
  };
  return (lookup) => {
    const index = load();
    for (const key of lookupKeys(lookup)) {
      const found = index.get(key);
      if (found) return structuredClone(found);
    }
    return null;
  };
}

/**
 * A provider calling your HTTP endpoint: `POST url` with
 * `{customerId, reason, profile, identities}`; answer 200 with the customer's data as a
 * JSON object, or 404 / `null` when unknown. With a secret, the request carries
 * `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body>`.
 */
export function webhookProfileProvider(options: { url: string; secret?: string }): ProfileProvider {
  return async ({ signal, ...lookup }) => {
    const body = JSON.stringify(lookup);
    const res = await fetch(options.url, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(options.secret && {
          'x-switchboard-signature': `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}`,
        }),
      },
      body,
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`the CRM webhook answered ${res.status}`);
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : null;
    if (data === null) return null;
    if (typeof data !== 'object' || Array.isArray(data))
      throw new Error('the CRM webhook must answer a JSON object or null');
    return data as Record<string, unknown>;
  };
}
