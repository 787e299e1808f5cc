/**
 * A small, seeded pseudo-random generator for the simulator: the same seed
 * gives the same patients and the same readings on every machine and every
 * run, which is what makes a demo repeatable and a benchmark comparable.
 * Not for secrets — keys and tokens come from `crypto.getRandomValues`.
 */

/** A seed: an unsigned 32-bit integer. */
export type Seed = number;

const UINT32 = 4_294_967_296;

/**
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, period 2^32,
 * passes gjrand and PractRand to 2^32 outputs — ample for vital-sign noise,
 * and one multiply-xorshift round per number keeps ten thousand readings a
 * second cheap.
 *
 * @example
 * const random = SeededRandom.derive(42, 'patient', 7);
 * random.uniform(55, 95); // the same number for seed 42, patient 7, every time
 */
export class SeededRandom {
  #state: number;

  constructor(seed: Seed) {
    this.#state = seed >>> 0;
  }

  /**
   * An independent stream for one purpose, e.g. `derive(seed, 'patient', 3, 'heart-rate')`:
   * each path gets its own state, so drawing more numbers for one vital sign never
   * shifts the numbers another one gets.
   */
  static derive(seed: Seed, ...path: readonly (string | number)[]): SeededRandom {
    let h = mix32((seed >>> 0) ^ 0x9e3779b9);
    for (const part of path) {
      const text = `${typeof part}:${String(part)}`;
      for (let i = 0; i < text.length; i += 1) h = mix32(h ^ text.charCodeAt(i));
      // A separator, so ('ab', 'c') and ('a', 'bc') differ.
      h = mix32(h ^ 0x2f);
    }
    return new SeededRandom(h);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A whole number from `min` to `max`, both included. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly [T, ...T[]]): T {
    return items[Math.floor(this.next() * items.length)] ?? items[0];
  }

  /** Standard normal N(0, 1), by the Box–Muller transform (one of its two outputs). */
  normal(): number {
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponentially distributed with the given mean (waiting times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

/** The MurmurHash3 32-bit finaliser: every input bit affects every output bit. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
