import { Option, type Command } from 'commander';
import { collect, parseLabel } from '../argument-parsers.js';
import type { CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { meaningfulLines, readInputFile } from '../input-files.js';
import { withOperatorSession } from '../operator-session.js';
import { orgOption, type OrgOption } from '../org-option.js';
import { formatTable, formatTime } from '../output.js';

/** The API's limit on one hardware serial number. */
const MAX_SERIAL_LENGTH = 128;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

interface ModelSetOptions extends OrgOption {
  readonly attestationRequired?: boolean;
  readonly vendorRoot: readonly string[];
}

interface BatchAddOptions extends OrgOption {
  readonly batch: string;
  readonly serialsFile: string;
}

/**
 * `vigil device model …` and `vigil device batch …`: which device models
 * must prove genuine hardware when they enrol (FDA premarket guidance
 * App. 1), the hardware vendors' roots that attestation chains to, and the
 * production batches whose serial numbers may enrol.
 */
export function registerDeviceModelCommands(device: Command, cli: CliContext): void {
  const model = device
    .command('model')
    .description('Manage device models and their genuine-hardware attestation policy');

  model
    .command('set')
    .description(
      "Create or replace a device model's policy: whether attestation is required, and the trusted vendor roots",
    )
    .argument('<name>', 'Model name, as enrolment tokens name it', parseLabel)
    .option(
      '--attestation-required',
      'Devices of this model must prove genuine hardware to enrol (default: not required)',
    )
    .addOption(
      new Option(
        '--vendor-root <file>',
        "PEM file of a hardware vendor's root certificate(s); repeat for several",
      )
        .argParser(collect)
        .default([], 'none'),
    )
    .addOption(orgOption())
    .action(async (name: string, options: ModelSetOptions, command: Command) => {
      const config = cli.config(command);
      const vendorRootsPem: string[] = [];
      for (const file of options.vendorRoot) {
        const text = await readInputFile(command, cli.io.cwd, '--vendor-root', file);
        const certificates = text.match(PEM_CERTIFICATE);
        if (!certificates)
          command.error(`--vendor-root ${file} holds no PEM certificate`, {
            exitCode: EXIT.usage,
          });
        vendorRootsPem.push(...certificates.map((pem) => `${pem}\n`));
      }
      const saved = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const input = { attestationRequired: options.attestationRequired === true, vendorRootsPem };
        return s.services.enrolment.putModel(s.principal, organisation.id, name, input, s.context);
      });
      cli.out.result({ model: saved }, () => [
        `Device model ${saved.name}: attestation ${saved.attestationRequired ? 'required' : 'not required'}, ${saved.vendorRootsPem.length} trusted vendor root(s).`,
      ]);
    });

  model
    .command('list')
    .description('List device models and their attestation policy')
    .addOption(orgOption())
    .action(async (options: OrgOption, command: Command) => {
      const config = cli.config(command);
      const { organisationId, models } = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        return {
          organisationId: organisation.id,
          models: await s.services.enrolment.listModels(s.principal, organisation.id),
        };
      });
      cli.out.result({ organisationId, models }, () =>
        formatTable([
          ['NAME', 'ATTESTATION', 'VENDOR ROOTS', 'CREATED', 'ID'],
          ...models.map((m) => [
            m.name,
            m.attestationRequired ? 'required' : 'not required',
            String(m.vendorRootsPem.length),
            formatTime(m.createdAt),
            m.id,
          ]),
        ]),
      );
    });

  const batch = device
    .command('batch')
    .description("Manage the production batches on a model's serial-number allow-list");

  batch
    .command('add')
    .description("Add a production batch's hardware serial numbers to a model's allow-list")
    .argument('<model>', 'Model name, as `vigil device model list` shows it', parseLabel)
    .addOption(
      new Option('--batch <id>', 'Production batch id').argParser(parseLabel).makeOptionMandatory(),
    )
    .requiredOption(
      '--serials-file <file>',
      'Text file with one serial number per line (blank lines and # comments ignored)',
    )
    .addOption(orgOption())
    .action(async (modelName: string, options: BatchAddOptions, command: Command) => {
      const config = cli.config(command);
      const text = await readInputFile(command, cli.io.cwd, '--serials-file', options.serialsFile);
      const serials = meaningfulLines(text);
      const tooLong = serials.find((serial) => [...serial].length > MAX_SERIAL_LENGTH);
      if (serials.length === 0 || tooLong !== undefined)
        command.error(
          tooLong === undefined
            ? `--serials-file ${options.serialsFile} holds no serial numbers`
            : `--serials-file ${options.serialsFile}: "${tooLong.slice(0, 20)}…" is longer than ${MAX_SERIAL_LENGTH} characters`,
          { exitCode: EXIT.usage },
        );
      const added = await withOperatorSession(config, async (s) => {
        const organisation = await s.organisation(options.org);
        const input = { batch: options.batch, serials };
        return s.services.enrolment.addBatch(
          s.principal,
          organisation.id,
          modelName,
          input,
          s.context,
        );
      });
      cli.out.result(
        { model: modelName, batch: options.batch, read: serials.length, added },
        () => [
          `Added ${added} new serial number(s) of batch ${options.batch} to the allow-list of ${modelName} (${serials.length} read).`,
        ],
      );
    });
}
