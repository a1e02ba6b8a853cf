/**
 * Structured JSON logs (pino). Personal data is redacted by path: message text,
 * names, e-mail addresses, phone numbers and tokens never reach the log unless
 * `LOG_LEVEL=trace`, where the developer asked for everything.
 *
 * @module
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Fields that carry personal data or secrets, at any depth the framework logs them. */
const REDACTED_FIELDS = [
  'text',
  'name',
  'email',
  'phone',
  'profile',
  'content',
  'token',
  'identityToken',
  'authorization',
  'address',
];

// Top-level `name` is pino's logger name, so top-level paths skip it.
const paths = REDACTED_FIELDS.flatMap((f) => [...(f === 'name' ? [] : [f]), `*.${f}`, `*.*.${f}`]);

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino({
    name: options.name ?? 'switchboard',
    level,
    redact: level === 'trace' ? [] : { paths, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
