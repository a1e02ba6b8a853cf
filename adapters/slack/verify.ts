/**
 * Slack request signing (v0): every request Slack sends (events, interactivity, slash
 * commands) carries `X-Slack-Request-Timestamp` and
 * `X-Slack-Signature: v0=hex(HMAC_SHA256(signing_secret, "v0:" + timestamp + ":" + rawBody))`.
 *
 * The HMAC is over the raw bytes exactly as received — never over re-serialised JSON or
 * re-encoded form fields — so the HTTP layer keeps them on `req.rawBody`.
 * https://docs.slack.dev/authentication/verifying-requests-from-slack
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../../src/errors';

/** Requests older (or further in the future) than this are replays. Slack's own advice: 5 minutes. */
export const REPLAY_WINDOW_SECONDS = 300;

export interface SlackSignedRequest {
  /** `X-Slack-Request-Timestamp` (Unix seconds). */
  timestamp: string | undefined;
  /** `X-Slack-Signature` (`v0=<hex>`). */
  signature: string | undefined;
  /** The body bytes as received. */
  rawBody: Buffer | string | undefined;
}

/** The `X-Slack-Signature` value Slack would send for this body at this time. */
export function signSlackRequest(
  signingSecret: string,
  timestamp: string | number,
  rawBody: Buffer | string,
): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Throws {@link SignatureError} (→ HTTP 401) unless the request is signed with
 * `signingSecret` and its timestamp is within {@link REPLAY_WINDOW_SECONDS} of `nowMs`.
 * Both directions are checked: a timestamp far in the future is as suspicious as an old one.
 */
export function verifySlackRequest(
  signingSecret: string,
  request: SlackSignedRequest,
  nowMs: number = Date.now(),
): void {
  const fail = (why: string) => new SignatureError('slack', `request rejected: ${why}`);
  const { timestamp, signature, rawBody } = request;
  if (!timestamp) throw fail('missing X-Slack-Request-Timestamp header');
  if (!signature) throw fail('missing X-Slack-Signature header');
  if (!/^\d{1,12}$/.test(timestamp)) throw fail('X-Slack-Request-Timestamp is not a Unix time in seconds');
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew > REPLAY_WINDOW_SECONDS) {
    throw fail(
      `timestamp is ${skew} s away from this server's clock (more than ${REPLAY_WINDOW_SECONDS} s: a replay, or a wrong clock)`,
    );
  }
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match?.[1]) throw fail('X-Slack-Signature is not of the form v0=<64 hex digits>');
  const given = Buffer.from(match[1], 'hex');
  const expected = Buffer.from(signSlackRequest(signingSecret, timestamp, rawBody ?? '').slice(3), 'hex');
  // Same length by construction (32 bytes each), so timingSafeEqual cannot throw.
  if (!timingSafeEqual(given, expected)) throw fail('bad signature (is SLACK_SIGNING_SECRET right?)');
}
