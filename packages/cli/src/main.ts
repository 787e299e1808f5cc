import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isVigilError } from '@vigil/core';
import { isAgentError } from '@vigil/agent';
import { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { registerBackupCommands } from './commands/backup-commands.js';
import { registerCaCommands } from './commands/ca-commands.js';
import { registerDataCommands } from './commands/data-commands.js';
import { registerDeviceCommands } from './commands/device-commands.js';
import { registerKeysCommands } from './commands/keys-commands.js';
import { registerOrgCommands } from './commands/org-commands.js';
import { registerServeCommand } from './commands/serve-command.js';
import { registerSetupCommand } from './commands/setup-command.js';
import { registerSimulateCommand } from './commands/simulate-command.js';
import { registerTokenCommands } from './commands/token-commands.js';
import { registerUserCommands } from './commands/user-commands.js';
import { addConfigOptions } from './config-options.js';
import { EXIT, USAGE_ERROR_CODE } from './exit-codes.js';
import { Output } from './output.js';

/** This package's version; package.json is one level above both src/ and dist/. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   refused: the error line names the reason and its code (e.g. ERR_SETUP_DONE)
  2   wrong command line (unknown command or option, missing or invalid value)
  70  unexpected failure`;

/**
 * Runs the `vigil` command line and returns its exit code. Everything it
 * needs from the process comes in `io`, and it never calls `process.exit`,
 * so tests run it in-process.
 *
 * @example
 * const code = await main(['user', 'list', '--json'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Output(io.stdout, io.stderr, wantsJson(argv));
  const program = buildProgram(new CliContext(io, out));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end parsing by "error" too, with exit code 0.
      if (error.exitCode === 0) return EXIT.ok;
      out.error(USAGE_ERROR_CODE, usageMessage(error, program, argv));
      return EXIT.usage;
    }
    // The agent's errors (enrolment, uploads, the pinned manifest) carry codes too: a
    // server's refusal or an unreachable server is an outcome to report, not a crash.
    if (isVigilError(error) || isAgentError(error)) {
      out.error(error.code, error.message);
      return EXIT.refused;
    }
    out.error('ERR_INTERNAL', error instanceof Error ? error.message : String(error));
    return EXIT.unexpected;
  }
}

function buildProgram(cli: CliContext): Command {
  const program = new Command('vigil')
    .description(
      'Vigil: cybersecurity for connected medical devices. Runs the server and administers it from this machine.',
    )
    .version(VERSION, '-V, --version', 'Print the version')
    .helpOption('-h, --help', 'Show help for a command')
    .helpCommand('help [command]', 'Show help for a command')
    .option(
      '--json',
      'Machine-readable output: JSON on stdout, errors as {"error":{"code","message"}} on stderr',
    )
    .addHelpText('after', EXIT_CODES_HELP)
    // Errors come back as exceptions and are printed by `main` as one line.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.io.stdout.write(text),
      writeErr: () => undefined,
      outputError: () => undefined,
    });
  addConfigOptions(program);
  // Subcommands inherit exitOverride and configureOutput from here on.
  registerServeCommand(program, cli);
  registerSetupCommand(program, cli);
  registerUserCommands(program, cli);
  registerOrgCommands(program, cli);
  registerTokenCommands(program, cli);
  registerCaCommands(program, cli);
  registerDeviceCommands(program, cli);
  registerBackupCommands(program, cli);
  registerSimulateCommand(program, cli);
  registerKeysCommands(program, cli);
  registerDataCommands(program, cli);
  return program;
}

/** `--json` anywhere before `--`: known even when parsing fails, so usage errors are JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** One line: what is wrong and where the help for the command that was being parsed is. */
function usageMessage(error: CommanderError, program: Command, argv: readonly string[]): string {
  const command = deepestCommand(program, argv);
  const path = commandPath(command);
  const what =
    error.code === 'commander.help'
      ? `\`${path}\` needs a command: ${command.commands.map((c) => c.name()).join(', ')}`
      : error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  return `${what.replace(/\.$/, '')}; see \`${path} --help\``;
}

function deepestCommand(program: Command, argv: readonly string[]): Command {
  let command = program;
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) command = sub;
  }
  return command;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
