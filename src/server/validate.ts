/**
 * Inbound payload validation: every platform payload is checked against a schema of the
 * fields Switchboard reads before anything of it reaches the store. A payload that is
 * authentic (its signature checked out) but malformed becomes a
 * {@link MalformedPayloadError}: acknowledged with a 2xx (a platform redelivers anything
 * else, and the same bytes would fail the same way forever), counted and logged by the
 * HTTP front door.
 *
 * @module
 */
import type { z } from 'zod';
import { MalformedPayloadError } from '../errors';

/** At most this many issues are reported: a fuzzed payload can have thousands. */
const MAX_ISSUES = 5;

/**
 * `body` checked against `schema`; throws {@link MalformedPayloadError} naming the paths
 * that are wrong (never the values: they may be personal data).
 */
export function validatePayload<S extends z.ZodType>(channel: string, schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map(String).join('.') || '(body)';
    return `${path}: ${issue.code}`;
  });
  throw new MalformedPayloadError(channel, issues);
}
