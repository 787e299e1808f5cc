const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const DAY_MS = 86_400_000;
/** Largest first; a difference is told in the largest unit it fills at least once. */
const UNITS: readonly (readonly [Intl.RelativeTimeFormatUnit, number])[] = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['week', 7 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** An epoch-milliseconds time in the reader's locale and time zone. */
export function formatTime(epochMs: number): string {
  return dateTime.format(new Date(epochMs));
}

/** The calendar date only, e.g. "3 Sept 2026". */
export function formatDate(epochMs: number): string {
  return dateOnly.format(new Date(epochMs));
}

/**
 * How far `epochMs` is from `now`, in the reader's language: "5 minutes ago",
 * "yesterday", "in 3 days"; "just now" within a minute. Truncated, never
 * rounded up, so "in 13 days" is never shown as "in 2 weeks".
 */
export function formatRelative(epochMs: number, now: number): string {
  const difference = epochMs - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(difference) >= size) return relative.format(Math.trunc(difference / size), unit);
  }
  return 'just now';
}

/** An ISO 8601 time for `<time dateTime>`. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
