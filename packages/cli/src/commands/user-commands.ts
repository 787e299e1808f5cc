import { Option, type Command } from 'commander';
import { ROLES, type Role } from '@vigil/core';
import type { CliContext } from '../cli-context.js';
import { activationLink, baseUrl, oneTimeLinkLines } from '../links.js';
import { withOperatorSession } from '../operator-session.js';
import { orgOption, type OrgOption } from '../org-option.js';
import { formatTable } from '../output.js';

const roleOption = () =>
  new Option('--role <role>', 'Role in the organisation').choices(ROLES).makeOptionMandatory();
const emailOption = () =>
  new Option('--email <email>', "The person's email address").makeOptionMandatory();

/**
 * `vigil user …`: the people of an organisation, managed through the
 * PeopleService as the operator, so each act is an audit event.
 */
export function registerUserCommands(program: Command, cli: CliContext): void {
  const user = program.command('user').description('Manage the people of an organisation');

  user
    .command('list')
    .description('List the members of an organisation')
    .addOption(orgOption())
    .action(async (options: OrgOption, command: Command) => {
      const config = cli.config(command);
      const { organisation, users } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return {
          organisation,
          users: await s.services.people.listPeople(s.principal, organisation.id),
        };
      });
      cli.out.result({ organisationId: organisation.id, users }, () => [
        `${organisation.name} (${organisation.id})`,
        ...formatTable([
          ['EMAIL', 'NAME', 'ROLE', 'ACTIVATED', 'MFA', 'ID'],
          ...users.map((u) => [
            u.email,
            u.name,
            u.role,
            yesNo(u.activated),
            yesNo(u.mfaEnabled),
            u.id,
          ]),
        ]),
      ]);
    });

  user
    .command('create')
    .description('Add a person to an organisation and print their one-time activation link')
    .addOption(emailOption())
    .requiredOption('--name <name>', "The person's full name")
    .addOption(roleOption())
    .addOption(orgOption())
    .action(
      async (
        options: OrgOption & { email: string; name: string; role: Role },
        command: Command,
      ) => {
        const config = cli.config(command);
        const { organisation, added } = await withOperatorSession(config, async (s) => {
          const organisation = await s.organisation(options.org);
          const input = { email: options.email, name: options.name, role: options.role };
          return {
            organisation,
            added: await s.services.people.addPerson(
              s.principal,
              organisation.id,
              input,
              s.context,
            ),
          };
        });
        const token = added.activationToken;
        const link = token === null ? null : activationLink(baseUrl(config), token);
        cli.out.result(
          {
            organisationId: organisation.id,
            user: added.user,
            activationToken: token,
            activationLink: link,
          },
          () => [
            `Added ${added.user.email} to ${organisation.name} as ${added.user.role}.`,
            ...(token === null || link === null
              ? ['They already have an account and sign in with their existing password.']
              : oneTimeLinkLines('Activation', link, token)),
          ],
        );
      },
    );

  user
    .command('role')
    .description("Change a person's role in an organisation")
    .addOption(emailOption())
    .addOption(roleOption())
    .addOption(orgOption())
    .action(async (options: OrgOption & { email: string; role: Role }, command: Command) => {
      const config = cli.config(command);
      const { organisation, person } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const target = await s.userByEmail(options.email);
        return {
          organisation,
          person: await s.services.people.changeRole(
            s.principal,
            organisation.id,
            target.id,
            options.role,
            s.context,
          ),
        };
      });
      cli.out.result({ organisationId: organisation.id, user: person }, () => [
        `${person.email} is now ${person.role} in ${organisation.name}.`,
      ]);
    });

  user
    .command('reset')
    .description("Revoke a person's password and sessions and print a one-time reset link")
    .addOption(emailOption())
    .addOption(orgOption())
    .action(async (options: OrgOption & { email: string }, command: Command) => {
      const config = cli.config(command);
      const { target, resetToken } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const target = await s.userByEmail(options.email);
        return {
          target,
          ...(await s.services.people.issueReset(
            s.principal,
            organisation.id,
            target.id,
            s.context,
          )),
        };
      });
      const link = activationLink(baseUrl(config), resetToken);
      cli.out.result({ userId: target.id, resetToken, resetLink: link }, () => [
        `The password of ${target.email} no longer works and their sessions have ended.`,
        ...oneTimeLinkLines('Reset', link, resetToken),
      ]);
    });

  user
    .command('remove')
    .description('Remove a person from an organisation (ends their sessions)')
    .addOption(emailOption())
    .addOption(orgOption())
    .action(async (options: OrgOption & { email: string }, command: Command) => {
      const config = cli.config(command);
      const { organisation, target } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const target = await s.userByEmail(options.email);
        await s.services.people.removePerson(s.principal, organisation.id, target.id, s.context);
        return { organisation, target };
      });
      cli.out.result({ removed: { userId: target.id, organisationId: organisation.id } }, () => [
        `Removed ${target.email} from ${organisation.name}.`,
      ]);
    });
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
