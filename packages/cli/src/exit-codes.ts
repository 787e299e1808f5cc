/**
 * The exit codes `vigil` returns (documented in README.md). 2 and 70 follow
 * the shell and sysexits(3) conventions: 2 for a wrong command line,
 * EX_SOFTWARE for a failure the tool did not anticipate.
 */
export const EXIT = {
  ok: 0,
  /** A VigilError: the command ran and was refused (setup done, unknown email, …). */
  refused: 1,
  /** The command line is wrong: unknown command or option, missing or invalid value. */
  usage: 2,
  /** Anything else: a bug or an environment problem; the message says which. */
  unexpected: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The `code` of a usage error in `--json` output. CLI-only: never returned over HTTP. */
export const USAGE_ERROR_CODE = 'ERR_CLI_USAGE';
