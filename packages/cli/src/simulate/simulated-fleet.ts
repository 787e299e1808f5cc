import { mkdir } from 'node:fs/promises';
import type { TelemetryAlarm } from '@vigil/agent';
import {
  AgentGateway,
  deviceDirectory,
  isEnrolled,
  simulatorSerial,
  type SimulatorEnrolment,
} from './agent-gateway.js';
import { patientsOf } from './simulation.js';
import type { SimulatedDeviceView } from './simulation-report.js';
import type { Seed } from './seeded-random.js';

/** Agents opened at once: EST and key generation for 1 000 devices without a thundering herd. */
const OPEN_CONCURRENCY = 8;

export interface FleetOptions {
  /** Device d (1-based) lives in `<stateDir>/device-000d`. */
  readonly stateDir: string;
  readonly devices: number;
  readonly patientsPerDevice: number;
  readonly seed: Seed;
  /** For the devices `devicesToEnrol` named; may be absent when there are none. */
  readonly enrolment?: SimulatorEnrolment;
  readonly pseudonymSecret: Uint8Array;
  readonly expectedSigningKeyFingerprint?: string;
  readonly onError?: (deviceId: string, error: unknown) => void;
  readonly onAlarm?: (deviceId: string, alarm: TelemetryAlarm) => void;
}

/** The simulation's gateways, ready to record: enrolled or loaded, manifest checked. */
export interface Fleet {
  readonly gateways: readonly AgentGateway[];
  readonly views: readonly SimulatedDeviceView[];
  /** The manifest signing keys the devices pinned (one, unless the state dir mixes organisations). */
  readonly signingKeyFingerprints: readonly string[];
  close(): Promise<void>;
}

/** The numbers (1-based) of the devices whose directory holds no identity yet. */
export async function devicesToEnrol(stateDir: string, devices: number): Promise<number[]> {
  const numbers = Array.from({ length: devices }, (_, i) => i + 1);
  const enrolled = await Promise.all(numbers.map((n) => isEnrolled(deviceDirectory(stateDir, n))));
  return numbers.filter((_, i) => !enrolled[i]);
}

/**
 * Opens every gateway (enrolling those without an identity) and has each fetch
 * and check the key manifest, so that a care organisation without a published
 * manifest, or with another signing key than expected, stops the run before
 * it starts instead of failing every reading. On failure, what was opened is
 * closed again and the first error thrown.
 */
export async function openFleet(options: FleetOptions): Promise<Fleet> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const numbers = Array.from({ length: options.devices }, (_, i) => i + 1);
  const opened: Array<{ gateway: AgentGateway; view: SimulatedDeviceView }> = [];
  const close = async () => {
    await Promise.allSettled(opened.map((o) => o.gateway.close()));
  };
  try {
    await forEachLimited(numbers, OPEN_CONCURRENCY, async (n) => {
      const { gateway, enrolled } = await AgentGateway.open({
        directory: deviceDirectory(options.stateDir, n),
        number: n,
        pseudonymSecret: options.pseudonymSecret,
        ...(options.enrolment === undefined ? {} : { enrolment: options.enrolment }),
        ...(options.expectedSigningKeyFingerprint === undefined
          ? {}
          : { expectedSigningKeyFingerprint: options.expectedSigningKeyFingerprint }),
        ...(options.onError === undefined ? {} : { onError: options.onError }),
        ...(options.onAlarm === undefined ? {} : { onAlarm: options.onAlarm }),
      });
      opened[n - 1] = {
        gateway,
        view: {
          deviceId: gateway.deviceId,
          serialNumber: simulatorSerial(n),
          enrolledNow: enrolled,
          patients: patientsOf(options.seed, n - 1, options.patientsPerDevice).map(
            (p) => p.identifier,
          ),
        },
      };
    });
    const fingerprints = new Set<string>();
    await forEachLimited(opened, OPEN_CONCURRENCY, async ({ gateway }) => {
      fingerprints.add((await gateway.prepare()).signingKeyFingerprint);
    });
    return {
      gateways: opened.map((o) => o.gateway),
      views: opened.map((o) => o.view),
      signingKeyFingerprints: [...fingerprints],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure is thrown once all have ended. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
