import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import type { KeystoreContents } from '@vigil/protect';
import type { CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { readInputFile } from '../input-files.js';
import { HttpsCareApi } from './https-care-api.js';
import { KeystoreFile, defaultKeystorePath } from './keystore-file.js';

/**
 * The seams of the care-team commands, which run on a member's own machine and
 * talk to the server over HTTPS: where the server is, the API token (from the
 * environment only, so it stays out of shell history and `ps`), the private CA
 * to trust, and the member's keystore and its passphrase.
 */

export const SERVER_ENV = 'VIGIL_SERVER';
export const TOKEN_ENV = 'VIGIL_TOKEN';
export const KEYSTORE_PASSPHRASE_ENV = 'VIGIL_KEYSTORE_PASSPHRASE';

export interface RemoteOptions {
  readonly org: string;
  readonly server?: string;
  readonly caFile?: string;
  readonly keystore?: string;
}

/** Adds `--org`, `--server`, `--ca-file` and (unless told not to) `--keystore`. */
export function addRemoteOptions(command: Command, withKeystore = true): Command {
  command
    .requiredOption('--org <id>', 'The care organisation')
    .option('--server <url>', `The Vigil server, https://… (env ${SERVER_ENV})`)
    .option(
      '--ca-file <file>',
      "PEM file of a private CA to trust for the server (e.g. the development CA, <data dir>/tls/ca.pem); default: the system's CAs",
    );
  if (withKeystore) {
    command.option(
      '--keystore <file>',
      `Your keystore (default ${defaultKeystorePath({}, '<org>').replace(/^.*vigil/, '<config dir>/vigil')}; mode 0600; passphrase from env ${KEYSTORE_PASSPHRASE_ENV} or a prompt)`,
    );
  }
  command.addHelpText(
    'after',
    `\nThe API token comes from the environment variable ${TOKEN_ENV}, never from a flag.`,
  );
  return command;
}

/** Runs `fn` with a client of the server for `--org`, closing its connections afterwards. */
export async function withCareApi<T>(
  cli: CliContext,
  command: Command,
  options: RemoteOptions,
  fn: (api: HttpsCareApi) => Promise<T>,
): Promise<T> {
  // From io.env, not commander's Option.env(): that reads process.env, which tests do not own.
  const server = options.server ?? cli.io.env[SERVER_ENV];
  if (server === undefined || server === '') {
    return command.error(`give --server <url> or set ${SERVER_ENV}`, { exitCode: EXIT.usage });
  }
  if (!/^https:\/\//i.test(server)) {
    return command.error('--server must be an https:// URL', { exitCode: EXIT.usage });
  }
  const token = cli.io.env[TOKEN_ENV];
  if (token === undefined || token === '') {
    return command.error(
      `set ${TOKEN_ENV} to your API token (never a flag: it would stay in the shell history)`,
      {
        exitCode: EXIT.usage,
      },
    );
  }
  const caPem =
    options.caFile === undefined
      ? undefined
      : await readInputFile(command, cli.io.cwd, '--ca-file', options.caFile);
  const api = new HttpsCareApi({
    server,
    token,
    organisationId: options.org,
    ...(caPem === undefined ? {} : { caPem }),
  });
  try {
    return await fn(api);
  } finally {
    api.close();
  }
}

export function keystoreFileOf(cli: CliContext, options: RemoteOptions): KeystoreFile {
  return KeystoreFile.at(cli.io.cwd, options.keystore, cli.io.env, options.org);
}

/**
 * The keystore passphrase: env VIGIL_KEYSTORE_PASSPHRASE, else typed at the
 * terminal (twice for a new keystore), else a usage error.
 */
export async function keystorePassphrase(
  cli: CliContext,
  command: Command,
  file: KeystoreFile,
  isNew: boolean,
): Promise<string> {
  const fromEnv = cli.io.env[KEYSTORE_PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const ask = cli.io.readSecret;
  if (ask === undefined) {
    return command.error(
      `the keystore ${file.path} needs a passphrase: set ${KEYSTORE_PASSPHRASE_ENV} or run in a terminal`,
      { exitCode: EXIT.usage },
    );
  }
  const first = await ask(
    isNew ? `New passphrase for ${file.path} (15+ characters): ` : `Passphrase for ${file.path}: `,
  );
  if (isNew && (await ask('The same passphrase again: ')) !== first) {
    return command.error('the two passphrases differ', { exitCode: EXIT.usage });
  }
  return first;
}

/** An existing keystore, opened; a missing file is a usage error naming `keys init`. */
export async function openKeystoreFile(
  cli: CliContext,
  command: Command,
  file: KeystoreFile,
): Promise<{ contents: KeystoreContents; passphrase: string }> {
  const text = await file.text();
  if (text === null) {
    return command.error(
      `there is no keystore at ${file.path}; run \`vigil keys init --org ${file.organisationId}\` or give --keystore`,
      { exitCode: EXIT.usage },
    );
  }
  const passphrase = await keystorePassphrase(cli, command, file, false);
  return { contents: await file.open(text, passphrase), passphrase };
}

/** The key of `kind` in the keystore, or ERR_KEYSTORE_KEY_MISSING saying how to get one. */
export function requireKey<K extends 'memberKey' | 'signingKey'>(
  contents: KeystoreContents,
  kind: K,
  file: KeystoreFile,
): NonNullable<KeystoreContents[K]> {
  const key = contents[kind];
  if (key === undefined) {
    throw new VigilError(
      'ERR_KEYSTORE_KEY_MISSING',
      kind === 'memberKey'
        ? `${file.path} holds no member key; run \`vigil keys init --org ${file.organisationId}\`.`
        : `${file.path} holds no manifest-signing key; only the keystore of the admin who ran \`vigil keys setup\` has it.`,
    );
  }
  return key;
}
