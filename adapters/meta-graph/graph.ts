/**
 * A small Graph API client for the Send API (Messenger) and the Cloud API (WhatsApp):
 * one pooled keep-alive connection set per origin (undici `Pool`; Node's global `fetch`
 * costs about twice the CPU per call, see research/pipeline.md), and Graph errors
 * mapped to what the outbox understands — retry, back off, or give up.
 *
 * @module
 */
import { Pool } from 'undici';
import type { FetchedMedia } from '../../src/core/adapter';
import { downloadFile } from '../../src/media/download';
import { ChannelApiError, TransportError } from '../../src/errors';

export { DEFAULT_GRAPH_URL } from './config';

/** Graph's error body: `{"error":{"message","type","code","error_subcode","error_data","fbtrace_id"}}`. */
export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string } | string;
  fbtrace_id?: string;
}

/**
 * Codes that mean "slow down, try again": app/page/user rate limits (4, 17, 32, 613),
 * Messenger's per-thread limit (80007), WhatsApp's throughput (130429) and pair rate
 * (131056) limits, and Graph's temporary failures (1, 2).
 */
const RETRYABLE_CODES = new Set([1, 2, 4, 17, 32, 613, 80007, 130429, 131056]);

/** What each final refusal means for the person reading the operator's error. */
const EXPLAINED: Record<number, string> = {
  10: 'outside the messaging window or missing permission',
  100: 'invalid parameter or recipient',
  190: 'the access token is invalid or expired: renew it in the Meta app settings',
  200: 'the app lacks the permission for this call',
  551: 'this person is not available right now',
  131026: 'the message is undeliverable to this number (not on WhatsApp or an old app version)',
  131047: 'more than 24 hours have passed since the customer last wrote: only a template may be sent',
};

export class GraphClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly origin: string;

  constructor(
    readonly channel: string,
    baseUrl: string,
    private readonly accessToken: string,
    options: { connections?: number; timeoutMs?: number } = {},
  ) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.origin = url.origin;
    const timeout = options.timeoutMs ?? 15_000;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 16,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  /**
   * POSTs JSON to `<base>/<path>` with the Bearer token and returns the parsed answer.
   * Throws {@link ChannelApiError} for Graph refusals, {@link TransportError} when the
   * network fails.
   */
  post<T>(path: string, body: unknown, method = path): Promise<T> {
    return this.call<T>('POST', path, body, method);
  }

  /** GETs `<base>/<path>` with the Bearer token (a media id's URL, …); errors as {@link GraphClient.post}. */
  get<T>(path: string, method = path): Promise<T> {
    return this.call<T>('GET', path, undefined, method);
  }

  /**
   * Streams a file Graph pointed at (a WhatsApp media URL), with the Bearer token: such
   * URLs refuse requests without it. Another origin than Graph's, so not the pool.
   */
  async download(url: string, method: string): Promise<FetchedMedia> {
    if (!this.mayCarryToken(url)) {
      throw new ChannelApiError({
        channel: this.channel,
        method,
        description: `refusing to send the access token to ${safeOrigin(url)} (not Meta's)`,
        permanent: true,
      });
    }
    return downloadFile(this.channel, url, {
      method,
      headers: { authorization: `Bearer ${this.accessToken}` },
    });
  }

  /** Meta's media hosts over HTTPS, or Graph's own origin (a fake or proxy in front of it). */
  private mayCarryToken(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.origin === this.origin) return true;
    return (
      parsed.protocol === 'https:' &&
      /(^|\.)(fbsbx\.com|facebook\.com|fbcdn\.net|whatsapp\.net)$/i.test(parsed.hostname)
    );
  }

  private async call<T>(verb: 'GET' | 'POST', path: string, body: unknown, method: string): Promise<T> {
    let res: Awaited<ReturnType<Pool['request']>>;
    try {
      res = await this.pool.request({
        method: verb,
        path: `${this.basePath}/${path.replace(/^\/+/, '')}`,
        headers: {
          ...(verb === 'POST' && { 'content-type': 'application/json' }),
          authorization: `Bearer ${this.accessToken}`,
        },
        ...(verb === 'POST' && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new TransportError(this.channel, `${method}: ${(error as Error).message}`, { cause: error });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (error) {
      throw new TransportError(this.channel, `${method}: ${(error as Error).message}`, { cause: error });
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300 && json !== undefined) return json as T;
    const retryAfterHeader = res.headers['retry-after'];
    throw graphError({
      channel: this.channel,
      method,
      status: res.statusCode,
      error: (json as { error?: GraphErrorBody } | undefined)?.error,
      retryAfter: typeof retryAfterHeader === 'string' ? Number(retryAfterHeader) : undefined,
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * Maps a Graph refusal to a {@link ChannelApiError}: HTTP 429, 5xx and the rate-limit
 * codes are retried (after `Retry-After` when given, else with the outbox's backoff);
 * every other 4xx is a final answer — retrying an invalid recipient or a closed
 * window only repeats the refusal.
 */
export function graphError(init: {
  channel: string;
  method: string;
  status: number;
  error: GraphErrorBody | undefined;
  retryAfter?: number | undefined;
}): ChannelApiError {
  const { error, status } = init;
  const code = error?.code;
  const details = typeof error?.error_data === 'object' ? error.error_data.details : error?.error_data;
  const explained = code !== undefined ? EXPLAINED[code] : undefined;
  const description =
    [
      error?.message ?? `HTTP ${status}`,
      code !== undefined ? `(code ${code}${error?.error_subcode ? `/${error.error_subcode}` : ''})` : '',
      details ?? '',
      explained ? `— ${explained}` : '',
    ]
      .filter(Boolean)
      .join(' ') || `HTTP ${status}`;
  const retryable = status === 429 || status >= 500 || (code !== undefined && RETRYABLE_CODES.has(code));
  const retryAfter =
    init.retryAfter !== undefined && Number.isFinite(init.retryAfter) && init.retryAfter >= 0
      ? init.retryAfter
      : undefined;
  return new ChannelApiError({
    channel: init.channel,
    method: init.method,
    status,
    description,
    ...(code !== undefined && { platformCode: code }),
    ...(retryable && retryAfter !== undefined && { retryAfter }),
    permanent: !retryable,
    // WhatsApp's "re-engagement message" (131047); Messenger's "outside the allowed window" (10 / 2018278).
    windowClosed: code === 131047 || (code === 10 && /2018278/.test(description)),
  });
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/** True for the refusals that mean "the messaging window is closed" (set once, in {@link graphError}). */
export function isWindowClosed(error: unknown): boolean {
  return error instanceof ChannelApiError && error.windowClosed;
}
