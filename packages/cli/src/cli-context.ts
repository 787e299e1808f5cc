import type { Command } from 'commander';
import type { VigilConfig } from '@vigil/server';
import type { CliIo } from './cli-io.js';
import { configFromOptions } from './config-options.js';
import type { Output } from './output.js';

/** What every command's action gets: the process seams, the output, and the configuration. */
export class CliContext {
  constructor(
    readonly io: CliIo,
    readonly out: Output,
  ) {}

  /** The configuration from the global options as commander parsed them for `command`. */
  config(command: Command): VigilConfig {
    return configFromOptions(command.optsWithGlobals(), this.io);
  }
}
