/**
 * The HTTP client botbuilder's ConnectorClient sends replies with.
 *
 * botbuilder's default pipeline retries by itself (429 honoured up to 3 times, 5xx with
 * exponential backoff) inside one `sendActivity` call: that would hold an outbox slot for
 * minutes and hide the attempts from the store. This client performs the request and
 * turns every non-2xx answer into our {@link ChannelApiError} (and network failures into
 * {@link TransportError}); the pipeline only retries its own RestErrors, so ours go
 * straight back to the outbox, which owns retries (durably, with `Retry-After`).
 *
 * @module
 */
import { ChannelApiError, TransportError } from '../../src/errors';

const CHANNEL = 'botframework';

/** The parts of @azure/core-http-compat's WebResourceLike this client reads. */
interface CompatRequest {
  url: string;
  method: string;
  headers: { toJson(options?: { preserveCase?: boolean }): Record<string, string> };
  body?: unknown;
}

interface CompatHeaders {
  toJson(options?: { preserveCase?: boolean }): Record<string, string>;
  get(name: string): string | undefined;
  contains(name: string): boolean;
  rawHeaders(): Record<string, string>;
}

export interface CompatResponse {
  request: CompatRequest;
  status: number;
  headers: CompatHeaders;
  bodyAsText: string;
}

/** Seconds to wait from a Retry-After header (seconds or an HTTP date). */
export function retryAfterSeconds(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

function methodOf(url: string, method: string): string {
  const path = new URL(url).pathname;
  return /\/activities(\/|$)/.test(path) ? 'sendActivity' : `${method} ${path}`;
}

/**
 * 429 waits Retry-After; 400 (malformed), 403 (bot blocked, removed from the
 * conversation, disabled by an admin) and 404 (conversation gone) are permanent; 401 (a
 * token being renewed), 5xx and the rest are retried.
 */
export function connectorError(
  status: number,
  body: string,
  headers: Headers,
  url: string,
  method: string,
): ChannelApiError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string; message?: string }; message?: string };
    code = parsed.error?.code;
    message = parsed.error?.message ?? parsed.message;
  } catch {
    message = body.slice(0, 200) || undefined;
  }
  const retryAfter = retryAfterSeconds(headers.get('retry-after'));
  return new ChannelApiError({
    channel: CHANNEL,
    method: methodOf(url, method),
    status,
    description: `${status}${code ? ` ${code}` : ''}: ${message ?? 'no description'}`,
    ...(code !== undefined && { platformCode: code }),
    ...(retryAfter !== undefined && { retryAfter }),
    permanent: status === 400 || status === 403 || status === 404,
  });
}

function compatHeaders(headers: Headers): CompatHeaders {
  const record = Object.fromEntries(headers.entries());
  return {
    toJson: () => ({ ...record }),
    rawHeaders: () => ({ ...record }),
    get: (name) => record[name.toLowerCase()],
    contains: (name) => name.toLowerCase() in record,
  };
}

export interface ConnectorHttpClient {
  sendRequest(request: CompatRequest): Promise<CompatResponse>;
}

export function createConnectorHttpClient(timeoutMs = 30_000): ConnectorHttpClient {
  return {
    async sendRequest(request) {
      let res: Response;
      let text: string;
      try {
        res = await fetch(request.url, {
          method: request.method,
          headers: request.headers.toJson({ preserveCase: true }),
          ...(typeof request.body === 'string' && { body: request.body }),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await res.text();
      } catch (error) {
        throw new TransportError(
          CHANNEL,
          `${methodOf(request.url, request.method)}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      if (res.status < 200 || res.status >= 300) {
        throw connectorError(res.status, text, res.headers, request.url, request.method);
      }
      return { request, status: res.status, headers: compatHeaders(res.headers), bodyAsText: text };
    },
  };
}
