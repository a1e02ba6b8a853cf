/**
 * Direct Line authorisation: the secret (`DIRECTLINE_SECRET`, held by the embedding site's
 * backend) and the tokens minted with it.
 *
 * Tokens are JWTs (HS256, keyed by a key derived from the secret) bound to one
 * conversation and one user, expiring after DIRECTLINE_TOKEN_TTL_MINUTES. They are JWTs
 * with a `user` claim on purpose: Web Chat decodes the token (without verifying it) and
 * takes `user` as its own user id, so the customer's messages render on the customer's
 * side (`shared/research/webchat.md` §3, quirk 2). `acct` carries the account a signed
 * web identity vouched for when the token was issued.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** An error answered in Direct Line's shape: `{"error": {"code", "message"}}`. */
export class DirectLineError extends Error {
  override readonly name = 'DirectLineError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedAccount {
  id: string;
  name?: string;
  email?: string;
  phone?: string;
}

export interface TokenClaims {
  /** The Direct Line conversation the token is bound to. */
  conv: string;
  /** The Direct Line user id: the customer's identity on this channel. */
  user: string;
  /** Display name given at tokens/generate. */
  name?: string;
  acct?: VerifiedAccount;
  iat: number;
  exp: number;
}

export type Caller = { kind: 'secret' } | { kind: 'token'; claims: TokenClaims; token: string };

const b64url = (data: string) => Buffer.from(data).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** The token key is derived, so a token never reveals anything usable as the secret. */
function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('switchboard directline token v1').digest();
}

/** Mints a token (`exp` defaults to now + `ttlSeconds`). */
export function signToken(
  claims: Omit<TokenClaims, 'iat' | 'exp'> & { exp?: number },
  secret: string,
  ttlSeconds: number,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const payload = b64url(
    JSON.stringify({ ...claims, iat: nowSeconds, exp: claims.exp ?? nowSeconds + ttlSeconds }),
  );
  const signature = createHmac('sha256', tokenKey(secret)).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}

/** Checks a token's signature, shape and expiry; throws 403 Forbidden / TokenExpired. */
export function verifyToken(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): TokenClaims {
  const forbidden = (why: string) => new DirectLineError(403, 'Forbidden', `token rejected: ${why}`);
  const parts = token.split('.');
  if (parts.length !== 3) throw forbidden('not a token this server issued');
  const [header, payload, signature] = parts as [string, string, string];
  // The header is compared whole: only our own HS256 header, never an algorithm the token picks.
  if (header !== HEADER) throw forbidden('not a token this server issued');
  const expected = createHmac('sha256', tokenKey(secret)).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forbidden('bad signature');
  let claims: Partial<TokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<TokenClaims>;
  } catch {
    throw forbidden('unreadable claims');
  }
  if (typeof claims.conv !== 'string' || typeof claims.user !== 'string' || typeof claims.exp !== 'number')
    throw forbidden('claims conv, user and exp are required');
  if (claims.exp <= nowSeconds) throw new DirectLineError(403, 'TokenExpired', 'token has expired');
  return claims as TokenClaims;
}

/** Who is calling: the secret's holder, or a token's holder. Throws 401 without credentials, 403 for wrong ones. */
export function authorize(authorization: string | undefined, secret: string): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1])
    throw new DirectLineError(401, 'Unauthorized', 'send "Authorization: Bearer <secret or token>"');
  const credential = match[1];
  const given = Buffer.from(credential);
  const expected = Buffer.from(secret);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return { kind: 'secret' };
  if (!credential.includes('.')) throw new DirectLineError(403, 'Forbidden', 'wrong secret');
  return { kind: 'token', claims: verifyToken(credential, secret), token: credential };
}

/** A token may only be used on its own conversation (403 otherwise, as the service answers). */
export function requireConversation(caller: Caller, conversationId: string): void {
  if (caller.kind === 'token' && caller.claims.conv !== conversationId) {
    throw new DirectLineError(403, 'Forbidden', 'this token belongs to another conversation');
  }
}
