/**
 * The Slack channel's settings, validated by the adapter itself (channel options never
 * leak into the core config). The channel is on when any `SLACK_*` setting is set, and
 * then every required one must be valid.
 *
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../../src/errors';

const trimmed = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** The environment variables the Slack channel reads. */
export const slackSettingsSchema = z.object({
  /** Bot User OAuth Token (OAuth & Permissions page): `xoxb-…`. */
  SLACK_BOT_TOKEN: trimmed.pipe(
    z
      .string({ error: 'is required when Slack is configured (the xoxb-… Bot User OAuth Token)' })
      .regex(/^xoxb-[A-Za-z0-9-]+$/, 'must be a bot token starting with "xoxb-"'),
  ),
  /** Signing Secret (Basic Information → App Credentials). */
  SLACK_SIGNING_SECRET: trimmed.pipe(
    z
      .string({ error: 'is required when Slack is configured (Basic Information → Signing Secret)' })
      .min(16, 'looks too short for a Slack signing secret'),
  ),
  /** Web API base URL; a local fake in tests, an egress proxy in locked-down networks. */
  SLACK_API_URL: trimmed
    .pipe(
      z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' })
        .optional(),
    )
    .transform((v) => {
      const url = v ?? 'https://slack.com/api/';
      return url.endsWith('/') ? url : `${url}/`;
    }),
  /**
   * Channels (ids, comma-separated) where every message is meant for the bot, mention or
   * not: a shared Slack Connect support channel. Elsewhere only DMs and @mentions count.
   */
  SLACK_SUPPORT_CHANNELS: trimmed.transform((v) =>
    (v ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  ),
});

export type SlackSettings = z.infer<typeof slackSettingsSchema>;

const NAMES = Object.keys(slackSettingsSchema.shape) as (keyof SlackSettings)[];

/**
 * The Slack settings in `env`, or null when none is set. Throws {@link ConfigError} with
 * one line per bad or missing value when Slack is half-configured.
 */
export function slackSettingsFrom(env: Readonly<Record<string, string | undefined>>): SlackSettings | null {
  if (!NAMES.some((name) => (env[name] ?? '').trim() !== '')) return null;
  const picked = Object.fromEntries(NAMES.map((name) => [name, env[name]]));
  const parsed = slackSettingsSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(slack)');
      const value = env[name];
      const shown =
        value === undefined || value.trim() === ''
          ? 'unset'
          : /TOKEN|SECRET/.test(name)
            ? '[redacted]'
            : JSON.stringify(value);
      return `${name}: ${issue.message} (got ${shown})`;
    }),
  );
}
