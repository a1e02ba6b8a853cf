/**
 * Structured JSON logs (pino); in a terminal, the same records as readable lines
 * (pino-pretty, written synchronously so a crash loses nothing). Personal data is redacted by path: message text,
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

/**
 * A logger. `pretty`: readable lines with colours for a person at a terminal (the CLI passes
 * `process.stdout.isTTY`); otherwise one JSON object per line, for log collectors.
 */
export function createLogger(options: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const settings = {
    name: options.name ?? 'switchboard',
    level,
    redact: level === 'trace' ? [] : { paths, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (!options.pretty) return pino(settings);
  // Loaded only for a terminal: production images log JSON and never need it.
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(
    settings,
    pretty({
      sync: true,
      colorize: true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,name',
    }),
  );
}
