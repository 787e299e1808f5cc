import type { Command } from 'commander';
import type { Services } from '@vigil/server';
import type { CliContext } from '../cli-context.js';
import { withOperatorSession } from '../operator-session.js';
import { orgOption, type OrgOption } from '../org-option.js';
import { formatTable, formatTime } from '../output.js';
import { registerDeviceModelCommands } from './device-model-commands.js';
import { registerDeviceTokenCommands } from './device-token-commands.js';

/** A registered device, as the device service returns it. */
type Device = Awaited<ReturnType<Services['devices']['get']>>;
type StatusAction = Parameters<Services['devices']['setStatus']>[3];

const STATUS_ACTIONS: ReadonlyArray<{
  action: StatusAction;
  description: string;
  done: (id: string) => string;
}> = [
  {
    action: 'quarantine',
    description: 'Quarantine a device: it may only check in and fetch updates',
    done: (id) => `Device ${id} is quarantined: it may only check in and fetch updates.`,
  },
  {
    action: 'release',
    description: 'Release a device from quarantine',
    done: (id) => `Device ${id} is active again.`,
  },
  {
    action: 'revoke',
    description:
      'Revoke a device for good: every request is refused at once and its certificate is listed in the CRL',
    done: (id) =>
      `Device ${id} is revoked: every request it makes is refused, and its certificate is in the CRL.`,
  },
];

/**
 * `vigil device …`: the device registry (list, show, quarantine, release,
 * revoke) and, in their own groups, enrolment tokens, device models and
 * serial-number batches. Every change is an audit event by the system.
 */
export function registerDeviceCommands(program: Command, cli: CliContext): void {
  const device = program
    .command('device')
    .description('Manage devices: the registry, enrolment tokens, models and serial batches');

  device
    .command('list')
    .description('List the devices of an organisation with status, certificate expiry, last seen')
    .addOption(orgOption())
    .action(async (options: OrgOption, command: Command) => {
      const config = cli.config(command);
      const { organisationId, devices } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return {
          organisationId: organisation.id,
          devices: await s.services.devices.list(s.principal, organisation.id),
        };
      });
      cli.out.result({ organisationId, devices }, () =>
        formatTable([
          ['ID', 'MODEL', 'SERIAL', 'SITE', 'CARE ORG', 'STATUS', 'CERT EXPIRES', 'LAST SEEN'],
          ...devices.map((d) => [
            d.id,
            d.model,
            d.serialNumber ?? '-',
            d.site ?? '-',
            d.careOrganisationId ?? '-',
            d.status,
            formatTime(d.certNotAfter),
            formatTime(d.lastSeenAt),
          ]),
        ]),
      );
    });

  device
    .command('show')
    .description('Show one device')
    .argument('<deviceId>', 'Device id, as `vigil device list` shows it')
    .addOption(orgOption())
    .action(async (deviceId: string, options: OrgOption, command: Command) => {
      const config = cli.config(command);
      const found = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return s.services.devices.get(s.principal, organisation.id, deviceId);
      });
      cli.out.result({ device: found }, () => deviceLines(found));
    });

  for (const { action, description, done } of STATUS_ACTIONS) {
    device
      .command(action)
      .description(description)
      .argument('<deviceId>', 'Device id, as `vigil device list` shows it')
      .addOption(orgOption())
      .action(async (deviceId: string, options: OrgOption, command: Command) => {
        const config = cli.config(command);
        const changed = await withOperatorSession(config, async (s) => {
          const organisation = await s.organisation(options.org);
          return s.services.devices.setStatus(
            s.principal,
            organisation.id,
            deviceId,
            action,
            s.context,
          );
        });
        cli.out.result({ device: changed }, () => [done(changed.id)]);
      });
  }

  registerDeviceTokenCommands(device, cli);
  registerDeviceModelCommands(device, cli);
}

function deviceLines(d: Device): string[] {
  return [
    `Device ${d.id}`,
    ...formatTable([
      ['  Status', d.status],
      ['  Model', d.model],
      ['  Hardware revision', d.hardwareRevision ?? '-'],
      ['  Serial number', d.serialNumber ?? '-'],
      ['  Site', d.site ?? '-'],
      ['  Hardware attested', d.hardwareAttested ? 'yes' : 'no'],
      ['  Certificate serial', d.certSerial],
      ['  Certificate expires', formatTime(d.certNotAfter)],
      ...(d.previousCertSerial === null
        ? []
        : [
            ['  Previous certificate', `${d.previousCertSerial} (until the new one is first used)`],
          ]),
      ['  Software version', d.softwareVersion ?? '-'],
      ['  Last seen', formatTime(d.lastSeenAt)],
      ['  Enrolled', formatTime(d.enrolledAt)],
      ['  Organisation', d.organisationId],
      ['  Care organisation', d.careOrganisationId ?? '- (cannot upload readings)'],
    ]),
  ];
}
