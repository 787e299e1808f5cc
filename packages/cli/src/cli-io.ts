/** Anything text can be written to: `process.stdout`, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Everything `main` takes from the process, so tests run the CLI in-process
 * with their own streams, environment and working directory.
 */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Stops a running `vigil serve`. When given, the caller owns shutdown and
   * no SIGINT/SIGTERM handlers are installed on the process (an embedding or
   * a test must not have its signals taken over); when absent, `serve` shuts
   * down gracefully on SIGINT/SIGTERM.
   */
  readonly signal?: AbortSignal;
  /**
   * Asks for a secret at the terminal without echo (a keystore passphrase).
   * Absent when there is no terminal (scripts, tests): such commands then take
   * the secret from the environment, or exit 2.
   */
  readonly readSecret?: (prompt: string) => Promise<string>;
}
