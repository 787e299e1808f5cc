import type { TextSink } from './cli-io.js';

/**
 * Where commands write: one JSON document per result on stdout with
 * `--json`, readable lines otherwise. Errors always go to stderr, as
 * `{"error":{"code","message"}}` with `--json` and as one
 * `vigil: <message> (<code>)` line without, so scripts can rely on both.
 */
export class Output {
  constructor(
    private readonly stdout: TextSink,
    private readonly stderr: TextSink,
    readonly json: boolean,
  ) {}

  /** Prints a command's result: `data` with `--json`, else the lines `text` returns. */
  result(data: unknown, text: () => readonly string[]): void {
    if (this.json) this.stdout.write(`${JSON.stringify(data)}\n`);
    else this.stdout.write(`${text().join('\n')}\n`);
  }

  /** A human-only remark (e.g. "Vigil has stopped."); silent with `--json`. */
  note(line: string): void {
    if (!this.json) this.stdout.write(`${line}\n`);
  }

  error(code: string, message: string): void {
    if (this.json) this.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else this.stderr.write(`vigil: ${message} (${code})\n`);
  }
}

/** Lays rows out in columns separated by two spaces; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Epoch milliseconds as an ISO 8601 UTC timestamp without milliseconds, or "-". */
export function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
