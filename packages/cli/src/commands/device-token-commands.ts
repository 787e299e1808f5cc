import { Option, type Command } from 'commander';
import type { VigilConfig } from '@vigil/server';
import { parseLabel, parseName, wholeNumber } from '../argument-parsers.js';
import type { CliContext } from '../cli-context.js';
import { baseUrl, devCaCertPath, enrolmentUrl } from '../links.js';
import { withOperatorSession } from '../operator-session.js';
import { orgOption, type OrgOption } from '../org-option.js';
import { formatTable, formatTime } from '../output.js';

const DEFAULT_HOURS = 24;
/** The server's cap (MAX_ENROLMENT_TOKEN_HOURS): 30 days; refused here rather than shortened silently. */
const MAX_HOURS = 30 * 24;
/** The API's limit on one token's uses (a production batch). */
const MAX_COUNT = 10_000;

interface CreateOptions extends OrgOption {
  readonly model: string;
  readonly site?: string;
  readonly count: number;
  readonly hours: number;
  readonly name?: string;
  readonly careOrg?: string;
}

/**
 * `vigil device token …`: enrolment tokens. A token is a one-time (or
 * `count`-time) credential a gateway presents with its CSR; the server keeps
 * only its digest, so it is printed once.
 */
export function registerDeviceTokenCommands(device: Command, cli: CliContext): void {
  const token = device
    .command('token')
    .description('Manage enrolment tokens (what a gateway presents to get its certificate)');

  token
    .command('create')
    .description('Create an enrolment token for one device or a batch and print it (shown once)')
    .addOption(
      new Option('--model <name>', 'Device model the token enrols')
        .argParser(parseLabel)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--site <site>', 'Site the enrolled devices are registered at').argParser(
        parseLabel,
      ),
    )
    .addOption(
      new Option('--count <n>', `How many devices it may enrol (at most ${MAX_COUNT})`)
        .argParser(wholeNumber(1, MAX_COUNT))
        .default(1),
    )
    .addOption(
      new Option('--hours <n>', `Lifetime in hours (at most ${MAX_HOURS})`)
        .argParser(wholeNumber(1, MAX_HOURS))
        .default(DEFAULT_HOURS),
    )
    .addOption(
      new Option('--name <name>', 'What the token is for (default: the model)').argParser(
        parseName,
      ),
    )
    .addOption(
      new Option(
        '--care-org <id>',
        'Care organisation the enrolled devices report readings to (one the manufacturer serves; see `vigil org list`)',
      ),
    )
    .addOption(orgOption())
    .action(async (options: CreateOptions, command: Command) => {
      const config = cli.config(command);
      const created = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const input = {
          name: options.name ?? options.model,
          model: options.model,
          site: options.site ?? null,
          count: options.count,
          expiresInHours: options.hours,
          careOrganisationId: options.careOrg ?? null,
        };
        return s.services.enrolment.createToken(s.principal, organisation.id, input, s.context);
      });
      const { view } = created;
      const url = enrolmentUrl(baseUrl(config));
      cli.out.result({ token: created.token, enrolmentToken: view, enrolmentUrl: url }, () => [
        `Created enrolment token ${view.id} "${view.name}" for model ${view.model}${view.site === null ? '' : ` at ${view.site}`}: ${uses(view.usesTotal)}, expires ${formatTime(view.expiresAt)}.`,
        view.careOrganisationId === null
          ? 'Devices it enrols report to no care organisation: they cannot upload readings.'
          : `Devices it enrols report readings to care organisation ${view.careOrganisationId}.`,
        'The token (shown only now; hand it over privately):',
        created.token,
        ...enrolmentInstructions(config, url),
      ]);
    });

  token
    .command('list')
    .description('List enrolment tokens (never their secrets)')
    .addOption(orgOption())
    .action(async (options: OrgOption, command: Command) => {
      const config = cli.config(command);
      const { organisationId, tokens } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return {
          organisationId: organisation.id,
          tokens: await s.services.enrolment.listTokens(s.principal, organisation.id),
        };
      });
      cli.out.result({ organisationId, tokens }, () =>
        formatTable([
          ['ID', 'NAME', 'MODEL', 'SITE', 'CARE ORG', 'USES LEFT', 'EXPIRES', 'REVOKED'],
          ...tokens.map((t) => [
            t.id,
            t.name,
            t.model,
            t.site ?? '-',
            t.careOrganisationId ?? '-',
            `${t.usesRemaining}/${t.usesTotal}`,
            formatTime(t.expiresAt),
            formatTime(t.revokedAt),
          ]),
        ]),
      );
    });

  token
    .command('revoke')
    .description('Revoke an enrolment token at once (devices it enrolled stay enrolled)')
    .argument('<tokenId>', 'Token id, as `vigil device token list` shows it')
    .addOption(orgOption())
    .action(async (tokenId: string, options: OrgOption, command: Command) => {
      const config = cli.config(command);
      await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        await s.services.enrolment.revokeToken(s.principal, organisation.id, tokenId, s.context);
      });
      cli.out.result({ revoked: tokenId }, () => [
        `Revoked enrolment token ${tokenId}; it enrols no more devices.`,
      ]);
    });
}

function uses(count: number): string {
  return count === 1 ? '1 device' : `up to ${count} devices`;
}

/**
 * How a gateway uses the token (docs/devices.md "Enrolment"). The token
 * stays in a shell variable so it is printed once and kept out of the
 * shell history.
 */
function enrolmentInstructions(config: VigilConfig, url: string): string[] {
  const caCert = devCaCertPath(config);
  return [
    'Enrol a gateway with it: on the gateway, make its key and a CSR with its hardware serial number,',
    'then send the CSR with the token (set TOKEN to the token above):',
    '  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key \\',
    '    -subj "/serialNumber=<serial>/CN=gateway" -outform DER | base64 > device.csr.b64',
    `  curl${caCert === null ? '' : ` --cacert ${caCert}`} -u "device:$TOKEN" -H 'Content-Type: application/pkcs10' \\`,
    `    --data-binary @device.csr.b64 ${url} > device.p7.b64`,
  ];
}
