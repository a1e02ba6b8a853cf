/**
 * Configuration, read from the environment (and `.env` when present), validated once
 * at start-up. Every bad or missing value is reported on its own line; nothing starts
 * half-configured. `.env.example` documents each setting; keep the two in sync.
 *
 * @module
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
const keywordList = z
  .string()
  .optional()
  .transform((v) =>
    v === undefined
      ? undefined
      : v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
  );
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every setting Switchboard reads. Names are the environment variables. */
export const settingsSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Public base URL of this bot (for links it hands out); defaults to http://HOST:PORT. */
  PUBLIC_URL: url(['http:', 'https:']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the embedded store (SQLite) and caches live. */
  DATA_DIR: z.string().trim().min(1).default('./data'),
  /** The bot's content folder (intents/, flows/, actions). */
  BOT_DIR: z.string().trim().min(1).default('.'),
  /** PostgreSQL instead of the embedded SQLite store. */
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** Redis: scale mode (BullMQ queues, pub/sub between processes). */
  REDIS_URL: url(['redis:', 'rediss:']),
  BOT_NAME: z.string().trim().min(1).default('Switchboard'),

  // Web channel
  /** Shared secret for signed web identity tokens (HMAC-SHA256). Unset: tokens are refused. */
  WEB_IDENTITY_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters (use `openssl rand -hex 32`)',
  }),
  /**
   * Signs the links to media kept on a platform (`/media/<token>`). Unset: a secret is
   * generated once and kept in the store.
   */
  MEDIA_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
    message: 'must be at least 32 characters (use `openssl rand -hex 32`)',
  }),
  /** Comma-separated origins allowed to embed the widget cross-origin; `*` allows any. */
  WEB_ALLOWED_ORIGINS: z.string().trim().default('*'),
  WEB_MAX_TEXT_LENGTH: z.coerce.number().int().min(1).max(100_000).default(4000),

  // Outbox
  OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),

  // Verified identity linking (docs/omnichannel.md)
  /** How long a "continue on …" link code is valid. */
  LINK_CODE_TTL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  /** How long a one-time code sent to an email or phone is valid. */
  LINK_OTP_TTL_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  /** Wrong, expired or reused codes one sender may present per LINK_CODE_TTL_MINUTES. */
  LINK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** `on`: the built-in "continue on Telegram" / `/link telegram` commands answer with a link. */
  LINK_COMMANDS: z.enum(['on', 'off']).default('on'),
  /** The Facebook Page's username or id, for m.me links. */
  LINK_MESSENGER_PAGE: optionalString.refine((v) => v === undefined || /^[A-Za-z0-9.]{5,50}$/.test(v), {
    message: 'must be the Page username or numeric id, as in https://m.me/<page> (e.g. northwindgoods)',
  }),
  /** The WhatsApp business number, for wa.me links. */
  LINK_WHATSAPP_NUMBER: optionalString.refine(
    (v) => v === undefined || /^\+?[1-9]\d{6,14}$/.test(v.replace(/[\s-]/g, '')),
    { message: 'must be the WhatsApp number in international format, e.g. +4915112345678' },
  ),

  // Admin API (proactive messages, conversation search, customers)
  /** Bearer token of the admin API (`/api/v1`). Unset: the admin API is off. */
  ADMIN_API_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 24, {
    message: 'must be at least 24 characters (use `openssl rand -hex 32`)',
  }),

  // Opt-outs: whole messages that opt a customer out of (or back into) proactive messages
  /** Comma-separated; unset: STOP, STOPALL, UNSUBSCRIBE, OPT OUT…; empty: off. */
  OPT_OUT_KEYWORDS: keywordList,
  /** Comma-separated; unset: START, UNSTOP, SUBSCRIBE, OPT IN. */
  OPT_IN_KEYWORDS: keywordList,

  // CRM profile provider (customer.profile.crm), on first contact and on handoff
  /** A JSON file of customers keyed by e-mail, phone or account id (relative to BOT_DIR). */
  CRM_FILE: optionalString,
  /** An HTTP endpoint answering `POST {customerId, reason, profile, identities}` with the customer's data. */
  CRM_WEBHOOK_URL: url(['http:', 'https:']),
  /** Signs webhook requests (`X-Switchboard-Signature: sha256=<hex HMAC of the body>`). */
  CRM_WEBHOOK_SECRET: optionalString,
  /** How long a lookup may take before it is abandoned (the reply never waits longer). */
  CRM_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),

  // Knowledge answers composed by a language model (optional; without it the passage answers)
  /** An OpenAI-compatible API up to its version, e.g. `http://127.0.0.1:8080/v1`. Unset: no generation. */
  LLM_BASE_URL: url(['http:', 'https:']),
  LLM_API_KEY: optionalString,
  /** The model name sent with each request (required with LLM_BASE_URL). */
  LLM_MODEL: optionalString,
  /** A generation that takes longer is abandoned for the passage answer. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(8000),

  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  TRUST_PROXY: bool,
});

export type Settings = z.infer<typeof settingsSchema>;

/** The validated configuration the rest of the framework reads. */
export interface Config extends Settings {
  /** DATA_DIR resolved to an absolute path. */
  dataDir: string;
  /** BOT_DIR resolved to an absolute path. */
  botDir: string;
  publicUrl: string;
  allowedOrigins: '*' | string[];
  /** The raw environment, for adapters' own settings. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Validates `env` and returns the configuration, or throws a {@link ConfigError} that
 * lists every problem, one per line, with the variable's name.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Config {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = env[name];
      const shown = value === undefined ? 'unset' : JSON.stringify(redactValue(name, value));
      return `${name}: ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(problems);
  }
  const s = parsed.data;
  if (s.LLM_BASE_URL && !s.LLM_MODEL) {
    throw new ConfigError([
      'LLM_MODEL: is required with LLM_BASE_URL (the model name the server expects) (got unset)',
    ]);
  }
  const origins = s.WEB_ALLOWED_ORIGINS;
  return {
    ...s,
    dataDir: path.resolve(cwd, s.DATA_DIR),
    botDir: path.resolve(cwd, s.BOT_DIR),
    publicUrl: (s.PUBLIC_URL ?? `http://${s.HOST === '0.0.0.0' ? 'localhost' : s.HOST}:${s.PORT}`).replace(
      /\/$/,
      '',
    ),
    allowedOrigins:
      origins === '*'
        ? '*'
        : origins
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean),
    env,
  };
}

function redactValue(name: string, value: string): string {
  return /SECRET|TOKEN|PASSWORD|KEY/.test(name) || /:\/\/[^@]*@/.test(value) ? '[redacted]' : value;
}

/**
 * Reads `.env` from `cwd` into `process.env` without overriding what is already set,
 * quietly. Called by the CLI only: libraries never read files behind your back.
 */
export function loadDotEnv(cwd = process.cwd()): void {
  // dotenv is loaded lazily: only the CLI needs it.
  const dotenv = require('dotenv') as typeof import('dotenv');
  dotenv.config({ path: path.join(cwd, '.env'), quiet: true });
}
