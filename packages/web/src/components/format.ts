const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An epoch-milliseconds time in the reader's locale and time zone. */
export function formatTime(epochMs: number): string {
  return dateTime.format(new Date(epochMs));
}
