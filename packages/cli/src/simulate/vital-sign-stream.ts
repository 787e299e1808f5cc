import type { VitalSignKind, VitalSignReading } from '@vigil/protect';
import { EpisodeTimeline, type EpisodeKind } from './episodes.js';
import { SeededRandom } from './seeded-random.js';
import type { SyntheticPatient } from './synthetic-patients.js';
import {
  CHANNEL_MODELS,
  CHANNELS,
  MIN_PULSE_PRESSURE,
  PRESSURE_CORRELATION,
  READING_CYCLE,
  reported,
  type Channel,
} from './vital-sign-model.js';

/** A reading as the agent's telemetry records it: the value and when it was taken. */
export type TimedReading = VitalSignReading & { readonly effective: Date };

export interface VitalSignStreamOptions {
  readonly patient: SyntheticPatient;
  /** When monitoring starts: the drift is settled here and episodes are counted from here. */
  readonly start: Date;
  /** Mean onsets of episodes per hour of simulated time (default 0.5; 0 for none). */
  readonly episodesPerHour?: number;
  /** The ward's local time for the circadian rhythm, minutes east of UTC (default 0). */
  readonly utcOffsetMinutes?: number;
  /**
   * Where a channel's drift starts, in its unit, instead of a draw from its
   * settled distribution (e.g. a patient admitted with a racing heart).
   */
  readonly initialDrift?: Readonly<Partial<Record<Channel, number>>>;
}

export const DEFAULT_EPISODES_PER_HOUR = 0.5;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * One synthetic patient's vital signs, as a monitor would report them: ask for
 * a kind at a time and get a reading rounded to what a device reports, always
 * inside the plausible range the FHIR validators accept (systolic above
 * diastolic included). Deterministic: the same patient, options and sequence
 * of requests give the same readings; each kind draws from its own random
 * stream, so asking for one kind more often never changes another's values.
 * Times must not go back.
 *
 * Drift is an Ornstein–Uhlenbeck process sampled exactly at any interval:
 * x(t+Δ) = x(t)·e^(−Δ/τ) + σ·√(1 − e^(−2Δ/τ))·N(0, 1), with σ the settled
 * standard deviation and τ the reversion time of the channel.
 *
 * @example
 * const stream = new VitalSignStream({ patient: syntheticPatient(1, 0), start: new Date() });
 * stream.reading('heart-rate', new Date()); // { kind: 'heart-rate', value: 71, effective: … }
 */
export class VitalSignStream {
  readonly patient: SyntheticPatient;
  readonly #utcOffsetMs: number;
  readonly #episodes: EpisodeTimeline;
  readonly #random: Readonly<Record<VitalSignKind, SeededRandom>>;
  readonly #drift = {} as Record<Channel, number>;
  readonly #driftAt = {} as Record<Channel, number>;
  #cycle = 0;
  #last: number;

  constructor(options: VitalSignStreamOptions) {
    const { patient } = options;
    const start = options.start.getTime();
    if (!Number.isFinite(start)) throw new RangeError('The stream needs a valid start time.');
    this.patient = patient;
    this.#last = start;
    this.#utcOffsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
    this.#episodes = new EpisodeTimeline(
      SeededRandom.derive(patient.seed, 'episodes'),
      start,
      options.episodesPerHour ?? DEFAULT_EPISODES_PER_HOUR,
    );
    const settle = SeededRandom.derive(patient.seed, 'settle');
    for (const channel of CHANNELS) {
      const settled = CHANNEL_MODELS[channel].driftSd * settle.normal();
      this.#drift[channel] = options.initialDrift?.[channel] ?? settled;
      this.#driftAt[channel] = start;
    }
    this.#random = {
      'heart-rate': SeededRandom.derive(patient.seed, 'heart-rate'),
      'oxygen-saturation': SeededRandom.derive(patient.seed, 'oxygen-saturation'),
      'blood-pressure': SeededRandom.derive(patient.seed, 'blood-pressure'),
      'body-temperature': SeededRandom.derive(patient.seed, 'body-temperature'),
      'respiratory-rate': SeededRandom.derive(patient.seed, 'respiratory-rate'),
    };
  }

  /** The next reading in the patient's monitoring cycle (see `READING_CYCLE`), taken at `at`. */
  next(at: Date): TimedReading {
    const kind = READING_CYCLE[this.#cycle % READING_CYCLE.length] ?? 'heart-rate';
    this.#cycle += 1;
    return this.reading(kind, at);
  }

  /** A reading of `kind` taken at `at`. */
  reading(kind: VitalSignKind, at: Date): TimedReading {
    const t = this.#moveTo(at);
    const random = this.#random[kind];
    const effective = new Date(t);
    switch (kind) {
      case 'blood-pressure': {
        const z = random.normal();
        const zd =
          PRESSURE_CORRELATION * z + Math.sqrt(1 - PRESSURE_CORRELATION ** 2) * random.normal();
        const systolic = reported('systolic', this.#value('systolic', t, z, random));
        const diastolic = reported('diastolic', this.#value('diastolic', t, zd, random));
        return {
          kind,
          value: { systolic, diastolic: Math.min(diastolic, systolic - MIN_PULSE_PRESSURE) },
          effective,
        };
      }
      case 'heart-rate':
        return { kind, value: this.#reported('heartRate', t, random), effective };
      case 'oxygen-saturation':
        return { kind, value: this.#reported('oxygenSaturation', t, random), effective };
      case 'body-temperature':
        return { kind, value: this.#reported('temperature', t, random), effective };
      case 'respiratory-rate':
        return { kind, value: this.#reported('respiratoryRate', t, random), effective };
    }
  }

  /** The episode in progress at `at`, for the console (`at` counts as a request: no going back). */
  episodeAt(at: Date): EpisodeKind | undefined {
    return this.#episodes.at(this.#moveTo(at))?.kind;
  }

  #moveTo(at: Date): number {
    const t = at.getTime();
    if (!(t >= this.#last)) {
      throw new RangeError('A vital-sign stream only moves forward: readings come in time order.');
    }
    this.#last = t;
    return t;
  }

  #reported(channel: Channel, t: number, random: SeededRandom): number {
    return reported(channel, this.#value(channel, t, random.normal(), random));
  }

  /** The measured value of `channel` at `t`; `z` is the drift's N(0, 1) innovation. */
  #value(channel: Channel, t: number, z: number, random: SeededRandom): number {
    const model = CHANNEL_MODELS[channel];
    const decay = Math.exp(-(t - this.#driftAt[channel]) / 1_000 / model.reversionSeconds);
    this.#drift[channel] =
      this.#drift[channel] * decay + model.driftSd * Math.sqrt(1 - decay * decay) * z;
    this.#driftAt[channel] = t;
    return (
      this.patient.baseline[channel] +
      this.#circadian(channel, t) +
      this.#episodes.offsetAt(t, channel) +
      this.#drift[channel] +
      model.noiseSd * random.normal()
    );
  }

  #circadian(channel: Channel, t: number): number {
    const { circadianAmplitude, circadianPeakHour } = CHANNEL_MODELS[channel];
    const localMs = (((t + this.#utcOffsetMs) % DAY_MS) + DAY_MS) % DAY_MS;
    const hours = localMs / HOUR_MS - circadianPeakHour;
    return circadianAmplitude * Math.cos((2 * Math.PI * hours) / 24);
  }
}
