/**
 * Telegram's settings. The channel is on when any `TELEGRAM_*` setting is set; then
 * every setting it needs must be valid, and each problem is reported on its own line.
 *
 * @module
 */
import { z } from 'zod';
import type { Config } from '../../src/config';
import { ConfigError } from '../../src/errors';

export const DEFAULT_API_ROOT = 'https://api.telegram.org';

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const schema = z
  .object({
    TELEGRAM_BOT_TOKEN: optional,
    TELEGRAM_WEBHOOK_SECRET: optional,
    TELEGRAM_MODE: optional,
    TELEGRAM_API_ROOT: optional,
  })
  .superRefine((s, ctx) => {
    if (s.TELEGRAM_BOT_TOKEN === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_BOT_TOKEN'],
        message: 'is required: the token @BotFather gave you (looks like 123456789:AA…)',
      });
    } else if (!/^\d+:[A-Za-z0-9_-]+$/.test(s.TELEGRAM_BOT_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_BOT_TOKEN'],
        message: 'is not a bot token (expected <bot id>:<secret>, as @BotFather prints it)',
      });
    }
    if (s.TELEGRAM_MODE !== undefined && s.TELEGRAM_MODE !== 'webhook' && s.TELEGRAM_MODE !== 'polling') {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_MODE'], message: 'must be "webhook" or "polling"' });
    }
    const secret = s.TELEGRAM_WEBHOOK_SECRET;
    if (s.TELEGRAM_MODE !== 'polling' && secret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message:
          'is required in webhook mode: pass the same value as secret_token to setWebhook (generate one with `openssl rand -hex 32`), or set TELEGRAM_MODE=polling for development',
      });
    }
    // Telegram accepts 1–256 characters of A-Z a-z 0-9 _ -; fewer than 16 is guessable.
    if (secret !== undefined && !/^[A-Za-z0-9_-]{16,256}$/.test(secret)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'must be 16–256 characters of A–Z, a–z, 0–9, "_" or "-" (use `openssl rand -hex 32`)',
      });
    }
    if (s.TELEGRAM_API_ROOT !== undefined) {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(s.TELEGRAM_API_ROOT).protocol);
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_API_ROOT'],
          message: 'must be a URL starting with http:// or https:// (a self-hosted Bot API server)',
        });
      }
    }
  });

/** Telegram's validated settings. */
export interface TelegramSettings {
  token: string;
  /** Set in webhook mode (required there). */
  webhookSecret: string | undefined;
  mode: 'webhook' | 'polling';
  /** Always ends with `/`: telegraf resolves `./bot<token>/<method>` against it. */
  apiRoot: string;
}

/** True when any TELEGRAM_* setting has a value. */
export function telegramConfigured(env: Config['env']): boolean {
  return Object.entries(env).some(([k, v]) => k.startsWith('TELEGRAM_') && (v ?? '').trim() !== '');
}

/**
 * Reads Telegram's settings from `config.env`: null when none is set, the settings when
 * all are valid, a {@link ConfigError} (one line per setting) otherwise.
 */
export function telegramSettings(config: Pick<Config, 'env'>): TelegramSettings | null {
  const env = config.env;
  if (!telegramConfigured(env)) return null;
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || 'TELEGRAM_*';
        const value = env[name];
        const shown =
          value === undefined || value === ''
            ? 'unset'
            : /TOKEN|SECRET/.test(name)
              ? '[redacted]'
              : JSON.stringify(value);
        return `${name}: ${issue.message} (got ${shown})`;
      }),
    );
  }
  const s = parsed.data;
  const root = s.TELEGRAM_API_ROOT ?? DEFAULT_API_ROOT;
  return {
    token: s.TELEGRAM_BOT_TOKEN as string,
    webhookSecret: s.TELEGRAM_WEBHOOK_SECRET,
    mode: s.TELEGRAM_MODE === 'polling' ? 'polling' : 'webhook',
    apiRoot: root.endsWith('/') ? root : `${root}/`,
  };
}
