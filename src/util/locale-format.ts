/**
 * Dates, times and amounts as a customer reads them, in the bot's time zone and language
 * (`Intl`): "Saturday 5 December at 20:00", "€149.00". Used by the datetime and money entities
 * (their `text`) and by the flows' `date()`, `time()` and `money()` template functions.
 *
 * @module
 */

/** How values are written for the customer. */
export interface LocaleSettings {
  /** An IANA time zone, e.g. `Europe/Berlin`. */
  timeZone: string;
  /** A BCP 47 language tag, e.g. `en-GB` (the bot's language by default). */
  locale: string;
  /** ISO 4217 code for amounts given without one (e.g. `EUR`). */
  currency?: string;
}

/** The machine's time zone: the default when the bot does not set one. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Whether `zone` is a time zone `Intl` knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Whether `locale` is a well-formed language tag. */
export function isLocale(locale: string): boolean {
  try {
    return Intl.getCanonicalLocales(locale).length === 1;
  } catch {
    return false;
  }
}

/** Whether `code` is a currency code `Intl` can format. */
export function isCurrency(code: string): boolean {
  if (!/^[A-Za-z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

/** The zone's offset from UTC at `instant`, in minutes (Berlin in winter: 60). */
export function zoneOffsetMinutes(instant: Date, timeZone: string): number {
  const parts = dateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The instant a wall-clock time in `timeZone` stands for (daylight saving time included). */
export function zonedTime(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  timeZone: string,
): Date {
  const guess = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  let utc = guess - zoneOffsetMinutes(new Date(guess), timeZone) * 60_000;
  // Near a change of offset the first guess used the other side's offset.
  const offset = zoneOffsetMinutes(new Date(utc), timeZone);
  utc = guess - offset * 60_000;
  return new Date(utc);
}

/** A date from a datetime value (`{ start }`), an ISO string or epoch milliseconds. */
export function toDate(value: unknown): Date | undefined {
  let raw: unknown = value;
  if (raw !== null && typeof raw === 'object' && 'start' in raw) raw = (raw as { start: unknown }).start;
  if (typeof raw === 'number' && Number.isFinite(raw)) return new Date(raw);
  // Only ISO-like strings: "12 November" stays as written (its year is unknown).
  if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const d = new Date(raw);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** "Saturday 5 December 2026" (en-GB). */
export function formatDate(date: Date, settings: LocaleSettings): string {
  return dateTimeFormat(settings.locale, {
    timeZone: settings.timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(date);
}

/** "20:00" (en-GB), "8:00 PM" (en-US). */
export function formatTime(date: Date, settings: LocaleSettings): string {
  return dateTimeFormat(settings.locale, {
    timeZone: settings.timeZone,
    hour: 'numeric',
    minute: '2-digit',
  }).format(date);
}

/** "Saturday 5 December at 20:00" (en-GB), or the date alone for a day. */
export function formatDateTime(date: Date, settings: LocaleSettings, grain: 'day' | 'time'): string {
  return dateTimeFormat(settings.locale, {
    timeZone: settings.timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(grain === 'time' ? { hour: 'numeric', minute: '2-digit' } : {}),
  }).format(date);
}

/** "€149.00": a number, or a money value (`{ amount, currency }`). Undefined if it is neither. */
export function formatMoney(value: unknown, settings: LocaleSettings, currency?: string): string | undefined {
  let amount: number | undefined;
  let code = currency;
  if (typeof value === 'number') amount = value;
  else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    amount = Number(value);
  else if (value !== null && typeof value === 'object' && 'amount' in value) {
    const v = value as { amount: unknown; currency?: unknown };
    if (typeof v.amount === 'number') amount = v.amount;
    if (!code && typeof v.currency === 'string' && v.currency) code = v.currency;
  }
  if (amount === undefined || !Number.isFinite(amount)) return undefined;
  code ??= settings.currency;
  if (code && isCurrency(code))
    return new Intl.NumberFormat(settings.locale, { style: 'currency', currency: code.toUpperCase() }).format(
      amount,
    );
  return new Intl.NumberFormat(settings.locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(amount);
}
