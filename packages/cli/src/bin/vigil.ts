#!/usr/bin/env node
import { main } from '../main.js';
import { terminalSecretReader } from '../secret-prompt.js';

// `vigil … | head` closes the pipe early: drop the rest of the output instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  readSecret: terminalSecretReader(process.stdin, process.stderr),
});
