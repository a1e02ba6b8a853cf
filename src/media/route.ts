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
import type { Request, Response, Router } from 'express';
import type { ChannelAdapter } from '../core/adapter';
import { ChannelApiError, asError } from '../errors';
import type { Logger } from '../observability/logger';
import { MediaLinkError, type MediaLinks } from './links';

const INLINE = /^(image\/(png|jpe?g|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+)$/i;

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
    const type = (media.mimeType ?? ref.mimeType ?? 'application/octet-stream').split(';')[0]?.trim() ?? '';
    const filename = (ref.filename ?? 'file').replace(/["\\\r\n]/g, '_');
    res.setHeader('Content-Type', type || 'application/octet-stream');
    if (media.size !== undefined) res.setHeader('Content-Length', String(media.size));
    res.setHeader(
      'Content-Disposition',
      `${INLINE.test(type) ? 'inline' : 'attachment'}; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(ref.filename ?? 'file')}`,
    );
    res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, max-age=3600');
    // Platforms and browsers fetch media from other origins (the widget on a shop's site).
    res.setHeader('Access-Control-Allow-Origin', '*');
    media.body.on('error', (error) => {
      logger.warn({ err: error, channel: ref.channel }, 'media stream from the platform broke');
      res.destroy(error);
    });
    media.body.pipe(res);
    return undefined;
  });
}
