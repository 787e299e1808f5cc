import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SeededRandom } from '../../src/simulate/seeded-random.js';

function draws(random: SeededRandom, n: number): number[] {
  return Array.from({ length: n }, () => random.next());
}

describe('the seeded random generator', () => {
  describe('when it is seeded the same way twice', () => {
    it('gives the same numbers', () => {
      fc.assert(
        fc.property(fc.nat({ max: 0xffff_ffff }), (seed) => {
          assert.deepEqual(draws(new SeededRandom(seed), 50), draws(new SeededRandom(seed), 50));
        }),
      );
    });

    it('gives the same numbers for the same derivation path', () => {
      assert.deepEqual(
        draws(SeededRandom.derive(7, 'patient', 3), 20),
        draws(SeededRandom.derive(7, 'patient', 3), 20),
      );
    });
  });

  describe('when seeds or paths differ', () => {
    it('gives different streams', () => {
      const streams = [
        draws(SeededRandom.derive(7, 'patient', 3), 8),
        draws(SeededRandom.derive(8, 'patient', 3), 8),
        draws(SeededRandom.derive(7, 'patient', 4), 8),
        draws(SeededRandom.derive(7, 'patient', '3'), 8),
        draws(SeededRandom.derive(7, 'patien', 't3'), 8),
      ];
      const distinct = new Set(streams.map((s) => s.join(',')));
      assert.equal(distinct.size, streams.length);
    });
  });

  describe('when many numbers are drawn', () => {
    it('keeps next() in [0, 1) and integer() within its bounds', () => {
      fc.assert(
        fc.property(
          fc.nat({ max: 0xffff_ffff }),
          fc.integer({ min: -50, max: 50 }),
          (seed, low) => {
            const random = new SeededRandom(seed);
            for (let i = 0; i < 200; i += 1) {
              const x = random.next();
              assert.ok(x >= 0 && x < 1, String(x));
              const n = random.integer(low, low + 3);
              assert.ok(Number.isInteger(n) && n >= low && n <= low + 3, String(n));
            }
          },
        ),
      );
    });

    it('spreads uniformly and gives normals with mean 0 and standard deviation 1', () => {
      const random = new SeededRandom(12345);
      const n = 100_000;
      const buckets = new Array<number>(10).fill(0);
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i += 1) {
        const bucket = Math.floor(random.next() * 10);
        buckets[bucket] = (buckets[bucket] ?? 0) + 1;
        const z = random.normal();
        sum += z;
        squares += z * z;
      }
      for (const count of buckets) assert.ok(Math.abs(count - n / 10) < n / 100, String(count));
      const mean = sum / n;
      assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
      assert.ok(Math.abs(Math.sqrt(squares / n - mean * mean) - 1) < 0.02);
    });
  });
});
