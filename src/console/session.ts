/**
 * Console sessions: a signed cookie (HMAC-SHA256, a key derived from ADMIN_API_TOKEN, so
 * changing the token signs everyone out), HttpOnly and SameSite=Strict, with a CSRF token
 * inside that every state-changing request must echo in `X-CSRF-Token`.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const COOKIE = 'sb_console';
const TTL_MS = 12 * 3_600_000;

export interface Session {
  role: 'admin' | 'operator';
  /** Admins: "admin"; operators: their Slack user id. */
  subject: string;
  name: string;
  csrf: string;
  expiresAt: number;
}

export class SessionSigner {
  private readonly key: Buffer;

  constructor(adminToken: string) {
    this.key = createHmac('sha256', adminToken).update('switchboard console session v1').digest();
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }

  /** A new session's cookie value. */
  issue(init: Omit<Session, 'csrf' | 'expiresAt'>, now = Date.now()): { value: string; session: Session } {
    const session: Session = {
      ...init,
      csrf: randomBytes(18).toString('base64url'),
      expiresAt: now + TTL_MS,
    };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { value: `${payload}.${this.mac(payload).toString('base64url')}`, session };
  }

  /** The session a cookie value carries, if its signature holds and it has not expired. */
  verify(value: string | undefined, now = Date.now()): Session | null {
    if (!value) return null;
    const [payload, signature] = value.split('.');
    if (!payload || !signature) return null;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Session;
      return session.expiresAt > now ? session : null;
    } catch {
      return null;
    }
  }
}

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
