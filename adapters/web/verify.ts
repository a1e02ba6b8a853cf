/**
 * Signed web identity tokens: the host site's backend vouches for its logged-in
 * customer by minting a JWT (HS256) with the shared secret `WEB_IDENTITY_SECRET`.
 * Any JWT library can make one; {@link signIdentityToken} does it in Node.
 *
 * Claims: `sub` (the customer's id on the host site, required), `exp` (seconds,
 * required, at most 30 days ahead), and optionally `name`, `email`, `phone`.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../../src/errors';

export interface IdentityClaims {
  sub: string;
  exp: number;
  iat?: number;
  name?: string;
  email?: string;
  phone?: string;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const MAX_LIFETIME_S = 30 * 24 * 3600;

/**
 * Mints a token for a logged-in customer (use it in the host site's backend, never in a browser).
 *
 * ```ts
 * const token = signIdentityToken({ sub: user.id, name: user.name, email: user.email }, process.env.WEB_IDENTITY_SECRET!);
 * // <script src="https://bot.example.com/widget.js" data-identity-token="${token}"></script>
 * ```
 */
export function signIdentityToken(
  claims: Omit<IdentityClaims, 'exp' | 'iat'> & { exp?: number },
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({ ...claims, iat: nowSeconds, exp: claims.exp ?? nowSeconds + 24 * 3600 }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Checks the token's signature and claims; throws {@link SignatureError} saying what is wrong. */
export function verifyIdentityToken(
  token: string,
  secret: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): IdentityClaims {
  const fail = (why: string) => new SignatureError('web', `identity token rejected: ${why}`);
  if (!secret) throw fail('this bot has no WEB_IDENTITY_SECRET configured, so it accepts no identity tokens');
  const parts = token.split('.');
  if (parts.length !== 3) throw fail('not a JWT (expected header.payload.signature)');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: Partial<IdentityClaims>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw fail('header or payload is not base64url JSON');
  }
  // Only HS256: never let the token choose a weaker algorithm (or "none").
  if (header.alg !== 'HS256') throw fail(`algorithm must be HS256, got ${String(header.alg)}`);
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw fail('bad signature');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 256) {
    throw fail('claim "sub" (the customer id) must be a non-empty string');
  }
  if (typeof claims.exp !== 'number') throw fail('claim "exp" (expiry, in seconds) is required');
  if (claims.exp <= nowSeconds) throw fail('token expired');
  if (claims.exp > nowSeconds + MAX_LIFETIME_S) throw fail('"exp" is more than 30 days ahead');
  for (const key of ['name', 'email', 'phone'] as const) {
    if (claims[key] !== undefined && typeof claims[key] !== 'string')
      throw fail(`claim "${key}" must be a string`);
  }
  return claims as IdentityClaims;
}
