import type { Command } from 'commander';
import { closeOnSignals, startServer, type RunningServer, type VigilConfig } from '@vigil/server';
import type { CliContext } from '../cli-context.js';
import { setupLink } from '../links.js';
import { setupInstructions } from './setup-command.js';

/**
 * `vigil serve`: starts the HTTPS server, prints where it listens, how to
 * trust the development CA and, on a fresh install, the setup link; then
 * runs until SIGINT/SIGTERM (or `io.signal`) and shuts down gracefully.
 */
export function registerServeCommand(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('Start the HTTPS server (web app and API)')
    .action(async (_options: unknown, command: Command) => {
      const config = cli.config(command);
      const server = await startServer(config);
      const closed = untilClosed(server, cli.io.signal);
      printBanner(cli, config, server);
      await closed;
      cli.out.note('Vigil has stopped.');
    });
}

function printBanner(cli: CliContext, config: VigilConfig, server: RunningServer): void {
  const url = server.url.replace(/\/+$/, '');
  const { caCertPath } = server;
  const setup =
    server.setupToken === null
      ? null
      : { link: setupLink(url, server.setupToken), token: server.setupToken };
  const { deviceUrl } = server;
  cli.out.result({ url, deviceUrl, caCertPath, caFingerprint: server.caFingerprint, setup }, () => {
    const lines = [`Vigil is running at ${url}`, `Device API (mutual TLS) at ${deviceUrl}`];
    if (caCertPath !== null) {
      lines.push(
        '',
        'It uses a development certificate authority. Trust it on this machine only:',
        `  CA certificate  ${caCertPath}`,
        `  SHA-256         ${server.caFingerprint}`,
        `  try it          curl --cacert ${caCertPath} ${url}/healthz`,
      );
    }
    if (setup) lines.push('', ...setupInstructions(setup.link, setup.token));
    lines.push('', 'Press Ctrl-C to stop.');
    return lines;
  });
}

/** Resolves once the server has shut down after a signal; rejects if shutdown failed or overran its grace period. */
function untilClosed(server: RunningServer, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onClosed = (error?: unknown) =>
      error === undefined
        ? resolve()
        : reject(error instanceof Error ? error : new Error('Shutdown failed.', { cause: error }));
    if (!signal) {
      closeOnSignals(server, onClosed);
      return;
    }
    const close = () => server.close().then(() => onClosed(), onClosed);
    if (signal.aborted) void close();
    else signal.addEventListener('abort', () => void close(), { once: true });
  });
}
