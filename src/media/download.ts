/**
 * Streams a file from a platform's file server, for the adapters' `fetchMedia`: the answer's
 * own Content-Type and Content-Length, and the platform's refusal as a ChannelApiError
 * (final for `permanent` statuses) or the network's as a TransportError.
 *
 * @module
 */
import type { Dispatcher } from 'undici';
import type { FetchedMedia } from '../core/adapter';
import { ChannelApiError, TransportError, asError } from '../errors';

export async function downloadFile(
  channel: string,
  url: string,
  options: {
    /** For the error: which call this was (`files.download`, `getFile`…). */
    method: string;
    headers?: Record<string, string>;
    /** Statuses that mean the file is gone for good (default 400, 403, 404, 410). */
    permanent?: number[];
  },
): Promise<FetchedMedia> {
  let res: Dispatcher.ResponseData;
  try {
    // undici loads with the first download, not with every bot.
    const { request } = require('undici') as typeof import('undici');
    res = await request(url, {
      method: 'GET',
      ...(options.headers && { headers: options.headers }),
      headersTimeout: 15_000,
      bodyTimeout: 60_000,
    });
  } catch (error) {
    throw new TransportError(channel, `${options.method}: ${asError(error).message}`, { cause: error });
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new ChannelApiError({
      channel,
      method: options.method,
      status: res.statusCode,
      description: `the file server answered ${res.statusCode}`,
      permanent: (options.permanent ?? [400, 403, 404, 410]).includes(res.statusCode),
    });
  }
  const type = res.headers['content-type'];
  // A generic type says nothing: the link's own (from the platform's metadata) stands.
  const generic = typeof type !== 'string' || /^(application|binary)\/octet-stream\b/i.test(type);
  const length = Number(res.headers['content-length']);
  return {
    body: res.body,
    ...(!generic && { mimeType: type }),
    ...(Number.isFinite(length) && length >= 0 && { size: length }),
  };
}
