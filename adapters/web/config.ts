/**
 * The web channel's own settings: how the widget looks on the demo page and what the page
 * is. The channel is always on; these only change its face.
 *
 * @module
 */
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../../src/config';
import { parseSettings } from '../meta-graph/config';

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const webSettingsSchema = z.object({
  /** The widget's colour (launcher, header, the customer's bubbles): a CSS hex colour. */
  WEB_ACCENT: optional.refine((v) => v === undefined || /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(v), {
    error: 'must be a hex colour such as #4f46e5',
  }),
  /** Under the title in the widget's header, e.g. "We usually answer in seconds". */
  WEB_SUBTITLE: optional.refine((v) => v === undefined || v.length <= 80, {
    error: 'must be 80 characters or fewer',
  }),
  /** The widget's welcome text before the first message. */
  WEB_GREETING: optional.refine((v) => v === undefined || v.length <= 300, {
    error: 'must be 300 characters or fewer',
  }),
  /** `on` (the default), `off`, or an HTML file (relative to BOT_DIR) served at `/` instead. */
  WEB_DEMO_PAGE: optional.refine((v) => v === undefined || v === 'on' || v === 'off' || /\.html?$/i.test(v), {
    error: 'must be on, off, or an .html file in the bot folder (e.g. web/index.html)',
  }),
});

/** The web channel's validated settings. */
export interface WebSettings {
  /** The widget's title: the bot's name (BOT_NAME). */
  title: string;
  accent: string | undefined;
  subtitle: string | undefined;
  greeting: string | undefined;
  /** What `/` serves: the built-in page, nothing, or the bot's own file (absolute path). */
  demoPage: 'on' | 'off' | { file: string };
}

/** Reads the settings from `config.env`; throws ConfigError with one line per bad value. */
export function webSettings(config: Pick<Config, 'env' | 'BOT_NAME' | 'botDir'>): WebSettings {
  const s = parseSettings(webSettingsSchema, config.env);
  const page = s.WEB_DEMO_PAGE ?? 'on';
  return {
    title: config.BOT_NAME,
    accent: s.WEB_ACCENT,
    subtitle: s.WEB_SUBTITLE,
    greeting: s.WEB_GREETING,
    demoPage: page === 'on' || page === 'off' ? page : { file: path.resolve(config.botDir, page) },
  };
}
