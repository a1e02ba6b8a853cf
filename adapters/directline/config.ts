/**
 * Direct Line's settings. The channel is on when `DIRECTLINE_SECRET` is set.
 *
 * @module
 */
import type { Config } from '../../src/config';
import { ConfigError } from '../../src/errors';

export interface DirectLineSettings {
  /** What the embedding site's backend sends as `Bearer` to mint tokens (never put it in a page). */
  secret: string;
  /** Token lifetime. Web Chat refreshes every 15 minutes whatever it is told, so at least 20. */
  tokenTtlSeconds: number;
}

export const DEFAULT_TOKEN_TTL_MINUTES = 30;

/** Null when the channel is off; a {@link ConfigError} listing every problem when a value is bad. */
export function directLineSettings(config: Pick<Config, 'env'>): DirectLineSettings | null {
  const value = (name: string) => {
    const v = config.env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const secret = value('DIRECTLINE_SECRET');
  const ttlRaw = value('DIRECTLINE_TOKEN_TTL_MINUTES');
  if (secret === undefined && ttlRaw === undefined) return null;
  const problems: string[] = [];
  if (secret === undefined) {
    problems.push('DIRECTLINE_SECRET: is required when DIRECTLINE_TOKEN_TTL_MINUTES is set');
  } else if (secret.length < 32 || /\s/.test(secret)) {
    problems.push(
      'DIRECTLINE_SECRET: must be at least 32 characters without spaces (use `openssl rand -hex 32`)',
    );
  }
  const ttl = ttlRaw === undefined ? DEFAULT_TOKEN_TTL_MINUTES : Number(ttlRaw);
  // Web Chat refreshes on a fixed 15-minute timer (it ignores expires_in): shorter tokens
  // would expire under it and end the chat for good.
  if (!Number.isInteger(ttl) || ttl < 20 || ttl > 24 * 60) {
    problems.push(
      `DIRECTLINE_TOKEN_TTL_MINUTES: must be a whole number of minutes from 20 to 1440 (got ${JSON.stringify(ttlRaw)}); Web Chat refreshes tokens every 15 minutes`,
    );
  }
  if (problems.length > 0 || secret === undefined) throw new ConfigError(problems);
  return { secret, tokenTtlSeconds: ttl * 60 };
}
