import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { generateKeyPair, keyIdOf, toPublicJwk, type KeystoreContents } from '@vigil/protect';
import { collect, wholeNumber } from '../argument-parsers.js';
import type { CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { createSecretFile, discardFile, meaningfulLines, readInputFile } from '../input-files.js';
import { formatTable } from '../output.js';
import type { MemberKeyRecord } from '../care/care-api.js';
import { grantEpochs } from '../care/key-grant.js';
import { recoverTeamKeys } from '../care/key-recovery.js';
import { rotateTeamKey } from '../care/key-rotation.js';
import { prepareKeySetup, publishKeySetup } from '../care/key-setup.js';
import { describeMember, registeredMembers } from '../care/member-keys.js';
import {
  addRemoteOptions,
  keystoreFileOf,
  keystorePassphrase,
  openKeystoreFile,
  requireKey,
  withCareApi,
  type RemoteOptions,
} from '../care/remote-session.js';
import { trustedManifest } from '../care/team-keyring.js';

interface SetupOptions extends RemoteOptions {
  readonly custodians: number;
  readonly threshold: number;
  readonly sharesDir: string;
  readonly secretOut?: string;
}

function parseEpochs(value: string): 'all' | number[] {
  if (value === 'all') return 'all';
  const epochs = value.split(',').map((v) => v.trim());
  if (!epochs.every((v) => /^[1-9]\d{0,8}$/.test(v))) {
    throw new InvalidArgumentError('Use "all" or a comma-separated list of epochs, e.g. 1,2.');
  }
  return epochs.map(Number);
}

function memberRows(members: readonly MemberKeyRecord[]): string[] {
  return formatTable([
    ['  EMAIL', 'ROLE', 'KID'],
    ...members.map((m) => [`  ${m.email}`, m.role, m.kid]),
  ]);
}

/**
 * `vigil keys …`: the care team's keys (docs/telemetry.md, ADR 0008 and 0011). Runs
 * on a member's own machine against the server's API with an API token; private
 * keys leave this machine only wrapped. The ceremonies themselves are in `care/`.
 */
export function registerKeysCommands(program: Command, cli: CliContext): void {
  const keys = program
    .command('keys')
    .description("Manage the care team's keys: member keys, the key ceremony, rotation, recovery");

  addRemoteOptions(
    keys
      .command('init')
      .description(
        'Make your member key, keep it in your keystore and register its public half (again: re-register it)',
      )
      .option('--email <email>', 'Your email, noted in the keystore'),
  ).action(async (options: RemoteOptions & { email?: string }, command: Command) => {
    const file = keystoreFileOf(cli, options);
    await withCareApi(cli, command, options, async (api) => {
      const text = await file.text();
      let contents: KeystoreContents;
      let passphrase: string;
      if (text === null) {
        passphrase = await keystorePassphrase(cli, command, file, true);
        contents = { organisationId: options.org, createdAt: new Date().toISOString() };
      } else {
        ({ contents, passphrase } = await openKeystoreFile(cli, command, file));
      }
      let memberKey = contents.memberKey;
      const created = memberKey === undefined;
      if (memberKey === undefined) {
        memberKey = (await generateKeyPair()).privateJwk;
        // Kept before it is registered: a registered key that nobody holds would be worse.
        await file.write(
          {
            ...contents,
            memberKey,
            ...(options.email === undefined ? {} : { userEmail: options.email }),
          },
          passphrase,
        );
      }
      const publicJwk = toPublicJwk(memberKey);
      await api.putMyMemberKey(publicJwk);
      const kid = await keyIdOf(publicJwk);
      cli.out.result({ organisationId: options.org, kid, keystore: file.path, created }, () => [
        `${created ? 'Made and registered' : 'Registered'} your member key for ${options.org}.`,
        ...formatTable([
          ['  Key id (kid)', kid],
          ['  Keystore', file.path],
        ]),
        'The admin includes it in the next team epoch (`vigil keys rotate`) or grants earlier ones (`vigil keys grant`).',
      ]);
    });
  });

  addRemoteOptions(
    keys
      .command('setup')
      .description(
        "The care organisation admin's key ceremony: signing key, recovery key split among custodians, pseudonym secret, team epoch 1, manifest 1",
      )
      .requiredOption(
        '--custodians <n>',
        'How many custodians get a recovery share (2–255)',
        wholeNumber(2, 255),
      )
      .requiredOption(
        '--threshold <k>',
        'How many custodians together can recover (2 ≤ k ≤ n)',
        wholeNumber(2, 255),
      )
      .requiredOption(
        '--shares-dir <dir>',
        'Directory for the share files, one per custodian (mode 0600; existing files are never overwritten)',
      )
      .option(
        '--secret-out <file>',
        'New file for the pseudonym secret, to provision gateways with (default <shares-dir>/pseudonym-secret.txt; mode 0600)',
      ),
  ).action(async (options: SetupOptions, command: Command) => {
    if (options.threshold > options.custodians) {
      command.error('--threshold must not exceed --custodians', { exitCode: EXIT.usage });
    }
    const file = keystoreFileOf(cli, options);
    await withCareApi(cli, command, options, async (api) => {
      const text = await file.text();
      const { contents, passphrase } =
        text === null
          ? {
              contents: {
                organisationId: options.org,
                createdAt: new Date().toISOString(),
              } as KeystoreContents,
              passphrase: await keystorePassphrase(cli, command, file, true),
            }
          : await openKeystoreFile(cli, command, file);
      // The admin's own member key, when they hold one, is a recipient like any other.
      if (contents.memberKey !== undefined) {
        await api.putMyMemberKey(toPublicJwk(contents.memberKey));
      }

      // Every file is claimed before anything secret exists, as `ca init` does.
      const directory = resolve(cli.io.cwd, options.sharesDir);
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const claimed: Array<Awaited<ReturnType<typeof createSecretFile>>> = [];
      const discardAll = () => Promise.all(claimed.map((f) => discardFile(f.path, f.handle)));
      try {
        for (let i = 1; i <= options.custodians; i++) {
          const name = join(directory, `recovery-share-${i}-of-${options.custodians}.txt`);
          claimed.push(await createSecretFile(command, cli.io.cwd, '--shares-dir', name));
        }
        claimed.push(
          await createSecretFile(
            command,
            cli.io.cwd,
            '--secret-out',
            options.secretOut ?? join(directory, 'pseudonym-secret.txt'),
          ),
        );
      } catch (error) {
        await discardAll();
        throw error;
      }
      const secretFile = claimed[claimed.length - 1]!;
      const shareFiles = claimed.slice(0, -1);

      let plan;
      try {
        plan = await prepareKeySetup({
          api,
          custodians: options.custodians,
          threshold: options.threshold,
          now: new Date(),
        });
        // The signing key first: a published manifest whose key nobody holds cannot be replaced.
        await file.write({ ...contents, signingKey: plan.signingKey.privateJwk }, passphrase);
        for (const [i, shareFile] of shareFiles.entries()) {
          await shareFile.handle.writeFile(
            [
              `# Vigil recovery share ${i + 1} of ${options.custodians} for organisation ${options.org}.`,
              `# Any ${options.threshold} custodians together can recover the team's keys (vigil keys recover).`,
              '# Keep it offline and to yourself.',
              plan.shares[i]!,
              '',
            ].join('\n'),
            'utf8',
          );
          await shareFile.handle.sync();
        }
        await secretFile.handle.writeFile(
          `${Buffer.from(plan.pseudonymSecret).toString('base64url')}\n`,
          'utf8',
        );
        await secretFile.handle.sync();
        await publishKeySetup(api, plan);
      } catch (error) {
        // Nothing was published (the manifest goes last): these shares protect nothing.
        await discardAll();
        throw error;
      } finally {
        plan?.pseudonymSecret.fill(0);
      }
      await Promise.all(claimed.map((f) => f.handle.close()));

      const result = {
        organisationId: options.org,
        signingKeyFingerprint: plan.signingKey.kid,
        manifestVersion: plan.manifestVersion,
        epoch: plan.epoch,
        recoveryKid: plan.recoveryKid,
        threshold: options.threshold,
        custodians: options.custodians,
        shareFiles: shareFiles.map((f) => f.path),
        pseudonymSecretFile: secretFile.path,
        keystore: file.path,
        members: plan.members.map(describeMember),
      };
      cli.out.result(result, () => [
        `Set up the keys of ${options.org}: manifest version ${plan.manifestVersion}, team epoch ${plan.epoch}.`,
        'Signing key fingerprint (publish it out of band; installers compare it on each gateway):',
        `  ${plan.signingKey.kid}`,
        `Recovery: any ${options.threshold} of ${options.custodians} custodians. Hand each one share file, then delete it here:`,
        ...shareFiles.map((f) => `  ${f.path}`),
        `Pseudonym secret for gateway provisioning (then delete it here): ${secretFile.path}`,
        `The signing key is in your keystore ${file.path}; the recovery key itself was not kept.`,
        'Team epoch 1 is wrapped to:',
        ...memberRows(plan.members),
      ]);
    });
  });

  addRemoteOptions(
    keys
      .command('rotate')
      .description(
        'Start a new team epoch for the current members (minus --remove) and sign the next manifest',
      )
      .option(
        '--remove <userIdOrEmail>',
        'A member who must not receive the new epoch (repeatable)',
        collect,
        [],
      ),
  ).action(async (options: RemoteOptions & { remove: string[] }, command: Command) => {
    const file = keystoreFileOf(cli, options);
    const { contents } = await openKeystoreFile(cli, command, file);
    const signingKey = requireKey(contents, 'signingKey', file);
    const result = await withCareApi(cli, command, options, (api) =>
      rotateTeamKey({
        api,
        signingKey,
        ...(contents.memberKey === undefined ? {} : { memberKey: contents.memberKey }),
        remove: options.remove,
        now: new Date(),
      }),
    );
    cli.out.result(
      {
        organisationId: options.org,
        epoch: result.epoch,
        manifestVersion: result.manifestVersion,
        recipients: result.recipients.map(describeMember),
        removed: result.removed.map(describeMember),
        pseudonymSecret: result.pseudonymSecret,
      },
      () => [
        `Started team epoch ${result.epoch} (manifest version ${result.manifestVersion}); gateways switch at their next manifest check.`,
        ...memberRows(result.recipients),
        ...(result.removed.length > 0
          ? [`Not a recipient any more: ${result.removed.map((m) => m.email).join(', ')}.`]
          : []),
        ...(result.pseudonymSecret === 'unreadable'
          ? [
              'The staff copy of the pseudonym secret stays on its earlier epoch: your member key cannot open it.',
            ]
          : []),
      ],
    );
  });

  addRemoteOptions(
    keys
      .command('grant')
      .description('Give a member earlier team epochs (your member key must hold them)')
      .requiredOption('--user <email>', 'The member (email or user id); they ran `keys init`')
      .option('--epochs <list>', 'all, or a comma-separated list such as 1,2', parseEpochs, 'all'),
  ).action(
    async (
      options: RemoteOptions & { user: string; epochs: 'all' | number[] },
      command: Command,
    ) => {
      const file = keystoreFileOf(cli, options);
      const { contents } = await openKeystoreFile(cli, command, file);
      const memberKey = requireKey(contents, 'memberKey', file);
      const signing = contents.signingKey;
      const result = await withCareApi(cli, command, options, (api) =>
        grantEpochs({
          api,
          memberKey,
          ...(signing === undefined ? {} : { signingPublicJwk: toSigningPublic(signing) }),
          user: options.user,
          epochs: options.epochs,
          now: new Date(),
        }),
      );
      cli.out.result(
        {
          organisationId: options.org,
          member: describeMember(result.member),
          granted: result.granted,
          unchanged: result.unchanged,
        },
        () => [
          result.granted.length === 0
            ? `${result.member.email} could already open every epoch asked for.`
            : `Granted epochs ${result.granted.join(', ')} to ${result.member.email} (kid ${result.member.kid}).`,
        ],
      );
    },
  );

  addRemoteOptions(
    keys
      .command('recover')
      .description(
        "Custodians: rebuild the recovery key from K shares and re-wrap every epoch to the current members' keys",
      )
      .requiredOption(
        '--share <file>',
        'A share file (repeat once per custodian present)',
        collect,
        [],
      ),
    false,
  ).action(async (options: RemoteOptions & { share: string[] }, command: Command) => {
    const shares: string[] = [];
    for (const path of options.share) {
      const text = await readInputFile(command, cli.io.cwd, '--share', path);
      shares.push(meaningfulLines(text).join(''));
    }
    const result = await withCareApi(cli, command, options, (api) =>
      recoverTeamKeys({ api, shares, now: new Date() }),
    );
    cli.out.result(
      {
        organisationId: options.org,
        epochs: result.epochs,
        recipients: result.recipients.map(describeMember),
      },
      () => [
        `Recovered epochs ${result.epochs.join(', ')}; each is now wrapped to the recovery key and to:`,
        ...memberRows(result.recipients),
      ],
    );
  });

  addRemoteOptions(
    keys
      .command('show')
      .description(
        "Show the organisation's current key manifest: version, epoch, signing key fingerprint, members",
      ),
    false,
  ).action(async (options: RemoteOptions, command: Command) => {
    const shown = await withCareApi(cli, command, options, async (api) => {
      const manifest = await trustedManifest(api, new Date());
      const registered = new Map((await registeredMembers(api)).map((m) => [m.kid, m]));
      return {
        organisationId: options.org,
        manifestVersion: manifest.payload.version,
        epoch: manifest.payload.epoch,
        issuedAt: manifest.payload.issuedAt,
        signingKeyFingerprint: manifest.signingKeyFingerprint,
        recoveryKid: await keyIdOf(manifest.payload.recoveryPublicJwk),
        members: manifest.payload.members.map((m) => {
          const known = registered.get(m.kid);
          return {
            kid: m.kid,
            email: known?.email ?? null,
            role: known?.role ?? null,
            userId: known?.userId ?? null,
          };
        }),
      };
    });
    cli.out.result(shown, () => [
      `Key manifest of ${shown.organisationId}: version ${shown.manifestVersion}, team epoch ${shown.epoch}, issued ${shown.issuedAt}.`,
      `Signing key fingerprint: ${shown.signingKeyFingerprint} (compare it with the one your organisation published)`,
      `Recovery key id: ${shown.recoveryKid}`,
      `Members of epoch ${shown.epoch}:`,
      ...formatTable([
        ['  EMAIL', 'ROLE', 'KID'],
        ...shown.members.map((m) => [
          `  ${m.email ?? '(no longer registered)'}`,
          m.role ?? '-',
          m.kid,
        ]),
      ]),
    ]);
  });
}

function toSigningPublic(key: NonNullable<KeystoreContents['signingKey']>) {
  const { d: _d, ...publicJwk } = key;
  return publicJwk;
}
