import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { assertLoopback, httpsRequest } from './https-request.js';
import { summariseLatency, type LatencySummary } from './stats.js';

export interface LoadOptions {
  /** A loopback https:// URL. */
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Keep-alive connections, each with one request in flight (closed loop). Default 16, at most 256. */
  readonly connections?: number;
  /** Measured window in ms. Default 3 000, at most 60 000. */
  readonly durationMs?: number;
  /** Unmeasured load before the window (TLS handshakes, JIT, caches), in ms. Default 0. */
  readonly warmupMs?: number;
  /** No more requests are started after this many. Default 5 000 000. */
  readonly maxRequests?: number;
  /** PEM of the CA that signed the server certificate. */
  readonly ca?: string;
  /** The status a successful answer has; any other counts as an error. Default 200. */
  readonly expectStatus?: number;
}

export interface LoadResult {
  /** Successful answers completed inside the measured window. */
  readonly requests: number;
  /** Failed or unexpected answers completed inside the measured window. */
  readonly errors: number;
  /** Length of the measured window actually observed, in ms. */
  readonly durationMs: number;
  /** `requests` per second of the measured window. */
  readonly rps: number;
  /** Latency of the successful answers in the window, in ms. */
  readonly latency: LatencySummary;
  /** The first error or unexpected status seen, to tell a broken run from a slow one. */
  readonly firstError: string | null;
}

const LIMITS = { connections: 256, durationMs: 60_000, warmupMs: 30_000, maxRequests: 5_000_000 };

/**
 * A closed-loop HTTPS load generator: `connections` keep-alive sockets, each
 * sending its next request as soon as the previous answer has been read. It
 * measures what the server sustains when the client is never the one waiting
 * (open-loop tools would also measure queueing, which is not the question
 * here). Throughput is the answers completed inside the window divided by its
 * length, so requests in flight at either edge neither count nor skew it.
 *
 * @example
 * const r = await runLoad({ url: `${base}/healthz`, ca, connections: 16, durationMs: 3000 });
 * console.log(r.rps, r.latency.p95);
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  assertLoopback(url);
  const connections = clamp(options.connections ?? 16, 1, LIMITS.connections);
  const durationMs = clamp(options.durationMs ?? 3_000, 1, LIMITS.durationMs);
  const warmupMs = clamp(options.warmupMs ?? 0, 0, LIMITS.warmupMs);
  const maxRequests = clamp(options.maxRequests ?? LIMITS.maxRequests, 1, LIMITS.maxRequests);
  const expectStatus = options.expectStatus ?? 200;
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
  });

  const start = performance.now();
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + durationMs;
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  let firstError: string | null = null;
  let lastCompletion = windowStart;

  const loop = async (): Promise<void> => {
    while (started < maxRequests && performance.now() < windowEnd) {
      started++;
      const t0 = performance.now();
      let ok = false;
      try {
        const response = await httpsRequest(url, {
          method: options.method ?? 'GET',
          agent,
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.body !== undefined ? { body: options.body } : {}),
          ...(options.ca ? { ca: options.ca } : {}),
        });
        ok = response.status === expectStatus;
        if (!ok) firstError ??= `HTTP ${response.status}: ${response.body.slice(0, 200)}`;
      } catch (error) {
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      const t1 = performance.now();
      if (t1 < windowStart || t1 > windowEnd) continue;
      lastCompletion = t1;
      if (ok) latencies.push(t1 - t0);
      else errors++;
    }
  };

  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
  }
  // When maxRequests ends the run early, the window is as long as the answers it saw.
  const observedMs =
    started >= maxRequests ? Math.max(lastCompletion - windowStart, 1) : durationMs;
  return {
    requests: latencies.length,
    errors,
    durationMs: observedMs,
    rps: (latencies.length * 1000) / observedMs,
    latency: summariseLatency(latencies),
    firstError,
  };
}

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, Math.floor(value)));
}
