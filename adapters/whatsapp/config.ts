/**
 * WhatsApp Cloud API settings. The channel is on when any of the four credentials is
 * set; then all four are required. A template (name + language) is optional: without
 * one, messages outside the 24-hour window fail with a clear error.
 *
 * @module
 */
import { z } from 'zod';
import { anySet, graphUrl, parseSettings, required } from '../meta-graph/config';

export const WHATSAPP_SETTINGS = [
  'WHATSAPP_VERIFY_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_PHONE_NUMBER_ID',
] as const;

const SECRETS = ['WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_ACCESS_TOKEN'];

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const whatsappSettingsSchema = z.object({
  WHATSAPP_VERIFY_TOKEN: required(
    "any string you choose; type the same into the Meta app's webhook settings",
  ),
  WHATSAPP_APP_SECRET: required('Meta app → App settings → Basic → App secret'),
  WHATSAPP_ACCESS_TOKEN: required('WhatsApp → API Setup: a system user access token'),
  WHATSAPP_PHONE_NUMBER_ID: required('WhatsApp → API Setup → Phone number ID').regex(/^\d+$/, {
    error: 'must be the numeric phone number ID from WhatsApp → API Setup (not the phone number)',
  }),
  /** An approved template sent instead of free-form text outside the 24-hour window. */
  WHATSAPP_TEMPLATE_NAME: optional.refine((v) => v === undefined || /^[a-z0-9_]+$/.test(v), {
    error: 'template names are lowercase letters, digits and underscores',
  }),
  WHATSAPP_TEMPLATE_LANGUAGE: optional
    .transform((v) => v ?? 'en_US')
    .refine((v) => /^[a-z]{2,3}(_[A-Z]{2})?$/.test(v), { error: 'must be a language code like en_US or de' }),
  META_GRAPH_URL: graphUrl,
});

export type WhatsAppSettings = z.infer<typeof whatsappSettingsSchema>;

/** The settings, or null when the channel is off. Throws ConfigError when half-set. */
export function whatsappSettings(env: Readonly<Record<string, string | undefined>>): WhatsAppSettings | null {
  if (!anySet(env, [...WHATSAPP_SETTINGS, 'WHATSAPP_TEMPLATE_NAME'])) return null;
  return parseSettings(whatsappSettingsSchema, env, SECRETS);
}
