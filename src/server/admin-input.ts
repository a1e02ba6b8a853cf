/**
 * Input validation shared by the admin API's routes.
 *
 * @module
 */
import type { z } from 'zod';
import { PayloadError } from '../errors';

/** Validates `value`; a 400 naming the first bad field otherwise. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : undefined;
  let message = issue?.message ?? 'invalid request';
  if (issue?.code === 'unrecognized_keys')
    message = `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  throw new PayloadError(
    field ? `${field}: ${message}` : message,
    field ?? (issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined),
  );
}
