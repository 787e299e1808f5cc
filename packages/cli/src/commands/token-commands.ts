import { InvalidArgumentError, Option, type Command } from 'commander';
import { PERMISSIONS, isPermission, type Permission } from '@vigil/core';
import type { CliContext } from '../cli-context.js';
import { withOperatorSession } from '../operator-session.js';
import { formatTable, formatTime } from '../output.js';

/** Default lifetime of a token created from the command line; the server caps every token at 365 days. */
const DEFAULT_DAYS = 90;

function parseScopes(value: string): Permission[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = scopes.filter((s) => !isPermission(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`Use a comma-separated list of ${PERMISSIONS.join(', ')}.`);
  }
  return scopes as Permission[];
}

function parseDays(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('Use a whole number of days ≥ 1.');
  return Number(value);
}

/**
 * `vigil token …`: API tokens for automation. The operator names the owner;
 * the token's scopes must be within the owner's role in the organisation.
 */
export function registerTokenCommands(program: Command, cli: CliContext): void {
  const token = program.command('token').description('Manage API tokens');

  token
    .command('create')
    .description('Create an API token for a person and print it (shown once)')
    .requiredOption('--email <email>', "The owner's email address")
    .requiredOption('--name <name>', 'What the token is for (e.g. "CI upload")')
    .addOption(
      new Option('--scopes <list>', `Comma-separated: ${PERMISSIONS.join(', ')}`)
        .argParser(parseScopes)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--days <n>', 'Lifetime in days (at most 365)')
        .argParser(parseDays)
        .default(DEFAULT_DAYS),
    )
    .option('--org <id>', 'Organisation the token acts in (default: the manufacturer)')
    .action(
      async (
        options: { email: string; name: string; scopes: Permission[]; days: number; org?: string },
        command: Command,
      ) => {
        const config = cli.config(command);
        const created = await withOperatorSession(config, async (s) => {
          const organisation = await s.organisation(options.org);
          const owner = await s.userByEmail(options.email);
          const input = {
            name: options.name,
            organisationId: organisation.id,
            scopes: options.scopes,
            expiresInDays: options.days,
            ownerUserId: owner.id,
          };
          return s.services.tokens.create(s.principal, input, s.context);
        });
        cli.out.result({ token: created.token, apiToken: created.view }, () => [
          `Created API token ${created.view.id} "${created.view.name}" (${created.view.scopes.join(', ')}), expires ${formatTime(created.view.expiresAt)}.`,
          'The token (shown only now; send it as "Authorization: Bearer <token>"):',
          created.token,
        ]);
      },
    );

  token
    .command('list')
    .description("List a person's API tokens (never the secrets)")
    .requiredOption('--email <email>', "The owner's email address")
    .action(async (options: { email: string }, command: Command) => {
      const config = cli.config(command);
      const tokens = await withOperatorSession(config, async (s) => {
        const owner = await s.userByEmail(options.email);
        return s.services.tokens.list(s.principal, owner.id);
      });
      cli.out.result({ tokens }, () =>
        formatTable([
          ['ID', 'NAME', 'ORGANISATION', 'SCOPES', 'EXPIRES', 'REVOKED', 'LAST USED'],
          ...tokens.map((t) => [
            t.id,
            t.name,
            t.organisationId,
            t.scopes.join(','),
            formatTime(t.expiresAt),
            formatTime(t.revokedAt),
            formatTime(t.lastUsedAt),
          ]),
        ]),
      );
    });

  token
    .command('revoke')
    .description('Revoke an API token at once')
    .argument('<id>', 'Token id, as `vigil token list` shows it')
    .action(async (id: string, _options: unknown, command: Command) => {
      const config = cli.config(command);
      await withOperatorSession(config, (s) =>
        s.services.tokens.revoke(s.principal, id, s.context),
      );
      cli.out.result({ revoked: id }, () => [`Revoked API token ${id}.`]);
    });
}
