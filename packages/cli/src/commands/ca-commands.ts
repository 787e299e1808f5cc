import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { createSecretFile, discardFile, firstLine, readInputFile } from '../input-files.js';
import { withOperatorSession } from '../operator-session.js';
import { orgOption, type OrgOption } from '../org-option.js';
import { formatTable, formatTime } from '../output.js';

/** Where `ca init` takes the root key's passphrase from when no `--passphrase-file` is given. */
export const PASSPHRASE_ENV = 'VIGIL_CA_PASSPHRASE';

interface InitOptions extends OrgOption {
  readonly rootKeyOut: string;
  readonly passphraseFile?: string;
}

/**
 * `vigil ca …`: the device CA of a manufacturer (docs/devices.md, ADR 0006).
 * `init` makes the offline root and hands its key over encrypted, once;
 * the server keeps only the issuing CA.
 */
export function registerCaCommands(program: Command, cli: CliContext): void {
  const ca = program
    .command('ca')
    .description('Create and inspect the device certificate authority (CA)');

  ca.command('init')
    .description(
      'Create the device CA: an offline root, whose key is written encrypted to a file for you to take away, and an issuing CA the server keeps',
    )
    .requiredOption(
      '--root-key-out <file>',
      "New file for the root CA's encrypted private key (mode 0600; an existing file is never overwritten)",
    )
    .option(
      '--passphrase-file <file>',
      `File whose first line is the passphrase that encrypts the root key (default: env ${PASSPHRASE_ENV}; never a flag value, which would stay in the shell history)`,
    )
    .addOption(orgOption())
    .action(async (options: InitOptions, command: Command) => {
      const config = cli.config(command);
      const passphrase = await readPassphrase(cli, command, options.passphraseFile);
      // Claimed before the CA exists: the root key is made once, and must have somewhere to go.
      const keyFile = await createSecretFile(
        command,
        cli.io.cwd,
        '--root-key-out',
        options.rootKeyOut,
      );
      let created;
      try {
        created = await withOperatorSession(config, async (s) => {
          const organisation = await s.organisation(options.org);
          return {
            organisation,
            ...(await s.services.deviceCas.initialise(
              s.principal,
              organisation.id,
              passphrase,
              s.context,
            )),
          };
        });
      } catch (error) {
        await discardFile(keyFile.path, keyFile.handle);
        throw error;
      }
      try {
        await keyFile.handle.writeFile(created.encryptedRootKeyPem, 'utf8');
        await keyFile.handle.sync();
      } catch (cause) {
        await discardFile(keyFile.path, keyFile.handle);
        throw new Error(
          `The device CA ${created.ca.id} was created and works, but its root key could not be written to ${keyFile.path} and is lost: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
      }
      await keyFile.handle.close();
      const { organisation, ca: row } = created;
      cli.out.result(
        {
          caId: row.id,
          rootFingerprintSha256: created.rootFingerprintSha256,
          issuingFingerprintSha256: created.issuingFingerprintSha256,
          rootKeyFile: keyFile.path,
        },
        () => [
          `Created the device CA of ${organisation.name} (${organisation.id}).`,
          ...formatTable([
            ['  CA id', row.id],
            ['  Root CA SHA-256', created.rootFingerprintSha256],
            ['  Issuing CA SHA-256', created.issuingFingerprintSha256],
            ['  Root key (encrypted)', keyFile.path],
          ]),
          `Move ${keyFile.path} to offline storage; the server keeps no copy of the root key.`,
        ],
      );
    });

  ca.command('rotate')
    .description(
      'Replace the issuing CA with a new one signed by the offline root (bring the root key back for this command only)',
    )
    .requiredOption(
      '--root-key <file>',
      "The root CA's encrypted private key, as `ca init` wrote it",
    )
    .option(
      '--passphrase-file <file>',
      `File whose first line is the root key's passphrase (default: env ${PASSPHRASE_ENV})`,
    )
    .addOption(orgOption())
    .action(
      async (
        options: OrgOption & { rootKey: string; passphraseFile?: string },
        command: Command,
      ) => {
        const config = cli.config(command);
        const passphrase = await readPassphrase(cli, command, options.passphraseFile);
        const rootKey = await readInputFile(command, cli.io.cwd, '--root-key', options.rootKey);
        const { organisation, rotated, described } = await withOperatorSession(
          config,
          async (s) => {
            const organisation = await s.organisation(options.org);
            const rotated = await s.services.deviceCas.rotateIssuing(
              s.principal,
              organisation.id,
              rootKey,
              passphrase,
              s.context,
            );
            return {
              organisation,
              rotated,
              described: await s.services.deviceCas.describe(s.principal, organisation.id),
            };
          },
        );
        cli.out.result(
          {
            caId: rotated.id,
            issuingFingerprintSha256: described.issuingFingerprintSha256,
            issuingNotAfter: described.issuingNotAfter,
          },
          () => [
            `Rotated the issuing CA of ${organisation.name} (${organisation.id}).`,
            ...formatTable([
              ['  New CA id', rotated.id],
              ['  Issuing CA SHA-256', described.issuingFingerprintSha256],
              ['  Issuing CA expires', formatTime(described.issuingNotAfter)],
            ]),
            'Older issuing CAs stay trusted; devices move to the new one as they renew. Take the root key offline again.',
          ],
        );
      },
    );

  ca.command('show')
    .description("Show the device CA: certificate fingerprints and the issuing CA's expiry")
    .option('--pem', 'Also print the issuing and root certificates (PEM)')
    .addOption(orgOption())
    .action(async (options: OrgOption & { pem?: boolean }, command: Command) => {
      const config = cli.config(command);
      const { organisation, described } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return {
          organisation,
          described: await s.services.deviceCas.describe(s.principal, organisation.id),
        };
      });
      cli.out.result({ organisationId: organisation.id, ...described }, () => [
        `Device CA of ${organisation.name} (${organisation.id})`,
        ...formatTable([
          ['  Root CA SHA-256', described.rootFingerprintSha256],
          ['  Issuing CA SHA-256', described.issuingFingerprintSha256],
          ['  Issuing CA expires', formatTime(described.issuingNotAfter)],
        ]),
        ...(options.pem
          ? ['', described.issuingCertificatePem.trimEnd(), described.rootCertificatePem.trimEnd()]
          : []),
      ]);
    });
}

/** `--passphrase-file` (first line), else the environment; never a flag value. */
async function readPassphrase(
  cli: CliContext,
  command: Command,
  file: string | undefined,
): Promise<string> {
  if (file !== undefined)
    return firstLine(await readInputFile(command, cli.io.cwd, '--passphrase-file', file));
  const fromEnv = cli.io.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  command.error(
    `the root key needs a passphrase: give --passphrase-file <file> or set ${PASSPHRASE_ENV}`,
    { exitCode: EXIT.usage },
  );
}
