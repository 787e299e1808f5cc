import type { Clock } from '@vigil/core';
import { DeviceReadingSchedule } from './device-reading-schedule.js';
import type { Seed } from './seeded-random.js';
import { syntheticPatient, type SyntheticPatient } from './synthetic-patients.js';
import { VitalSignStream, type TimedReading } from './vital-sign-stream.js';

/**
 * What the simulation needs from one gateway: the seam between the generator
 * and a real agent (`agent-gateway.ts`), so the loop below is tested with a
 * fake and the clock moved by hand.
 */
export interface SimulatedGateway {
  readonly deviceId: string;
  /** Hands one patient's new readings to the gateway's telemetry (pseudonymise, protect, queue). */
  record(patientIdentifier: string, readings: readonly TimedReading[]): Promise<void>;
  /** Delivers what is queued, until the queue is empty or `signal` aborts; never throws. */
  flush(signal: AbortSignal): Promise<void>;
  /** Counters since this gateway was opened. */
  stats(): GatewayStats;
}

export interface GatewayStats {
  /** Batches the server answered `stored`. */
  readonly batchesStored: number;
  /** Batches the server already had (`duplicate`: a resend after a lost answer). */
  readonly duplicates: number;
  /** Failed recordings and failed sends (each retried or kept in the outbox). */
  readonly errors: number;
  /** Batches the server refused for good, kept aside in the outbox (`batch-held`). */
  readonly held: number;
  /** Batches still waiting in the outbox to be sent. */
  readonly queued: number;
}

export interface SimulationOptions {
  readonly gateways: readonly SimulatedGateway[];
  /** Patients per gateway: gateway d has patients d·M … d·M + M − 1 of the seed. */
  readonly patientsPerDevice: number;
  readonly seed: Seed;
  /** Readings per second per gateway. */
  readonly ratePerSecond: number;
  /** How long readings are taken, seconds. */
  readonly durationSeconds: number;
  readonly episodesPerHour?: number;
  readonly utcOffsetMinutes?: number;
  readonly clock: Clock;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Stops taking readings early (SIGINT/SIGTERM); what was taken is still delivered. */
  readonly stop?: AbortSignal;
  /** Gives up delivering at the end (a second signal); the rest stays queued for the next run. */
  readonly abandon?: AbortSignal;
  /** The longest the final delivery may take, ms (default 30 000); the rest stays queued. */
  readonly drainTimeoutMs?: number;
  /** How often readings are handed to the gateways, ms (default 1 000). */
  readonly tickMs?: number;
  /** How often `onProgress` is called while readings are taken, ms (default 5 000). */
  readonly progressEveryMs?: number;
  readonly onProgress?: (progress: SimulationProgress) => void;
  /** A failed `record`, for the console. */
  readonly onError?: (deviceId: string, error: unknown) => void;
}

export interface SimulationProgress extends GatewayStats {
  readonly elapsedSeconds: number;
  readonly readingsRecorded: number;
}

export interface SimulationSummary extends SimulationProgress {
  readonly devices: number;
  readonly patients: number;
  /** Readings recorded per second of the run. */
  readonly readingsPerSecond: number;
  /** Stopped by a signal before the duration was over. */
  readonly interrupted: boolean;
}

/** The patients of gateway `device` (0-based) in a simulation. */
export function patientsOf(seed: Seed, device: number, perDevice: number): SyntheticPatient[] {
  return Array.from({ length: perDevice }, (_, j) =>
    syntheticPatient(seed, device * perDevice + j),
  );
}

/**
 * Runs the simulation: every gateway takes `ratePerSecond` readings a second
 * from its patients' streams and records them each tick, until the duration is
 * over or `stop` aborts; then every gateway delivers its queue. Recording
 * failures are counted, never fatal: a simulation shows what the system does
 * under load and faults, it does not hide them.
 *
 * @example
 * const summary = await runSimulation({ gateways, patientsPerDevice: 2, seed: 1,
 *   ratePerSecond: 5, durationSeconds: 60, clock: systemClock, sleep });
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const { clock, gateways } = options;
  const tickMs = options.tickMs ?? 1_000;
  const stop = options.stop ?? new AbortController().signal;
  const start = clock.now();
  const end = start + options.durationSeconds * 1_000;
  let recorded = 0;
  let recordErrors = 0;

  const progress = (): SimulationProgress => {
    const totals = sumStats(gateways.map((g) => g.stats()));
    return {
      ...totals,
      errors: totals.errors + recordErrors,
      elapsedSeconds: (clock.now() - start) / 1_000,
      readingsRecorded: recorded,
    };
  };

  const runDevice = async (gateway: SimulatedGateway, device: number): Promise<void> => {
    const streams = patientsOf(options.seed, device, options.patientsPerDevice).map(
      (patient) =>
        new VitalSignStream({
          patient,
          start: new Date(start),
          ...(options.episodesPerHour === undefined
            ? {}
            : { episodesPerHour: options.episodesPerHour }),
          ...(options.utcOffsetMinutes === undefined
            ? {}
            : { utcOffsetMinutes: options.utcOffsetMinutes }),
        }),
    );
    const schedule = new DeviceReadingSchedule({
      streams,
      start,
      ratePerSecond: options.ratePerSecond,
    });
    for (;;) {
      // Readings due before the end only; a tick that fires late still ends at the duration.
      const now = Math.min(clock.now(), end);
      for (const { patient, readings } of schedule.due(now)) {
        try {
          await gateway.record(patient.identifier, readings);
          recorded += readings.length;
        } catch (error) {
          recordErrors += 1;
          options.onError?.(gateway.deviceId, error);
        }
      }
      if (now >= end || stop.aborted) return;
      await options.sleep(Math.min(tickMs, end - now), stop);
    }
  };

  const reporter = startProgress(options, stop, progress);
  await Promise.all(gateways.map((gateway, device) => runDevice(gateway, device)));
  const elapsedMs = clock.now() - start;
  reporter.stop();
  await deliver(options);
  const final = progress();
  return {
    ...final,
    elapsedSeconds: elapsedMs / 1_000,
    devices: gateways.length,
    patients: gateways.length * options.patientsPerDevice,
    readingsPerSecond: elapsedMs > 0 ? (recorded * 1_000) / elapsedMs : 0,
    interrupted: stop.aborted,
  };
}

/** Every gateway delivers its queue, until done, `abandon`, or the drain deadline. */
async function deliver(options: SimulationOptions): Promise<void> {
  const deadline = new AbortController();
  const finished = new AbortController();
  void options.sleep(options.drainTimeoutMs ?? 30_000, finished.signal).then(() => {
    if (!finished.signal.aborted) deadline.abort();
  });
  const giveUp = AbortSignal.any(
    options.abandon === undefined ? [deadline.signal] : [deadline.signal, options.abandon],
  );
  await Promise.all(options.gateways.map((gateway) => gateway.flush(giveUp)));
  finished.abort();
}

function startProgress(
  options: SimulationOptions,
  stop: AbortSignal,
  progress: () => SimulationProgress,
): { stop(): void } {
  const { onProgress } = options;
  if (onProgress === undefined) return { stop: () => undefined };
  const done = new AbortController();
  const both = AbortSignal.any([done.signal, stop]);
  const every = options.progressEveryMs ?? 5_000;
  void (async () => {
    for (;;) {
      await options.sleep(every, both);
      if (both.aborted) return;
      onProgress(progress());
    }
  })();
  return { stop: () => done.abort() };
}

function sumStats(all: readonly GatewayStats[]): GatewayStats {
  return all.reduce(
    (sum, s) => ({
      batchesStored: sum.batchesStored + s.batchesStored,
      duplicates: sum.duplicates + s.duplicates,
      errors: sum.errors + s.errors,
      held: sum.held + s.held,
      queued: sum.queued + s.queued,
    }),
    { batchesStored: 0, duplicates: 0, errors: 0, held: 0, queued: 0 },
  );
}
