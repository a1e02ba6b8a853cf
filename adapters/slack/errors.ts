/**
 * Slack Web API failures as the outbox understands them (retry, back off, give up), and the
 * reference prefix of Slack-hosted files. Light to load: the desk uses these without Bolt.
 *
 * @module
 */
import { ChannelApiError, TransportError, asError } from '../../src/errors';

const CHANNEL = 'slack';

/** Files hosted by Slack are referred to as `slack-file:<id>` until fetched. */
export const SLACK_FILE_REF = 'slack-file:';

/**
 * Slack errors the outbox may retry (`ratelimited`, Slack-side failures). Every other
 * refusal is final for this message — `channel_not_found`, `not_in_channel`,
 * `is_archived`, `account_inactive`, `invalid_auth`, `invalid_blocks`, … — because
 * sending the same request again cannot succeed.
 */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** A Web API failure → what the outbox understands. */
export function toDeliveryError(error: unknown, method: string): Error {
  const coded = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    message?: string;
  };
  // The Web API's `ErrorCode` values (kept as strings: this module must not load the SDK).
  switch (coded.code) {
    case 'slack_webapi_rate_limited_error':
      return new ChannelApiError({
        channel: CHANNEL,
        method,
        status: 429,
        platformCode: 'ratelimited',
        description: `rate limited; retry after ${coded.retryAfter} s`,
        ...(coded.retryAfter !== undefined && { retryAfter: coded.retryAfter }),
        cause: error,
      });
    case 'slack_webapi_platform_error': {
      const code = coded.data?.error ?? 'unknown_error';
      return new ChannelApiError({
        channel: CHANNEL,
        method,
        status: 200,
        platformCode: code,
        description: code,
        permanent: !TRANSIENT_ERRORS.has(code),
        cause: error,
      });
    }
    case 'slack_webapi_http_error': {
      const status = coded.statusCode ?? 0;
      return new ChannelApiError({
        channel: CHANNEL,
        method,
        status,
        description: `HTTP ${status}`,
        // Slack answers 200 or 429; a 5xx or timeout is Slack (or a proxy) failing: retry. A 4xx is a wrong SLACK_API_URL.
        permanent: status >= 400 && status < 500 && status !== 408,
        cause: error,
      });
    }
    case 'slack_webapi_request_error':
      return new TransportError(CHANNEL, `${method}: ${coded.message ?? 'request failed'}`, { cause: error });
    default: {
      // E.g. a 429 without a usable Retry-After: retry with backoff.
      const message = asError(error).message;
      return /rate limit|429/i.test(message)
        ? new ChannelApiError({ channel: CHANNEL, method, status: 429, description: message, cause: error })
        : new TransportError(CHANNEL, `${method}: ${message}`, { cause: error });
    }
  }
}
