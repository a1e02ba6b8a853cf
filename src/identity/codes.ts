/**
 * The codes that prove one person holds two identities.
 *
 * - **Link codes** (`LINK-7Q4MX-9XKDA`): 10 random Crockford base32 characters (50 bits),
 *   redeemable once by whoever holds them, before they expire. They travel in deep links
 *   (`t.me/<bot>?start=CODE`, `m.me/<page>?ref=CODE`, `wa.me/<number>?text=CODE`) or are typed.
 * - **One-time codes** (`482913`): 6 digits sent to a verified email or phone, redeemable
 *   once, only by the identity that asked for them.
 *
 * Only a SHA-256 hash of a code is stored. Recognising a code is a regular expression on
 * the message: that is all the hot path pays.
 *
 * @module
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { ChannelAddress, Content } from '../model';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A link code anywhere in a text (`/start LINK-…`, a pre-filled WhatsApp text, a typed code). */
const LINK_CODE = /\bLINK-?([0-9A-Z]{5})-?([0-9A-Z]{5})\b/i;
/** A one-time code is a message of six digits and nothing else. */
const ONE_TIME_CODE = /^\s*(\d{6})\s*$/;

/** A new link code, `LINK-XXXXX-XXXXX`. */
export function newLinkCode(): string {
  const bytes = randomBytes(10);
  let body = '';
  for (const byte of bytes) body += ALPHABET[byte & 31];
  return `LINK-${body.slice(0, 5)}-${body.slice(5)}`;
}

/** A new six-digit one-time code (uniform, leading zeros kept). */
export function newOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * The canonical form of a link code: upper case, no dashes, and the letters people mistake
 * for digits read as those digits (Crockford: I and L are 1, O is 0).
 */
function canonicalLinkCode(body: string): string {
  return body.toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** The canonical body of the link code in `text` (`LINK-7q4mx-9xkda` → `7Q4MX9XKDA`), if any. */
export function linkCodeIn(text: string): string | undefined {
  const match = LINK_CODE.exec(text);
  return match ? canonicalLinkCode(`${match[1]}${match[2]}`) : undefined;
}

/** What a stored code's hash is made of; one-time codes are bound to their identity. */
export function hashCode(kind: 'link_code' | 'one_time_code', code: string, identityId?: string): string {
  const subject = kind === 'link_code' ? `link:${code}` : `otp:${identityId ?? ''}:${code}`;
  return createHash('sha256').update(subject).digest('hex');
}

/** A code the customer may be presenting, as found in an inbound message. */
export type CodeClaim = { kind: 'link_code'; code: string } | { kind: 'one_time_code'; code: string };

/**
 * The code an inbound message may carry: the m.me `ref` on the address, else a link code in
 * the text, else a six-digit text (a one-time code, if the sender is waiting for one).
 */
export function findCodeClaim(content: Content, address: ChannelAddress | undefined): CodeClaim | undefined {
  const ref = address?.ref;
  const text = content.type === 'text' ? content.text : undefined;
  for (const source of [typeof ref === 'string' ? ref : undefined, text]) {
    if (source === undefined) continue;
    const code = linkCodeIn(source);
    if (code) return { kind: 'link_code', code };
  }
  const digits = text === undefined ? null : ONE_TIME_CODE.exec(text);
  if (digits?.[1]) return { kind: 'one_time_code', code: digits[1] };
  return undefined;
}

/** `ana.silva@example.com` → `a***@example.com`; `+4915112345678` → `+49•••••••5678`. */
export function maskDestination(destination: { email: string } | { phone: string }): string {
  if ('email' in destination) {
    const [user = '', domain = ''] = destination.email.split('@');
    return `${user.slice(0, 1)}***@${domain}`;
  }
  const phone = destination.phone;
  return `${phone.slice(0, 3)}${'•'.repeat(Math.max(0, phone.length - 7))}${phone.slice(-4)}`;
}
