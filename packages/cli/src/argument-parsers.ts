import { InvalidArgumentError } from 'commander';

// The same limits the server's routes put on these values (packages/server/src/routes), so a
// name the CLI accepts is one the web app and the API accept too.
const LABEL_MAX = 100;
const NAME_MAX = 200;

/** A model name, site or batch id: 1–100 characters, no control characters. */
export function parseLabel(value: string): string {
  const characters = [...value];
  if (
    characters.length === 0 ||
    characters.length > LABEL_MAX ||
    characters.some((c) => c.charCodeAt(0) < 0x20)
  )
    throw new InvalidArgumentError(`Use 1 to ${LABEL_MAX} characters without control characters.`);
  return value;
}

/** What something is for, e.g. a token's name: 1–200 characters. */
export function parseName(value: string): string {
  const length = [...value].length;
  if (length === 0 || length > NAME_MAX)
    throw new InvalidArgumentError(`Use 1 to ${NAME_MAX} characters.`);
  return value;
}

/** A parser for a whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** For an option given more than once (`--vendor-root a.pem --vendor-root b.pem`). */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}
