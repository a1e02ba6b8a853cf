/**
 * Signed links to media that stays on a platform: a Telegram file, a WhatsApp media id, a
 * file an operator uploaded to Slack. Fetching those bytes needs the platform's token, so
 * messages keep a reference (`tg-file:…`, `wa-media:…`, `slack-file:…`) and whoever must
 * show the file (an operator in Slack, a customer's browser, another platform's servers)
 * gets a link to `GET /media/<token>`, which fetches it through the owning adapter.
 *
 * A token is the reference, its channel and an expiry, signed with HMAC-SHA256: it
 * grants that one file until then and nothing else. The secret is `MEDIA_SECRET`, or one
 * generated on first use and kept in the store, so links outlive restarts and work on
 * every process.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MediaContent } from '../model';
import type { KvRepo } from '../store';

/** What a link points at. */
export interface MediaRef {
  /** The channel whose adapter can fetch it. */
  channel: string;
  /** The adapter's reference, e.g. `tg-file:AgAC…`. */
  ref: string;
  filename?: string;
  mimeType?: string;
  /** When the link stops working (ms since the epoch); set by {@link MediaLinks.read}. */
  expiresAt?: number;
}

export class MediaLinkError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'expired',
  ) {
    super(message);
  }
}

const SECRET_KEY = 'media:link-secret';
/** Long enough for a transcript that is read weeks later; a link grants one file only. */
export const DEFAULT_LINK_TTL_MS = 90 * 24 * 3600_000;

/** Whether a media URL is a platform reference that needs a signed link to be opened. */
export function isPlatformRef(url: string): boolean {
  return !/^https?:\/\//i.test(url);
}

export class MediaLinks {
  private constructor(
    private readonly secret: Buffer,
    private readonly baseUrl: () => string,
  ) {}

  /**
   * Links under `baseUrl()` (the public URL; asked each time, as it may be known only once
   * the server listens), signed with `configured` (MEDIA_SECRET) or the store's generated
   * secret.
   */
  static async open(kv: KvRepo, configured: string | undefined, baseUrl: () => string): Promise<MediaLinks> {
    let secret = configured;
    if (!secret) {
      // Two processes starting together: only the first add writes, and both read that one.
      await kv.add(SECRET_KEY, randomBytes(32).toString('base64url'));
      secret = (await kv.get<string>(SECRET_KEY)) ?? undefined;
    }
    if (!secret) throw new Error('could not keep the media link secret in the store');
    return new MediaLinks(Buffer.from(secret), baseUrl);
  }

  /** The link for `ref`, valid for `ttlMs`. */
  link(ref: MediaRef, ttlMs = DEFAULT_LINK_TTL_MS, now = Date.now()): string {
    const payload = Buffer.from(
      JSON.stringify({
        c: ref.channel,
        r: ref.ref,
        e: Math.ceil((now + ttlMs) / 1000),
        ...(ref.filename && { n: ref.filename }),
        ...(ref.mimeType && { m: ref.mimeType }),
      }),
    ).toString('base64url');
    return `${this.baseUrl().replace(/\/+$/, '')}/media/${payload}.${this.sign(payload)}`;
  }

  /** A viewable URL for a media message: its own when it is public, else a signed link. */
  urlFor(channel: string, content: MediaContent, ttlMs?: number): string {
    if (!isPlatformRef(content.url)) return content.url;
    return this.link(
      {
        channel,
        ref: content.url,
        ...(content.filename && { filename: content.filename }),
        ...(content.mimeType && { mimeType: content.mimeType }),
      },
      ttlMs,
    );
  }

  /** What a token grants; throws {@link MediaLinkError} when it is forged, damaged or expired. */
  read(token: string, now = Date.now()): MediaRef {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) throw new MediaLinkError('malformed link', 'invalid');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new MediaLinkError('bad signature', 'invalid');
    let data: { c?: unknown; r?: unknown; e?: unknown; n?: unknown; m?: unknown };
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof data;
    } catch {
      throw new MediaLinkError('malformed link', 'invalid');
    }
    if (typeof data.c !== 'string' || typeof data.r !== 'string' || typeof data.e !== 'number')
      throw new MediaLinkError('malformed link', 'invalid');
    if (data.e * 1000 < now) throw new MediaLinkError('this link has expired', 'expired');
    return {
      channel: data.c,
      ref: data.r,
      expiresAt: data.e * 1000,
      ...(typeof data.n === 'string' && { filename: data.n }),
      ...(typeof data.m === 'string' && { mimeType: data.m }),
    };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
