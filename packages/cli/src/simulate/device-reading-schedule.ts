import type { SyntheticPatient } from './synthetic-patients.js';
import type { TimedReading, VitalSignStream } from './vital-sign-stream.js';

/** The readings one patient gave since the last call. */
export interface PatientReadings {
  readonly patient: SyntheticPatient;
  readonly readings: readonly TimedReading[];
}

export interface DeviceReadingScheduleOptions {
  /** The patients at this device's bedside, at least one. */
  readonly streams: readonly VitalSignStream[];
  /** When the first reading is taken, epoch ms. */
  readonly start: number;
  /** Readings per second for the whole device, shared round-robin by its patients. */
  readonly ratePerSecond: number;
}

/**
 * When one simulated device takes its readings: reading k at exactly
 * `start + k / rate` seconds (to the millisecond), from patient k mod M — so the
 * readings and their times depend on the seed and the rate only, never on how
 * late the event loop got round to asking. A late call catches up in one go.
 *
 * @example
 * const schedule = new DeviceReadingSchedule({ streams, start: clock.now(), ratePerSecond: 10 });
 * for (const { patient, readings } of schedule.due(clock.now())) telemetry.record(patient.identifier, readings);
 */
export class DeviceReadingSchedule {
  readonly #streams: readonly VitalSignStream[];
  readonly #start: number;
  readonly #rate: number;
  #taken = 0;

  constructor(options: DeviceReadingScheduleOptions) {
    if (options.streams.length === 0) throw new RangeError('A device needs at least one patient.');
    if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond <= 0) {
      throw new RangeError('The rate must be a positive number of readings per second.');
    }
    this.#streams = options.streams;
    this.#start = options.start;
    this.#rate = options.ratePerSecond;
  }

  /** Readings taken so far. */
  get taken(): number {
    return this.#taken;
  }

  /** When reading `k` (0-based) is taken, epoch ms. */
  timeOf(k: number): number {
    return this.#start + Math.round((k * 1_000) / this.#rate);
  }

  /** The readings due at or before `now` not yet handed out, grouped by patient, each in time order. */
  due(now: number): PatientReadings[] {
    const byPatient = new Map<VitalSignStream, TimedReading[]>();
    while (this.timeOf(this.#taken) <= now) {
      const k = this.#taken;
      const stream = this.#streams[k % this.#streams.length];
      if (stream === undefined) break;
      let readings = byPatient.get(stream);
      if (readings === undefined) byPatient.set(stream, (readings = []));
      readings.push(stream.next(new Date(this.timeOf(k))));
      this.#taken += 1;
    }
    return [...byPatient].map(([stream, readings]) => ({ patient: stream.patient, readings }));
  }
}
