import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SETTINGS, loadConfig, type VigilConfig } from '@vigil/server';
import type { CliIo } from './cli-io.js';

const VALUE_NAMES = { port: 'port', int: 'n', 'log-level': 'level' } as const;

/**
 * Adds one global option per row of the server's SETTINGS table (plus
 * `--config`), so a new setting becomes a flag without touching the CLI and
 * flags, environment variables and README never drift apart.
 */
export function addConfigOptions(program: Command): void {
  program.addOption(
    new Option('--config <file>', 'JSON configuration file (env VIGIL_CONFIG_FILE)'),
  );
  for (const s of SETTINGS) {
    const help = `${s.description} (env ${s.env}; default ${s.defaultText})`;
    if (s.kind === 'bool') {
      // A flag without a value: an optional value would swallow the command name after it.
      program.addOption(new Option(s.flag, help));
      program.addOption(new Option(`--no-${s.flag.slice(2)}`, `Turn ${s.flag} off`).hideHelp());
    } else {
      // A string's placeholder is the flag's last word: --data-dir <dir>, --database-url <url>.
      const valueName =
        s.kind === 'string' ? s.flag.slice(s.flag.lastIndexOf('-') + 1) : VALUE_NAMES[s.kind];
      program.addOption(new Option(`${s.flag} <${valueName}>`, help));
    }
  }
}

/**
 * The validated, frozen configuration from defaults, `--config` file,
 * environment and the global flags given on the command line (highest).
 * Throws ERR_CONFIG_INVALID.
 */
export function configFromOptions(
  options: Readonly<Record<string, unknown>>,
  io: CliIo,
): VigilConfig {
  const flags: Record<string, string | boolean | undefined> = {};
  for (const name of ['config', ...SETTINGS.map((s) => s.flag.slice(2))]) {
    const value = options[new Option(`--${name}`).attributeName()];
    if (typeof value === 'string' || typeof value === 'boolean') flags[name] = value;
  }
  // loadConfig reads the file as given; resolve it here like every other path, against io.cwd.
  if (typeof flags['config'] === 'string') flags['config'] = resolve(io.cwd, flags['config']);
  return loadConfig({ env: io.env, flags, cwd: io.cwd });
}
