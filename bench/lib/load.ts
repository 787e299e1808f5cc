import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { assertLoopback, httpsRequest, type HttpsRequestOptions } from './https-request.js';
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
  /** Client certificate and key (PEM) every connection presents: mutual TLS, e.g. a device's. */
  readonly cert?: string;
  readonly key?: string;
  /**
   * Client identities per connection instead of `cert`/`key`: connection i presents
   * `clients[i % length]` (e.g. one device per connection, as gateways each upload over
   * their own). With `bodies`, connection i's bodies are then that device's, in order.
   */
  readonly clients?: readonly ClientIdentity[];
  /**
   * Source addresses (`127.0.0.N`): connection i binds `localAddresses[i % length]`, to stay
   * under a per-address rate limit honestly. Default: whatever the system picks.
   */
  readonly localAddresses?: readonly string[];
  /**
   * Distinct request bodies, each sent once (e.g. CSRs, which cannot be replayed): connection
   * i sends bodies i, i + connections, i + 2 × connections, …, so each connection (and its
   * source address) sends a known number. The run ends with the last answer; `body` and
   * `maxRequests` are ignored. Bodies sent during a warm-up are not measured, so runs with
   * bodies normally use `primePath` and no warm-up.
   */
  readonly bodies?: readonly string[];
  /**
   * A path every connection GETs once before the clock starts, so its TLS handshake is not
   * measured; it must answer 2xx. Default: none.
   */
  readonly primePath?: string;
  /** The status a successful answer has; any other counts as an error. Default 200. */
  readonly expectStatus?: number;
}

/** A client certificate and its private key, PEM. */
export interface ClientIdentity {
  readonly cert: string;
  readonly key: string;
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
  /**
   * CPU time (user + system) the load generator's process used from the start of the run
   * (after priming) to its end, ms: what sending cost the client, whatever else ran.
   */
  readonly clientCpuMs: number;
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
  if (options.bodies?.length === 0) {
    throw new RangeError('bodies, when given, must not be empty.');
  }
  // Encoded once, before the clock: a gateway's uploader sends bytes it already holds, and
  // encoding 130 kB per request here would take CPU from the server on a shared machine.
  const bodies = options.bodies?.map((body) => Buffer.from(body, 'utf8'));
  const singleBody = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
  const maxRequests = bodies
    ? Math.min(bodies.length, LIMITS.maxRequests)
    : clamp(options.maxRequests ?? LIMITS.maxRequests, 1, LIMITS.maxRequests);
  const expectStatus = options.expectStatus ?? 200;
  const addresses = options.localAddresses ?? [];
  for (const address of addresses) {
    if (!/^127\.\d+\.\d+\.\d+$/.test(address)) {
      throw new RangeError(`Source addresses must be loopback (127.0.0.0/8), not ${address}.`);
    }
  }
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
  });
  const clients = options.clients ?? [];
  /** What every request of connection `i` shares: agent, trust, client certificate, source. */
  const connectionOptions = (i: number): HttpsRequestOptions => {
    const localAddress = addresses[i % Math.max(addresses.length, 1)];
    const client =
      clients[i % Math.max(clients.length, 1)] ??
      (options.cert !== undefined && options.key !== undefined
        ? { cert: options.cert, key: options.key }
        : undefined);
    return {
      agent,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(client ? { cert: client.cert, key: client.key } : {}),
      ...(localAddress ? { localAddress } : {}),
    };
  };

  try {
    if (options.primePath !== undefined) {
      const primeUrl = new URL(options.primePath, url);
      await Promise.all(
        Array.from({ length: connections }, async (_, i) => {
          const r = await httpsRequest(primeUrl, connectionOptions(i));
          if (r.status < 200 || r.status > 299) {
            throw new Error(`Priming ${primeUrl.pathname} answered HTTP ${r.status}.`);
          }
        }),
      );
    }

    const cpuAtStart = process.cpuUsage();
    const start = performance.now();
    const windowStart = start + warmupMs;
    const windowEnd = windowStart + durationMs;
    const latencies: number[] = [];
    let started = 0;
    let errors = 0;
    let firstError: string | null = null;
    let lastCompletion = windowStart;

    const loop = async (connection: number): Promise<void> => {
      const shared = connectionOptions(connection);
      let sent = 0;
      while (started < maxRequests && performance.now() < windowEnd) {
        let body = singleBody;
        if (bodies) {
          const index = connection + sent * connections;
          if (index >= bodies.length) break;
          body = bodies[index];
        }
        sent++;
        started++;
        const t0 = performance.now();
        let ok = false;
        try {
          const response = await httpsRequest(url, {
            ...shared,
            method: options.method ?? 'GET',
            ...(options.headers ? { headers: options.headers } : {}),
            ...(body !== undefined ? { body } : {}),
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

    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
    const cpu = process.cpuUsage(cpuAtStart);
    // When maxRequests (or the last body) ends the run early, the window is as long as the answers it saw.
    const observedMs =
      started >= maxRequests ? Math.max(lastCompletion - windowStart, 1) : durationMs;
    return {
      requests: latencies.length,
      errors,
      durationMs: observedMs,
      rps: (latencies.length * 1000) / observedMs,
      latency: summariseLatency(latencies),
      firstError,
      clientCpuMs: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    agent.destroy();
  }
}

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return min;
  return Math.min(max, Math.max(min, Math.floor(value)));
}
