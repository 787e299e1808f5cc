import type { Channel } from './vital-sign-model.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * Episodes: the events a monitored patient occasionally has, and what an alarm
 * or a dashboard should make visible. They come as a Poisson process (random,
 * memoryless onsets at a mean rate), never overlap, and shift the channels they
 * affect by an amount that rises and falls smoothly (raised-cosine ramps), so a
 * chart shows an onset, a plateau and a recovery rather than a step.
 */

export type EpisodeKind = 'tachycardia' | 'desaturation' | 'fever' | 'hypertension';

export interface EpisodeModel {
  /** Relative frequency among the kinds. */
  readonly weight: number;
  /** Length from onset to full recovery, seconds (range drawn from uniformly). */
  readonly durationSeconds: readonly [number, number];
  /** Length of the rise (and of the fall), seconds; at most half the duration. */
  readonly rampSeconds: readonly [number, number];
  /** The shift at the plateau, per affected channel (range drawn from uniformly). */
  readonly effects: Readonly<Partial<Record<Channel, readonly [number, number]>>>;
}

/**
 * Tachycardia with a faster breath; a desaturation with the heart and breath
 * answering it; a fever with about 10 beats/min per °C; a hypertensive spell.
 */
export const EPISODE_MODELS: Readonly<Record<EpisodeKind, EpisodeModel>> = {
  tachycardia: {
    weight: 3,
    durationSeconds: [180, 900],
    rampSeconds: [20, 60],
    effects: { heartRate: [30, 55], respiratoryRate: [2, 5] },
  },
  desaturation: {
    weight: 3,
    durationSeconds: [60, 480],
    rampSeconds: [15, 45],
    effects: { oxygenSaturation: [-12, -5], heartRate: [8, 15], respiratoryRate: [4, 8] },
  },
  fever: {
    weight: 1,
    durationSeconds: [1_800, 10_800],
    rampSeconds: [600, 1_800],
    effects: { temperature: [1, 2], heartRate: [10, 20], respiratoryRate: [2, 4] },
  },
  hypertension: {
    weight: 2,
    durationSeconds: [600, 2_400],
    rampSeconds: [120, 300],
    effects: { systolic: [25, 45], diastolic: [10, 20] },
  },
};

const KINDS = Object.keys(EPISODE_MODELS) as EpisodeKind[];
const TOTAL_WEIGHT = KINDS.reduce((sum, kind) => sum + EPISODE_MODELS[kind].weight, 0);

export interface Episode {
  readonly kind: EpisodeKind;
  /** Epoch ms. */
  readonly start: number;
  /** Epoch ms; the shift is back to zero here. */
  readonly end: number;
  readonly rampMs: number;
  readonly effects: Readonly<Partial<Record<Channel, number>>>;
}

/** How much of its plateau shift an episode applies at `t`: 0 outside, 1 on the plateau. */
export function episodeEnvelope(episode: Episode, t: number): number {
  if (t <= episode.start || t >= episode.end) return 0;
  const rising = (t - episode.start) / episode.rampMs;
  const falling = (episode.end - t) / episode.rampMs;
  const fraction = Math.min(1, rising, falling);
  return 0.5 - 0.5 * Math.cos(Math.PI * fraction);
}

/**
 * One patient's episodes, drawn lazily from its own random stream as time
 * moves on: the timeline depends only on the seed, the start and the rate,
 * never on when or how often the patient is sampled. Times must not go back.
 */
export class EpisodeTimeline {
  readonly #random: SeededRandom;
  readonly #meanGapMs: number;
  #upcoming: Episode | undefined;
  #last = -Infinity;

  /** `perHour`: mean onsets per hour of simulated time; 0 for none. */
  constructor(random: SeededRandom, start: number, perHour: number) {
    if (!Number.isFinite(perHour) || perHour < 0) {
      throw new RangeError('Episodes per hour must be a finite number ≥ 0.');
    }
    this.#random = random;
    this.#meanGapMs = perHour === 0 ? Infinity : 3_600_000 / perHour;
    this.#upcoming = this.#draw(start);
  }

  /** The episode in progress at `t` (epoch ms), if any. */
  at(t: number): Episode | undefined {
    if (t < this.#last) throw new RangeError('An episode timeline only moves forward.');
    this.#last = t;
    while (this.#upcoming !== undefined && this.#upcoming.end <= t) {
      this.#upcoming = this.#draw(this.#upcoming.end);
    }
    const episode = this.#upcoming;
    return episode !== undefined && episode.start < t ? episode : undefined;
  }

  /** The shift each channel gets at `t` from the episode in progress. */
  offsetAt(t: number, channel: Channel): number {
    const episode = this.at(t);
    const effect = episode?.effects[channel];
    return episode === undefined || effect === undefined ? 0 : effect * episodeEnvelope(episode, t);
  }

  #draw(after: number): Episode | undefined {
    if (this.#meanGapMs === Infinity) return undefined;
    const start = after + this.#random.exponential(this.#meanGapMs);
    const kind = this.#kind();
    const model = EPISODE_MODELS[kind];
    const durationMs = 1_000 * this.#random.uniform(...model.durationSeconds);
    const rampMs = Math.min(durationMs / 2, 1_000 * this.#random.uniform(...model.rampSeconds));
    const effects: Partial<Record<Channel, number>> = {};
    for (const [channel, range] of Object.entries(model.effects) as [
      Channel,
      readonly [number, number],
    ][]) {
      effects[channel] = this.#random.uniform(...range);
    }
    return { kind, start, end: start + durationMs, rampMs, effects };
  }

  #kind(): EpisodeKind {
    let draw = this.#random.uniform(0, TOTAL_WEIGHT);
    for (const kind of KINDS) {
      draw -= EPISODE_MODELS[kind].weight;
      if (draw < 0) return kind;
    }
    return KINDS[KINDS.length - 1] ?? 'tachycardia';
  }
}
