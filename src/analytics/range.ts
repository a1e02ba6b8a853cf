/**
 * Date ranges as people write them: `2026-12-01`, `2026-12-01T09:00:00Z`, epoch
 * milliseconds, or a span back from now (`7d`, `12h`, `30m`).
 *
 * @module
 */
import { PayloadError } from '../errors';

const DAY = 86_400_000;
const SPAN = /^(\d+)\s*(m|h|d|w)$/;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY };

/** The default range: the last 7 days. */
export const DEFAULT_SPAN_MS = 7 * DAY;

/**
 * A point in time. A bare date is midnight UTC at its start, or — `end` — the midnight
 * after it, so `to=2026-12-01` includes that whole day.
 */
export function parseInstant(value: string, field: string, end = false): number {
  const text = value.trim();
  if (/^\d{10,}$/.test(text)) return Number(text);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms))
    throw new PayloadError(
      `${field}: must be a date (2026-12-01), a date and time (2026-12-01T09:00:00Z) or epoch milliseconds`,
      field,
    );
  return dateOnly && end ? ms + DAY : ms;
}

/** `7d`, `12h`, `30m`, `2w` in milliseconds. */
export function parseSpan(value: string, field: string): number {
  const match = SPAN.exec(value.trim());
  if (!match) throw new PayloadError(`${field}: must be a span such as 7d, 12h, 30m or 2w`, field);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** [from, to) from optional `from` / `to`; by default the `spanMs` (7 days) before now. */
export function parseRange(
  input: { from?: string | undefined; to?: string | undefined },
  options: { now?: number; spanMs?: number } = {},
): { from: number; to: number } {
  const to = input.to ? parseInstant(input.to, 'to', true) : (options.now ?? Date.now());
  const from = input.from ? parseInstant(input.from, 'from') : to - (options.spanMs ?? DEFAULT_SPAN_MS);
  if (from >= to) throw new PayloadError('from: must be before to', 'from');
  return { from, to };
}
