/**
 * @vigil/cli — the `vigil` command line: `main` runs it in-process and
 * returns the exit code (the `vigil` binary is a thin wrapper around it).
 */
export { main } from './main.js';
export type { CliIo, TextSink } from './cli-io.js';
export { EXIT, USAGE_ERROR_CODE, type ExitCode } from './exit-codes.js';
