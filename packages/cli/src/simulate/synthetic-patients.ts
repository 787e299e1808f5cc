import { MIN_PULSE_PRESSURE, CHANNEL_MODELS, CHANNELS, type Channel } from './vital-sign-model.js';
import { SeededRandom, type Seed } from './seeded-random.js';

/**
 * Synthetic patients: made-up identifiers, made-up names and a resting
 * baseline each, all derived from the seed and the patient's number. Nothing
 * here comes from or stands for a real person — the identifiers carry `SIM`
 * so they can never be mistaken for (or collide with) a hospital's MRNs, and
 * the names are put together from the invented words below.
 */

/** Every synthetic identifier starts with this (`MRN-SIM-000001`, …). */
export const SYNTHETIC_IDENTIFIER_PREFIX = 'MRN-SIM-';
/** Identifiers have six digits. */
export const MAX_SYNTHETIC_PATIENTS = 999_999;

export interface SyntheticPatient {
  /** 0-based position in the simulation; the identifier shows it 1-based. */
  readonly index: number;
  /** `MRN-SIM-000001` …: what the gateway pseudonymises. */
  readonly identifier: string;
  /** For the console only; never sent anywhere. */
  readonly displayName: string;
  /** The resting value of each channel, before circadian rhythm, episodes and drift. */
  readonly baseline: Readonly<Record<Channel, number>>;
  /** The seed of this patient's own random streams. */
  readonly seed: Seed;
}

// Invented words, chosen not to be real names: given names from syllables, family
// names from place-like compounds that no register we know of lists as a surname.
const GIVEN_NAMES = [
  'Alvena',
  'Bramo',
  'Corisse',
  'Davut',
  'Elowen',
  'Faridel',
  'Gavrin',
  'Halvie',
  'Ilsabet',
  'Jorvik',
  'Kasimo',
  'Lunara',
  'Marek',
  'Nerissa',
  'Orrin',
  'Pellan',
  'Quenna',
  'Rovan',
  'Selvie',
  'Tamsyn',
  'Ulrik',
  'Veyla',
  'Wendel',
  'Yarrow',
] as const;

const FAMILY_NAMES = [
  'Ashvale',
  'Brackenmoor',
  'Cindergate',
  'Dunmarrow',
  'Elderquay',
  'Fernwhistle',
  'Glimmerton',
  'Hollowmere',
  'Ironbrook',
  'Juniperholt',
  'Kestrelby',
  'Larkspire',
  'Mossgarden',
  'Nettlecombe',
  'Oakenshade',
  'Pebblewick',
  'Quillmarsh',
  'Rookhaven',
  'Saltmire',
  'Thistledown',
  'Umberfield',
  'Vetchley',
  'Willowrun',
  'Yewbarrow',
] as const;

/**
 * The patient at `index` (0-based) of the simulation with `seed`: the same seed
 * and index always give the same identifier, name and baseline.
 *
 * @example
 * syntheticPatient(1, 0).identifier; // 'MRN-SIM-000001'
 */
export function syntheticPatient(seed: Seed, index: number): SyntheticPatient {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_SYNTHETIC_PATIENTS) {
    throw new RangeError(`A synthetic patient index is 0 to ${MAX_SYNTHETIC_PATIENTS - 1}.`);
  }
  const random = SeededRandom.derive(seed, 'patient', index);
  const displayName = `${random.pick(GIVEN_NAMES)} ${random.pick(FAMILY_NAMES)}`;
  const baseline = {} as Record<Channel, number>;
  for (const channel of CHANNELS) {
    const [low, high] = CHANNEL_MODELS[channel].baseline;
    baseline[channel] = random.uniform(low, high);
  }
  // A resting pulse pressure of at least 30 mmHg: diastolic is drawn below systolic.
  const [diastolicLow, diastolicHigh] = CHANNEL_MODELS.diastolic.baseline;
  const ceiling = Math.min(diastolicHigh, baseline.systolic - 2 * MIN_PULSE_PRESSURE);
  baseline.diastolic = random.uniform(diastolicLow, Math.max(diastolicLow, ceiling));
  return {
    index,
    identifier: `${SYNTHETIC_IDENTIFIER_PREFIX}${String(index + 1).padStart(6, '0')}`,
    displayName,
    baseline,
    seed: random.integer(0, 0xffff_ffff),
  };
}
