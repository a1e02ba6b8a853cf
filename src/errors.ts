/**
 * Switchboard's errors. Every error the framework raises on purpose carries a stable
 * machine-readable `code` (`SB_…`) and a message that tells the reader what to do.
 *
 * A platform refusing a call is a {@link ChannelApiError}; the network failing is a
 * {@link TransportError}. The outbox retries the second and, unless the platform said
 * the refusal is final, the first.
 *
 * @module
 */

/** The stable codes. Keep them: users match on them in logs and alerts. */
export type ErrorCode =
  | 'SB_CONFIG_INVALID'
  | 'SB_SIGNATURE_INVALID'
  | 'SB_PAYLOAD_INVALID'
  | 'SB_PAYLOAD_MALFORMED'
  | 'SB_IDENTITY_INVALID'
  | 'SB_STORE_UNAVAILABLE'
  | 'SB_STORE_CONFLICT'
  | 'SB_MIGRATION_FAILED'
  | 'SB_CHANNEL_API'
  | 'SB_TRANSPORT'
  | 'SB_CHANNEL_UNKNOWN'
  | 'SB_MIDDLEWARE'
  | 'SB_INTENTS_INVALID'
  | 'SB_FLOWS_INVALID'
  | 'SB_KNOWLEDGE_INVALID'
  | 'SB_NOT_FOUND'
  | 'SB_SHUTTING_DOWN'
  | 'SB_UNAUTHORIZED'
  | 'SB_OPTED_OUT'
  | 'SB_UNREACHABLE';

/** Base class of every error Switchboard raises on purpose. */
export class SwitchboardError extends Error {
  override readonly name: string = 'SwitchboardError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One problem in a file the bot author wrote (intents, flows, tests, config). */
export interface SourceProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
  /** What to do about it, when we can tell. */
  hint?: string;
}

/** Formats a problem as `file:line:column: message (hint)` — the form editors and CI link. */
export function formatProblem(p: SourceProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`;
}

/** A bot author's file (intents, flows) is broken; lists every problem found, not just the first. */
export class SourceFileError extends SwitchboardError {
  override readonly name = 'SourceFileError';
  constructor(
    code: 'SB_INTENTS_INVALID' | 'SB_FLOWS_INVALID' | 'SB_KNOWLEDGE_INVALID',
    readonly problems: SourceProblem[],
  ) {
    super(code, problems.map(formatProblem).join('\n'));
  }
}

/** A setting is missing or malformed. `problems` holds one line per bad value. */
export class ConfigError extends SwitchboardError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super('SB_CONFIG_INVALID', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** An inbound request failed its authenticity check (signature, secret token, identity token). */
export class SignatureError extends SwitchboardError {
  override readonly name = 'SignatureError';
  constructor(
    readonly channel: string,
    message: string,
  ) {
    super('SB_SIGNATURE_INVALID', `${channel}: ${message}`);
  }
}

/** An inbound payload cannot be understood. `field` names the offending field when known. */
export class PayloadError extends SwitchboardError {
  override readonly name = 'PayloadError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('SB_PAYLOAD_INVALID', message);
  }
}

/**
 * A signed, authentic platform payload whose shape is not what the platform documents
 * (a field of the wrong type, an item that is null). Answered 200 so the platform does
 * not redeliver it forever, counted (`switchboard_inbound_malformed_total`) and logged
 * with the offending paths only, never the values (they may be personal data).
 */
export class MalformedPayloadError extends SwitchboardError {
  override readonly name = 'MalformedPayloadError';
  constructor(
    readonly channel: string,
    /** Where the payload is wrong (`entry.0.messaging.0`: expected object), without values. */
    readonly issues: string[],
  ) {
    super(
      'SB_PAYLOAD_MALFORMED',
      `${channel}: payload does not match the platform's schema: ${issues.join('; ')}`,
    );
  }
}

/**
 * A platform answered a call with a refusal. `permanent` refusals (blocked by the user,
 * chat not found, outside the messaging window) are not retried: the message is marked
 * failed and the conversation gets an event instead.
 */
export class ChannelApiError extends SwitchboardError {
  override readonly name = 'ChannelApiError';
  readonly channel: string;
  readonly method: string;
  readonly status: number | undefined;
  readonly description: string;
  /** Platform-specific error code (Telegram `error_code`, Graph `code`, Slack `error`). */
  readonly platformCode: string | number | undefined;
  /** Seconds the platform asked us to wait (429 `retry_after` / `Retry-After`). */
  readonly retryAfter: number | undefined;
  readonly permanent: boolean;
  /** The platform refused the message as outside its messaging window (WhatsApp 131047). */
  readonly windowClosed: boolean;
  constructor(init: {
    channel: string;
    method: string;
    status?: number;
    description: string;
    platformCode?: string | number;
    retryAfter?: number;
    permanent?: boolean;
    windowClosed?: boolean;
    cause?: unknown;
  }) {
    super('SB_CHANNEL_API', `${init.channel} refused ${init.method}: ${init.description}`, {
      cause: init.cause,
    });
    this.channel = init.channel;
    this.method = init.method;
    this.status = init.status;
    this.description = init.description;
    this.platformCode = init.platformCode;
    this.retryAfter = init.retryAfter;
    this.permanent = init.permanent ?? false;
    this.windowClosed = init.windowClosed ?? false;
  }
}

/** The network failed while talking to a platform (connection refused, reset, timeout). Always retried. */
export class TransportError extends SwitchboardError {
  override readonly name = 'TransportError';
  constructor(
    readonly channel: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('SB_TRANSPORT', `${channel}: ${message}`, options);
  }
}

/** Why a proactive message was refused. */
export type ProactiveRefusal = 'opted_out' | 'unreachable';

/**
 * A proactive message (one that does not answer the customer) was refused before it was
 * stored: the customer opted out (`SB_OPTED_OUT`, HTTP 409), or no channel the customer
 * can be reached on allows a message now (`SB_UNREACHABLE`, HTTP 422: every messaging
 * window closed and no template, never wrote on the requested channel, …). `details`
 * says, per channel, why.
 */
export class ProactiveError extends SwitchboardError {
  override readonly name = 'ProactiveError';
  constructor(
    readonly reason: ProactiveRefusal,
    message: string,
    readonly details: { channel: string; reason: string }[] = [],
  ) {
    super(reason === 'opted_out' ? 'SB_OPTED_OUT' : 'SB_UNREACHABLE', message);
  }
}

/** Normalises anything thrown into an Error, for logging. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
