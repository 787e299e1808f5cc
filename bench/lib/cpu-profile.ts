import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/** Profiles chosen stretches of this process's work, e.g. only a benchmark's measured runs. */
export interface CpuProfiler {
  /** Runs `work` with V8's sampling profiler on and writes `<dir>/<name>.cpuprofile`. */
  profile<T>(name: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Sampling interval, µs: finer than the default 1 000 µs, as requests take a few ms. */
const SAMPLING_INTERVAL_US = 200;

/**
 * A profiler that writes one `.cpuprofile` (Chrome DevTools' format, as
 * `node --cpu-prof` writes) per stretch to `dir`, or does nothing when `dir` is
 * undefined. Unlike `--cpu-prof`, which covers the whole process, it can leave
 * out what a benchmark does between measured runs (making the requests it is
 * about to send, in the process that also runs the server).
 */
export async function startCpuProfiler(dir: string | undefined): Promise<CpuProfiler> {
  if (dir === undefined) {
    return { profile: (_name, work) => work(), close: async () => undefined };
  }
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  return {
    async profile(name, work) {
      await session.post('Profiler.start');
      try {
        return await work();
      } finally {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
    },
    async close() {
      await session.post('Profiler.disable');
      session.disconnect();
    },
  };
}
