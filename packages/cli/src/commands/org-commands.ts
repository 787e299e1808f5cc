import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { activationLink, baseUrl, oneTimeLinkLines } from '../links.js';
import { withOperatorSession } from '../operator-session.js';
import { formatTable } from '../output.js';

/** `vigil org …`: the manufacturer and the care organisations it serves. */
export function registerOrgCommands(program: Command, cli: CliContext): void {
  const org = program.command('org').description('Manage organisations');

  org
    .command('list')
    .description('List the manufacturer organisation and the care organisations it serves')
    .action(async (_options: unknown, command: Command) => {
      const config = cli.config(command);
      const organisations = await withOperatorSession(config, async (s) => {
        const manufacturer = await s.manufacturer();
        return [
          manufacturer,
          ...(await s.services.people.listServed(s.principal, manufacturer.id)),
        ];
      });
      cli.out.result({ organisations }, () =>
        formatTable([['ID', 'KIND', 'NAME'], ...organisations.map((o) => [o.id, o.kind, o.name])]),
      );
    });

  org
    .command('create-care')
    .description('Create a care organisation served by the manufacturer, with its first admin')
    .requiredOption('--name <name>', 'Name of the care organisation (e.g. the hospital)')
    .requiredOption('--admin-email <email>', "Its first admin's email address")
    .requiredOption('--admin-name <name>', "Its first admin's full name")
    .action(
      async (
        options: { name: string; adminEmail: string; adminName: string },
        command: Command,
      ) => {
        const config = cli.config(command);
        const created = await withOperatorSession(config, async (s) => {
          const manufacturer = await s.manufacturer();
          const input = {
            name: options.name,
            adminEmail: options.adminEmail,
            adminName: options.adminName,
          };
          return s.services.people.createServed(s.principal, manufacturer.id, input, s.context);
        });
        const token = created.admin.activationToken;
        const link = token === null ? null : activationLink(baseUrl(config), token);
        cli.out.result(
          { organisation: created.organisation, admin: { ...created.admin, activationLink: link } },
          () => [
            `Created ${created.organisation.name} (${created.organisation.id}); ${options.adminEmail} is its admin.`,
            ...(token === null || link === null
              ? ['The admin already has an account and signs in with their existing password.']
              : oneTimeLinkLines('Activation', link, token)),
          ],
        );
      },
    );
}
