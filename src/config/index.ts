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

/** A blank value counts as unset: `PORT=` in .env means the default, not 0. */
const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * A whole number in a range. The message says the rule and the default, in plain words: a
 * person reads it at a terminal, not a validator.
 */
function wholeNumber(min: number, max: number | undefined, fallback: number) {
  const range = max === undefined ? `of ${min} or more` : `from ${min} to ${max}`;
  const error = `must be a whole number ${range} (unset, it is ${fallback})`;
  const base = z.coerce.number({ error }).int({ error }).min(min, { error });
  return z.preprocess(blankIsUnset, (max === undefined ? base : base.max(max, { error })).default(fallback));
}
/** One of `values`, saying which. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of: ${values.join(', ')}` });
/** A non-empty text (after trimming). */
const text = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `must not be empty: ${what}` });
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const url = (protocols: string[], example: string) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    {
      message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, e.g. ${example}`,
    },
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
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], { error: 'must be true or false' })
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/** A secret of at least `min` characters. */
const secret = (min: number) =>
  optionalString.refine((v) => v === undefined || v.length >= min, {
    message: `must be at least ${min} characters (make one with \`openssl rand -hex 32\`)`,
  });

/** Every setting Switchboard reads. Names are the environment variables. */
export const settingsSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535, 3000),
  HOST: text('an address such as 127.0.0.1, or 0.0.0.0 for every interface').default('127.0.0.1'),
  /** Public base URL of this bot (for links it hands out); defaults to http://HOST:PORT. */
  PUBLIC_URL: url(['http:', 'https:'], 'https://bot.example.com'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the embedded store (SQLite) and caches live. */
  DATA_DIR: text('a folder for the SQLite store and caches, e.g. ./data').default('./data'),
  /** The bot's content folder (intents/, flows/, actions). */
  BOT_DIR: text('the bot folder, e.g. .').default('.'),
  /** PostgreSQL instead of the embedded SQLite store. */
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://user:password@db:5432/switchboard'),
  /** Redis: scale mode (BullMQ queues, pub/sub between processes). */
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** The bot's name: on its messages, the widget's title and the demo page. */
  BOT_NAME: text('the name customers see, e.g. BOT_NAME="Acme Support"').default('Switchboard'),

  // Web channel
  /** Shared secret for signed web identity tokens (HMAC-SHA256). Unset: tokens are refused. */
  WEB_IDENTITY_SECRET: secret(32),
  /**
   * Signs the links to media kept on a platform (`/media/<token>`). Unset: a secret is
   * generated once and kept in the store.
   */
  MEDIA_SECRET: secret(32),
  /** Comma-separated origins allowed to embed the widget cross-origin; `*` allows any. */
  WEB_ALLOWED_ORIGINS: z.string().trim().default('*'),
  WEB_MAX_TEXT_LENGTH: wholeNumber(1, 100_000, 4000),

  // Outbox
  OUTBOX_CONCURRENCY: wholeNumber(1, 1000, 32),
  OUTBOX_MAX_ATTEMPTS: wholeNumber(1, 100, 12),

  // Verified identity linking (docs/omnichannel.md)
  /** How long a "continue on …" link code is valid. */
  LINK_CODE_TTL_MINUTES: wholeNumber(1, 1440, 15),
  /** How long a one-time code sent to an email or phone is valid. */
  LINK_OTP_TTL_MINUTES: wholeNumber(1, 60, 10),
  /** Wrong, expired or reused codes one sender may present per LINK_CODE_TTL_MINUTES. */
  LINK_MAX_ATTEMPTS: wholeNumber(1, 100, 5),
  /** `on`: the built-in "continue on Telegram" / `/link telegram` commands answer with a link. */
  LINK_COMMANDS: oneOf(['on', 'off']).default('on'),
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
  ADMIN_API_TOKEN: secret(24),

  // Opt-outs: whole messages that opt a customer out of (or back into) proactive messages
  /** Comma-separated; unset: STOP, STOPALL, UNSUBSCRIBE, OPT OUT…; empty: off. */
  OPT_OUT_KEYWORDS: keywordList,
  /** Comma-separated; unset: START, UNSTOP, SUBSCRIBE, OPT IN. */
  OPT_IN_KEYWORDS: keywordList,

  // CRM profile provider (customer.profile.crm), on first contact and on handoff
  /** A JSON file of customers keyed by e-mail, phone or account id (relative to BOT_DIR). */
  CRM_FILE: optionalString,
  /** An HTTP endpoint answering `POST {customerId, reason, profile, identities}` with the customer's data. */
  CRM_WEBHOOK_URL: url(['http:', 'https:'], 'https://crm.example.com/switchboard'),
  /** Signs webhook requests (`X-Switchboard-Signature: sha256=<hex HMAC of the body>`). */
  CRM_WEBHOOK_SECRET: optionalString,
  /** How long a lookup may take before it is abandoned (the reply never waits longer). */
  CRM_TIMEOUT_MS: wholeNumber(50, 60_000, 2000),

  // Knowledge answers composed by a language model (optional; without it the passage answers)
  /** An OpenAI-compatible API up to its version, e.g. `http://127.0.0.1:8080/v1`. Unset: no generation. */
  LLM_BASE_URL: url(['http:', 'https:'], 'http://127.0.0.1:8080/v1'),
  LLM_API_KEY: optionalString,
  /** The model name sent with each request (required with LLM_BASE_URL). */
  LLM_MODEL: optionalString,
  /** A generation that takes longer is abandoned for the passage answer. */
  LLM_TIMEOUT_MS: wholeNumber(100, 120_000, 8000),

  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, undefined, 10_000),
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
  const { config, problems } = readConfig(env, cwd);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Validates `env` and returns every problem, one line per setting (`NAME: what is wrong,
 * what to do (got "value")`, secrets never shown), together with a configuration in which
 * each bad setting has its default. That configuration is for checking the rest (the
 * channels) in the same pass, never for running: see {@link loadConfig}.
 */
export function readConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): { config: Config; problems: string[] } {
  const parsed = settingsSchema.safeParse(env);
  const bad = new Set<string>();
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        bad.add(name);
        const value = env[name];
        const shown = value === undefined ? 'unset' : JSON.stringify(redactValue(name, value));
        return `${name}: ${issue.message} (got ${shown})`;
      });
  const settings = parsed.success
    ? parsed.data
    : settingsSchema.parse(Object.fromEntries(Object.entries(env).filter(([name]) => !bad.has(name))));
  if (settings.LLM_BASE_URL && !settings.LLM_MODEL)
    problems.push('LLM_MODEL: is required with LLM_BASE_URL: the model name the server expects (got unset)');
  return { config: configFrom(settings, env, cwd), problems };
}

function configFrom(s: Settings, env: Record<string, string | undefined>, cwd: string): Config {
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
