import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import { systemClock } from '@vigil/core';
import { wholeNumber } from '../argument-parsers.js';
import type { CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { readInputFile } from '../input-files.js';
import type { SimulatorEnrolment } from '../simulate/agent-gateway.js';
import { devicesToEnrol, openFleet, type Fleet } from '../simulate/simulated-fleet.js';
import { patientsOf, runSimulation } from '../simulate/simulation.js';
import { progressLine, rosterLines, summaryLines } from '../simulate/simulation-report.js';
import {
  defaultDeviceUrl,
  nonNegativeNumber,
  parseEnrolmentToken,
  parseHttpsOrigin,
  parsePseudonymSecret,
  positiveNumber,
} from '../simulate/simulator-inputs.js';
import { withStopSignals } from '../simulate/stop-signals.js';
import { MAX_SYNTHETIC_PATIENTS, type SyntheticPatient } from '../simulate/synthetic-patients.js';
import { DEFAULT_EPISODES_PER_HOUR } from '../simulate/vital-sign-stream.js';

/** Where the enrolment token may come from instead of a file (never a flag value: shell history). */
export const ENROLMENT_TOKEN_ENV = 'VIGIL_ENROLMENT_TOKEN';
/** The server when `--server` is not given, as for `vigil keys` and `vigil data`. */
export const SERVER_ENV = 'VIGIL_SERVER';

const MAX_DEVICES = 1_000;
const MAX_PATIENTS_PER_DEVICE = 100;
/** Readings per second per device; beyond this the machine, not the server, is measured. */
const MAX_RATE = 1_000;
/** One week, seconds. */
const MAX_DURATION = 7 * 24 * 3_600;
const MAX_EPISODES_PER_HOUR = 60;
/** How long the final upload may take before what is left stays queued for the next run. */
const DRAIN_TIMEOUT_MS = 30_000;

interface SimulateOptions {
  readonly server?: string;
  readonly deviceUrl?: string;
  readonly caFile: string;
  readonly tokenFile?: string;
  readonly pseudonymSecretFile: string;
  readonly expectedSigningKeyFingerprint?: string;
  readonly stateDir: string;
  readonly devices: number;
  readonly patientsPerDevice: number;
  readonly rate: number;
  readonly duration: number;
  readonly seed: number;
  readonly episodesPerHour: number;
}

/**
 * `vigil simulate`: real gateways for demos, tests and benchmarks. Enrols
 * (or reloads) N agents, each with its own identity and outbox under
 * `--state-dir`, and has each record synthetic vital signs (see
 * `simulate/vital-sign-stream.ts`) through its whole telemetry pipeline at
 * `--rate` readings a second, for `--duration` seconds; then delivers what is
 * queued and prints a summary. SIGINT/SIGTERM stop early (a second one stops
 * delivering; the outboxes keep the rest for the next run).
 */
export function registerSimulateCommand(program: Command, cli: CliContext): void {
  program
    .command('simulate')
    .description(
      'Run simulated gateways: real agents that enrol, then record and upload synthetic vital signs',
    )
    .addOption(
      new Option(
        '--server <url>',
        `The Vigil server the devices enrol with, https://host:port (env ${SERVER_ENV})`,
      ),
    )
    .addOption(
      new Option(
        '--device-url <url>',
        'The device listener (mutual TLS); default: the --server host on port 8444',
      ).argParser(parseHttpsOrigin),
    )
    .addOption(
      new Option(
        '--ca-file <file>',
        "The server's TLS trust anchor, PEM (development server: <data-dir>/tls/ca.pem)",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--token-file <file>',
        `Enrolment token (first line) for devices not enrolled yet; else $${ENROLMENT_TOKEN_ENV}`,
      ),
    )
    .addOption(
      new Option(
        '--pseudonym-secret-file <file>',
        "The care organisation's pseudonym secret, as `vigil keys setup` wrote it (--secret-out)",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--expected-signing-key-fingerprint <fingerprint>',
        "The care organisation's published manifest signing key fingerprint (else trust on first use)",
      ),
    )
    .addOption(
      new Option(
        '--state-dir <dir>',
        "The devices' identities, keys and outboxes, one folder each; reused by the next run",
      ).makeOptionMandatory(),
    )
    .addOption(
      new Option('--devices <n>', `Simulated gateways (at most ${MAX_DEVICES})`)
        .argParser(wholeNumber(1, MAX_DEVICES))
        .default(1),
    )
    .addOption(
      new Option(
        '--patients-per-device <n>',
        `Patients at each gateway (at most ${MAX_PATIENTS_PER_DEVICE})`,
      )
        .argParser(wholeNumber(1, MAX_PATIENTS_PER_DEVICE))
        .default(2),
    )
    .addOption(
      new Option('--rate <r>', `Readings per second per gateway (at most ${MAX_RATE})`)
        .argParser(positiveNumber(MAX_RATE))
        .default(1),
    )
    .addOption(
      new Option('--duration <seconds>', 'How long readings are taken')
        .argParser(wholeNumber(1, MAX_DURATION))
        .default(60),
    )
    .addOption(
      new Option('--seed <n>', 'Seed of the synthetic patients and their readings (0–4294967295)')
        .argParser(wholeNumber(0, 0xffff_ffff))
        .default(1),
    )
    .addOption(
      new Option(
        '--episodes-per-hour <n>',
        'Mean episodes (tachycardia, desaturation, …) per patient-hour',
      )
        .argParser(nonNegativeNumber(MAX_EPISODES_PER_HOUR))
        .default(DEFAULT_EPISODES_PER_HOUR),
    )
    .action(async (options: SimulateOptions, command: Command) => {
      await simulate(cli, command, options);
    });
}

async function simulate(
  cli: CliContext,
  command: Command,
  options: SimulateOptions,
): Promise<void> {
  const { cwd, env } = cli.io;
  const server = serverOf(command, options.server ?? env[SERVER_ENV]);
  if (options.devices * options.patientsPerDevice > MAX_SYNTHETIC_PATIENTS) {
    command.error(`At most ${MAX_SYNTHETIC_PATIENTS} patients in all.`, { exitCode: EXIT.usage });
  }
  const serverTrustPem = await readInputFile(command, cwd, '--ca-file', options.caFile);
  const secretText = await readInputFile(
    command,
    cwd,
    '--pseudonym-secret-file',
    options.pseudonymSecretFile,
  );
  const pseudonymSecret = parsePseudonymSecret(secretText);
  if (pseudonymSecret === undefined) {
    command.error(
      `--pseudonym-secret-file ${options.pseudonymSecretFile} does not hold a pseudonym secret (base64url, at least 32 bytes)`,
      { exitCode: EXIT.usage },
    );
  }
  const stateDir = resolve(cwd, options.stateDir);
  const missing = await devicesToEnrol(stateDir, options.devices);
  let enrolment: SimulatorEnrolment | undefined;
  if (missing.length > 0) {
    const token =
      options.tokenFile === undefined
        ? parseEnrolmentToken(env[ENROLMENT_TOKEN_ENV] ?? '')
        : parseEnrolmentToken(await readInputFile(command, cwd, '--token-file', options.tokenFile));
    if (token === undefined) {
      command.error(
        `${missing.length} of the devices are not enrolled yet: give --token-file or ${ENROLMENT_TOKEN_ENV} (a token for at least ${missing.length} devices)`,
        { exitCode: EXIT.usage },
      );
    }
    enrolment = {
      enrolUrl: server,
      deviceUrl: options.deviceUrl ?? defaultDeviceUrl(server),
      serverTrustPem,
      token,
    };
  }

  const reported = new Set<string>();
  const report = (deviceId: string, error: unknown) => {
    // Once per code: a server that is down must not flood the console.
    const code = codeOf(error);
    if (reported.has(code)) return;
    reported.add(code);
    cli.out.note(`Device ${deviceId}: ${messageOf(error)} (${code}); retrying, counted as errors.`);
  };
  const fleet = await openFleet({
    stateDir,
    devices: options.devices,
    patientsPerDevice: options.patientsPerDevice,
    seed: options.seed,
    pseudonymSecret,
    ...(enrolment === undefined ? {} : { enrolment }),
    ...(options.expectedSigningKeyFingerprint === undefined
      ? {}
      : { expectedSigningKeyFingerprint: options.expectedSigningKeyFingerprint }),
    onError: report,
    onAlarm: (deviceId, alarm) =>
      cli.out.note(`Device ${deviceId}: alarm ${JSON.stringify(alarm)}`),
  });
  try {
    printStart(cli, options, fleet);
    const summary = await withStopSignals(
      cli.io.signal,
      () => cli.out.note('Stopping: delivering what is queued (Ctrl-C again leaves it queued)…'),
      (stop, abandon) =>
        runSimulation({
          gateways: fleet.gateways,
          patientsPerDevice: options.patientsPerDevice,
          seed: options.seed,
          ratePerSecond: options.rate,
          durationSeconds: options.duration,
          episodesPerHour: options.episodesPerHour,
          // The ward's day follows this machine's clock for the circadian rhythm.
          utcOffsetMinutes: -new Date().getTimezoneOffset(),
          clock: systemClock,
          sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
          stop,
          abandon,
          drainTimeoutMs: DRAIN_TIMEOUT_MS,
          onProgress: (p) => cli.out.note(progressLine(p)),
          onError: report,
        }),
    );
    cli.out.result(
      {
        ...summary,
        seed: options.seed,
        ratePerSecond: options.rate,
        durationSeconds: options.duration,
        signingKeyFingerprints: fleet.signingKeyFingerprints,
        deviceList: fleet.views,
      },
      () => summaryLines(summary),
    );
  } finally {
    await fleet.close();
  }
}

/** `--server` or its environment variable, an https:// URL; a wrong or missing one exits 2. */
function serverOf(command: Command, value: string | undefined): string {
  if (value === undefined || value === '') {
    command.error(`Give the server with --server or ${SERVER_ENV}`, { exitCode: EXIT.usage });
  }
  try {
    return parseHttpsOrigin(value);
  } catch {
    command.error('--server must be an https:// URL', { exitCode: EXIT.usage });
  }
}

function printStart(cli: CliContext, options: SimulateOptions, fleet: Fleet): void {
  const patients = new Map<string, SyntheticPatient>();
  fleet.views.forEach((_, i) => {
    for (const p of patientsOf(options.seed, i, options.patientsPerDevice))
      patients.set(p.identifier, p);
  });
  const devices = fleet.views.length;
  cli.out.note(
    `Simulating ${devices} device${devices === 1 ? '' : 's'} × ${options.patientsPerDevice} patients at ${options.rate} readings/s each for ${options.duration} s (seed ${options.seed}); Ctrl-C stops early.`,
  );
  for (const fingerprint of fleet.signingKeyFingerprints) {
    cli.out.note(
      `Key manifest signing key: ${fingerprint} (compare with the one the care organisation published)`,
    );
  }
  for (const line of rosterLines(fleet.views, patients)) cli.out.note(line);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_INTERNAL';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
}
