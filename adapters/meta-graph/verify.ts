/**
 * What Messenger and the WhatsApp Cloud API share on the way in: the `hub.*` GET
 * handshake and the `X-Hub-Signature-256` check over the raw body.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { SignatureError } from '../../src/errors';

/**
 * Checks `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, rawBody)>` in
 * constant time. Meta signs the bytes it sent, so this must run on the raw body,
 * never on re-serialised JSON. Throws {@link SignatureError} (HTTP 401).
 */
export function verifyHubSignature(
  channel: string,
  rawBody: Buffer | undefined,
  header: string | undefined,
  appSecret: string,
): void {
  if (!header) throw new SignatureError(channel, 'missing X-Hub-Signature-256 header');
  if (!rawBody)
    throw new SignatureError(channel, 'no JSON body to verify (Content-Type must be application/json)');
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match?.[1]) throw new SignatureError(channel, 'malformed X-Hub-Signature-256 header');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  const given = Buffer.from(match[1], 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignatureError(channel, 'X-Hub-Signature-256 does not match the body (check the app secret)');
  }
}

/** `sha256=<hex>` for a body: what Meta would send (tests, local tools). */
export function signHubBody(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * The subscription handshake: Meta calls
 * `GET <callback>?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` and expects
 * the challenge back as the body when the token matches, 403 otherwise.
 */
export function handshake(verifyToken: string) {
  const expected = Buffer.from(verifyToken);
  return (req: Request, res: Response): void => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    const given = Buffer.from(typeof token === 'string' ? token : '');
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
    if (mode === 'subscribe' && tokenOk && typeof challenge === 'string') {
      res.status(200).type('text/plain').send(challenge);
      return;
    }
    res.status(403).type('text/plain').send('verify token mismatch');
  };
}

/**
 * Mounts a Meta webhook: the GET handshake and a signed POST whose body goes to
 * `handle`. The 200 is sent only after `handle` resolves (the inbox has stored every
 * event), so a failure makes Meta redeliver instead of losing the message.
 */
export function mountMetaWebhook(
  router: Router,
  options: {
    path: string;
    channel: string;
    verifyToken: string;
    appSecret: string;
    handle: (body: unknown) => Promise<void>;
  },
): void {
  router.get(options.path, handshake(options.verifyToken));
  router.post(options.path, async (req, res, next) => {
    try {
      verifyHubSignature(options.channel, req.rawBody, req.get('x-hub-signature-256'), options.appSecret);
      await options.handle(req.body);
      res.status(200).type('text/plain').send('EVENT_RECEIVED');
    } catch (error) {
      next(error);
    }
  });
}
