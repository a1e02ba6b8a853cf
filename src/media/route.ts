/**
 * `GET /media/<token>`: streams the file a signed media link grants (see {@link MediaLinks}),
 * fetched through the adapter of the channel it lives on.
 *
 * The bytes come from customers and operators, and are served from the bot's own origin
 * (where the widget's demo page lives): so nothing is ever rendered as a page. Only
 * images (not SVG), audio and video display inline; everything else downloads, and a
 * sandboxing Content-Security-Policy and `nosniff` go on every answer.
 *
 * @module
 */
import { pipeline } from 'node:stream';
import type { Request, Response, Router } from 'express';
import type { ChannelAdapter } from '../core/adapter';
import { ChannelApiError, asError } from '../errors';
import type { Logger } from '../observability/logger';
import { MediaLinkError, type MediaLinks } from './links';

const INLINE = /^(image\/(png|jpe?g|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+)$/i;

/** A bare media type (no parameters), or octet-stream when there is none. */
function mediaType(value: string | undefined): string {
  const type = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream';
}

/**
 * `inline` only for what browsers show as media, `attachment` for everything else; the
 * name as plain ASCII in `filename` and exactly in `filename*` (RFC 6266 / 5987).
 */
export function contentDisposition(type: string, filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_') || 'file';
  let exact = '';
  try {
    exact = encodeURIComponent(filename.normalize('NFC')).replace(
      /['()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  } catch {
    // A lone surrogate: the ASCII name alone.
  }
  return `${INLINE.test(type) ? 'inline' : 'attachment'}; filename="${ascii}"${exact ? `; filename*=UTF-8''${exact}` : ''}`;
}

export function mountMediaRoute(
  router: Router,
  links: MediaLinks,
  adapter: (channel: string) => ChannelAdapter | undefined,
  logger: Logger,
): void {
  router.get('/media/:token', async (req: Request, res: Response) => {
    const answer = (status: number, code: string, message: string): void => {
      res.status(status).json({ error: { code, message } });
    };
    let ref: ReturnType<MediaLinks['read']>;
    try {
      ref = links.read(String(req.params.token));
    } catch (error) {
      if (error instanceof MediaLinkError && error.reason === 'expired')
        return answer(410, 'SB_NOT_FOUND', 'this media link has expired');
      return answer(404, 'SB_NOT_FOUND', 'no such media');
    }
    const owner = adapter(ref.channel);
    if (!owner?.fetchMedia)
      return answer(404, 'SB_NOT_FOUND', `media from ${ref.channel} cannot be fetched by this server`);
    const headers = (type: string, size: number | undefined) => {
      res.setHeader('Content-Type', type);
      if (size !== undefined) res.setHeader('Content-Length', String(size));
      res.setHeader('Content-Disposition', contentDisposition(type, ref.filename ?? 'file'));
      res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
      res.setHeader('X-Content-Type-Options', 'nosniff');
      // Never cached past the link's own expiry.
      const left = Math.floor(((ref.expiresAt ?? 0) - Date.now()) / 1000);
      res.setHeader('Cache-Control', `private, max-age=${Math.max(0, Math.min(3600, left))}`);
      // Platforms and browsers fetch media from other origins (the widget on a shop's site).
      res.setHeader('Access-Control-Allow-Origin', '*');
    };
    // A HEAD asks what the link is without the platform being asked for the bytes.
    if (req.method === 'HEAD') {
      headers(mediaType(ref.mimeType), undefined);
      res.status(200).end();
      return undefined;
    }
    let media: Awaited<ReturnType<NonNullable<ChannelAdapter['fetchMedia']>>>;
    try {
      media = await owner.fetchMedia(ref.ref);
    } catch (thrown) {
      const error = asError(thrown);
      logger.warn({ err: error, channel: ref.channel }, 'fetching media from the platform failed');
      if (error instanceof ChannelApiError && error.permanent)
        return answer(404, 'SB_NOT_FOUND', `${ref.channel} no longer has this file`);
      return answer(502, 'SB_CHANNEL_API', `${ref.channel} did not hand over the file; try again`);
    }
    headers(mediaType(media.mimeType ?? ref.mimeType), media.size);
    // pipeline, not pipe: a client that goes away releases the platform's connection (or file) too.
    pipeline(media.body, res, (error) => {
      if (
        error &&
        !res.writableFinished &&
        (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE'
      )
        logger.warn({ err: error, channel: ref.channel }, 'streaming media from the platform broke');
    });
    return undefined;
  });
}
