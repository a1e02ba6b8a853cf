/**
 * whatsapp-web.js settings: on with `WHATSAPP_WEB=true`.
 *
 * @module
 */
import fs from 'node:fs';
import { z } from 'zod';
import { parseSettings } from '../meta-graph/config';

/** Debian's `chromium` package: used when CHROMIUM_PATH is unset and it exists. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const whatsappWebSettingsSchema = z.object({
  WHATSAPP_WEB: z.enum(['true', 'false', '1', '0', 'yes', 'no', ''], {
    error: 'must be true or false',
  }),
  /** The browser puppeteer drives. */
  CHROMIUM_PATH: optional.refine((v) => v === undefined || fs.existsSync(v), {
    error:
      'no file there: install chromium (apt-get install chromium) or point CHROMIUM_PATH at a Chrome/Chromium binary',
  }),
  /** Names the LocalAuth session folder (several numbers on one machine need different ids). */
  WHATSAPP_WEB_CLIENT_ID: optional
    .transform((v) => v ?? 'switchboard')
    .refine((v) => /^[A-Za-z0-9_-]+$/.test(v), { error: 'letters, digits, "_" and "-" only' }),
  /** Protects GET /whatsapp-web/qr (Bearer token). Unset: the QR is served to loopback only, never in production. */
  WHATSAPP_WEB_QR_TOKEN: optional.refine((v) => v === undefined || v.length >= 16, {
    error: 'must be at least 16 characters (use `openssl rand -hex 16`)',
  }),
});

export interface WhatsAppWebSettings {
  executablePath: string | undefined;
  clientId: string;
  qrToken: string | undefined;
}

/** The settings, or null unless WHATSAPP_WEB is true. Throws ConfigError on bad values. */
export function whatsappWebSettings(
  env: Readonly<Record<string, string | undefined>>,
): WhatsAppWebSettings | null {
  const flag = (env.WHATSAPP_WEB ?? '').trim();
  if (flag === '' || flag === 'false' || flag === '0' || flag === 'no') return null;
  const s = parseSettings(whatsappWebSettingsSchema, { ...env, WHATSAPP_WEB: flag }, [
    'WHATSAPP_WEB_QR_TOKEN',
  ]);
  return {
    executablePath: s.CHROMIUM_PATH ?? (fs.existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined),
    clientId: s.WHATSAPP_WEB_CLIENT_ID,
    qrToken: s.WHATSAPP_WEB_QR_TOKEN,
  };
}
