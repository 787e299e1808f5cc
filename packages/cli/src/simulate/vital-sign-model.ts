import { VITAL_SIGNS, type VitalSignKind } from '@vigil/protect';

/**
 * The physiology the simulator imitates, one channel per measured quantity
 * (blood pressure is two). Each channel is
 *
 *   value(t) = baseline + circadian(t) + episodes(t) + drift(t) + noise
 *
 * where drift is an Ornstein–Uhlenbeck process (mean zero, so the value keeps
 * returning to the patient's baseline), circadian(t) a cosine over the local day
 * and noise the beat-to-beat and sensor scatter of a single measurement. The
 * numbers are textbook-plausible for resting adults, not a clinical model: good
 * enough that a chart looks like a monitored ward, never a basis for an algorithm.
 */

export type Channel =
  'heartRate' | 'oxygenSaturation' | 'systolic' | 'diastolic' | 'temperature' | 'respiratoryRate';

export const CHANNELS: readonly Channel[] = [
  'heartRate',
  'oxygenSaturation',
  'systolic',
  'diastolic',
  'temperature',
  'respiratoryRate',
];

export interface ChannelModel {
  /** The range a patient's resting baseline is drawn from, uniformly (inclusive). */
  readonly baseline: readonly [number, number];
  /** Standard deviation of the drift once settled (the OU process's stationary sd). */
  readonly driftSd: number;
  /** The drift's time constant, seconds: a deviation falls to 1/e in this time. */
  readonly reversionSeconds: number;
  /** Scatter of one measurement around the true value (standard deviation). */
  readonly noiseSd: number;
  /** Half the day's peak-to-trough swing. */
  readonly circadianAmplitude: number;
  /** Local hour (0–24) of the day's peak. */
  readonly circadianPeakHour: number;
  /**
   * What the simulator never leaves, even in an episode: inside the range
   * `VITAL_SIGNS` accepts (checked by a test), so no reading is ever refused.
   */
  readonly limits: readonly [number, number];
  /** The reporting resolution of a bedside device: 1 (whole numbers) or 0.1. */
  readonly step: number;
}

/**
 * Circadian figures: heart rate, blood pressure and core temperature are lowest
 * in the early morning and highest from late morning (pressure) to early evening
 * (temperature, ~0.5 °C peak to trough); a nocturnal blood-pressure dip of
 * roughly 10 % is normal. Reversion times: seconds to minutes for rate and
 * saturation, tens of minutes for pressure, about an hour for temperature.
 */
export const CHANNEL_MODELS: Readonly<Record<Channel, ChannelModel>> = {
  heartRate: {
    baseline: [55, 95],
    driftSd: 4,
    reversionSeconds: 120,
    noiseSd: 1,
    circadianAmplitude: 5,
    circadianPeakHour: 16,
    limits: [35, 190],
    step: 1,
  },
  oxygenSaturation: {
    baseline: [94, 99],
    driftSd: 0.7,
    reversionSeconds: 60,
    noiseSd: 0.4,
    circadianAmplitude: 0.4,
    circadianPeakHour: 14,
    limits: [70, 100],
    step: 1,
  },
  systolic: {
    baseline: [105, 150],
    driftSd: 6,
    reversionSeconds: 900,
    noiseSd: 2,
    circadianAmplitude: 7,
    circadianPeakHour: 11,
    limits: [70, 220],
    step: 1,
  },
  diastolic: {
    baseline: [65, 95],
    driftSd: 4,
    reversionSeconds: 900,
    noiseSd: 1.5,
    circadianAmplitude: 5,
    circadianPeakHour: 11,
    limits: [40, 130],
    step: 1,
  },
  temperature: {
    baseline: [36.3, 37.4],
    driftSd: 0.1,
    reversionSeconds: 3_600,
    noiseSd: 0.03,
    circadianAmplitude: 0.25,
    circadianPeakHour: 18,
    limits: [34.5, 41],
    step: 0.1,
  },
  respiratoryRate: {
    baseline: [12, 20],
    driftSd: 1.2,
    reversionSeconds: 300,
    noiseSd: 0.5,
    circadianAmplitude: 1,
    circadianPeakHour: 16,
    limits: [8, 40],
    step: 1,
  },
};

/** The smallest gap kept between systolic and diastolic pressure, mmHg (the validators need >). */
export const MIN_PULSE_PRESSURE = 15;
/** How far the drift of diastolic follows that of systolic (correlation of their noise). */
export const PRESSURE_CORRELATION = 0.6;

/** Which channels make up each kind of reading. */
export const CHANNELS_OF: Readonly<Record<VitalSignKind, readonly Channel[]>> = {
  'heart-rate': ['heartRate'],
  'oxygen-saturation': ['oxygenSaturation'],
  'blood-pressure': ['systolic', 'diastolic'],
  'body-temperature': ['temperature'],
  'respiratory-rate': ['respiratoryRate'],
};

/**
 * The order a patient's readings come in, repeating: rate and saturation
 * four times as often as respiration, pressure and temperature least — as a
 * bedside monitor reports them.
 */
export const READING_CYCLE: readonly [VitalSignKind, ...VitalSignKind[]] = [
  'heart-rate',
  'oxygen-saturation',
  'heart-rate',
  'oxygen-saturation',
  'respiratory-rate',
  'heart-rate',
  'oxygen-saturation',
  'blood-pressure',
  'heart-rate',
  'oxygen-saturation',
  'respiratory-rate',
  'body-temperature',
];

/** A value rounded to the channel's resolution and kept inside its limits. */
export function reported(channel: Channel, value: number): number {
  const { step, limits } = CHANNEL_MODELS[channel];
  const clamped = Math.min(limits[1], Math.max(limits[0], value));
  // Count in whole steps and divide once, so 36.7 is 36.7 and not 36.699999999999996.
  const perUnit = Math.round(1 / step);
  return Math.round(clamped * perUnit) / perUnit;
}

/** The plausible range `VITAL_SIGNS` (the FHIR validators) accepts for a channel. */
export function acceptedRange(channel: Channel): readonly [number, number] {
  const definition =
    channel === 'systolic' || channel === 'diastolic'
      ? VITAL_SIGNS['blood-pressure'].components?.[channel]
      : VITAL_SIGNS[KIND_OF[channel]].quantity;
  if (definition === undefined) throw new Error(`No plausible range for ${channel}.`);
  return [definition.min, definition.max];
}

const KIND_OF: Readonly<Record<Channel, VitalSignKind>> = {
  heartRate: 'heart-rate',
  oxygenSaturation: 'oxygen-saturation',
  systolic: 'blood-pressure',
  diastolic: 'blood-pressure',
  temperature: 'body-temperature',
  respiratoryRate: 'respiratory-rate',
};
