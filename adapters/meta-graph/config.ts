/**
 * Settings helpers the Meta channels share: the Graph base URL and turning zod issues
 * into one {@link ConfigError} line per setting.
 *
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../../src/errors';

/** The public Graph API, pinned to the version these adapters were written against. */
export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com/v21.0';

/** A required, non-empty setting; `where` tells the reader where to find its value. */
export const required = (where: string) =>
  z
    .string({ error: `is required: ${where}` })
    .trim()
    .min(1, { error: `is required: ${where}` });

/** `META_GRAPH_URL`: the Graph API base, version included (tests and proxies point it elsewhere). */
export const graphUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v.replace(/\/+$/, '') : DEFAULT_GRAPH_URL))
  .refine(
    (v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: 'must be a URL starting with http:// or https://, e.g. https://graph.facebook.com/v21.0' },
  );

/** True when any of `names` is set to something non-blank: the channel is meant to be on. */
export function anySet(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): boolean {
  return names.some((n) => (env[n] ?? '').trim() !== '');
}

/** Parses `env` with `schema`, or throws a ConfigError with one line per bad or missing value. */
export function parseSettings<T>(
  schema: z.ZodType<T>,
  env: Readonly<Record<string, string | undefined>>,
  secrets: readonly string[] = [],
): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = env[name];
      const shown =
        value === undefined || value === ''
          ? 'unset'
          : secrets.includes(name)
            ? '[redacted]'
            : JSON.stringify(value);
      return `${name}: ${issue.message} (got ${shown})`;
    }),
  );
}
