/**
 * Messenger's settings. The channel is on when any of them is set; then all three are
 * required.
 *
 * @module
 */
import { z } from 'zod';
import { anySet, graphUrl, parseSettings, required } from '../meta-graph/config';

export const MESSENGER_SETTINGS = [
  'MESSENGER_VERIFY_TOKEN',
  'MESSENGER_APP_SECRET',
  'MESSENGER_PAGE_ACCESS_TOKEN',
] as const;

export const messengerSettingsSchema = z.object({
  /** Any string you choose; type the same into the Meta app's webhook settings. */
  MESSENGER_VERIFY_TOKEN: required(
    "any string you choose; type the same into the Meta app's webhook settings",
  ),
  /** App settings → Basic → App secret: signs every webhook POST. */
  MESSENGER_APP_SECRET: required('Meta app → App settings → Basic → App secret'),
  /** Messenger → Settings → Access tokens: the Page's token for the Send API. */
  MESSENGER_PAGE_ACCESS_TOKEN: required("Messenger → Settings → Access tokens: the Page's token"),
  META_GRAPH_URL: graphUrl,
});

export type MessengerSettings = z.infer<typeof messengerSettingsSchema>;

/** The settings, or null when the channel is off. Throws ConfigError when half-set. */
export function messengerSettings(
  env: Readonly<Record<string, string | undefined>>,
): MessengerSettings | null {
  if (!anySet(env, MESSENGER_SETTINGS)) return null;
  return parseSettings(messengerSettingsSchema, env, MESSENGER_SETTINGS);
}
