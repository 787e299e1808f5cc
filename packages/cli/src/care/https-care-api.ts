import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ERROR_CODES, VigilError, type ErrorCode } from '@vigil/core';
import { toPublicJwk, type P256PublicJwk, type PublicEcJwk } from '@vigil/protect';
import type {
  BatchPage,
  BatchQuery,
  BatchRecord,
  CareApi,
  DataKeyRecord,
  MemberKeyRecord,
  PseudonymTableRecord,
  PublishedManifest,
  TeamKeyRecord,
} from './care-api.js';

export interface HttpsCareApiOptions {
  /** The server's base URL, `https://…` (its `--public-url`). */
  readonly server: string;
  /** An API token (`vgl_pat_…`), sent as `Authorization: Bearer`. */
  readonly token: string;
  readonly organisationId: string;
  /** Trust anchor PEM for a private CA (the development CA); else the system's CAs. */
  readonly caPem?: string;
  /** Socket inactivity limit per request, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Largest answer accepted, bytes (default 64 MiB: a page of batches of up to 4 MiB each). */
  readonly maxResponseBytes?: number;
}

/**
 * `CareApi` over HTTPS with an API token (docs/api.md "Automation"). TLS 1.2 or
 * later (RFC 8996), no redirects, bounded time and size. A problem+json answer
 * with a known code becomes that VigilError; anything else unexpected is an
 * Error (exit 70: the environment or the server is not what we expect).
 */
export class HttpsCareApi implements CareApi {
  readonly organisationId: string;
  readonly #base: URL;
  readonly #token: string;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;

  constructor(options: HttpsCareApiOptions) {
    this.#base = new URL(options.server.replace(/\/*$/, '/'));
    if (this.#base.protocol !== 'https:') throw new Error('The server URL must be https://.');
    this.organisationId = options.organisationId;
    this.#token = options.token;
    this.#agent = new Agent({
      keepAlive: true,
      minVersion: 'TLSv1.2',
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
    });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  }

  /** Closes pooled connections; call when the command is done. */
  close(): void {
    this.#agent.destroy();
  }

  async putMyMemberKey(publicJwk: PublicEcJwk): Promise<void> {
    await this.#call('PUT', 'member-keys/me', { publicJwk });
  }

  async listMemberKeys(): Promise<MemberKeyRecord[]> {
    const body = await this.#call('GET', 'member-keys');
    return arrayOf(body, 'members').map((item) => ({
      userId: text(item, 'userId'),
      email: text(item, 'email'),
      displayName: text(item, 'displayName'),
      role: text(item, 'role'),
      kid: text(item, 'kid'),
      publicJwk: toPublicJwk(item['publicJwk']),
    }));
  }

  async getKeyManifest(): Promise<PublishedManifest | null> {
    const body = await this.#call('GET', 'key-manifest', undefined, 'ERR_MANIFEST_NOT_FOUND');
    if (body === null) return null;
    const item = record(body);
    return {
      jws: text(item, 'jws'),
      signingPublicJwk: toPublicJwk(item['signingPublicJwk']),
      signingKeyFingerprint: text(item, 'signingKeyFingerprint'),
      version: integer(item, 'version'),
      epoch: integer(item, 'epoch'),
    };
  }

  async putKeyManifest(jws: string, signingPublicJwk: P256PublicJwk): Promise<void> {
    await this.#call('PUT', 'key-manifest', { jws, signingPublicJwk });
  }

  async putTeamKey(epoch: number, jwe: unknown): Promise<void> {
    await this.#call('PUT', `team-keys/${epoch}`, { jwe });
  }

  async listTeamKeys(): Promise<TeamKeyRecord[]> {
    const body = await this.#call('GET', 'team-keys');
    return arrayOf(body, 'teamKeys').map((item) => ({
      epoch: integer(item, 'epoch'),
      jwe: item['jwe'],
    }));
  }

  async putPseudonymSecret(jwe: unknown): Promise<void> {
    await this.#call('PUT', 'pseudonym-secret', { jwe });
  }

  async getPseudonymSecret(): Promise<unknown> {
    const body = await this.#call('GET', 'pseudonym-secret', undefined, 'ERR_NOT_FOUND');
    return body === null ? null : record(body)['jwe'];
  }

  async listDataKeys(kids: readonly string[]): Promise<DataKeyRecord[]> {
    const found: DataKeyRecord[] = [];
    // The route takes one `kid` at a time (or pages through all with after/limit).
    for (const kid of kids) {
      const query = new URLSearchParams({ kid });
      const body = await this.#call('GET', `data-keys?${query.toString()}`);
      for (const item of arrayOf(body, 'dataKeys')) {
        found.push({
          kid: text(item, 'kid'),
          epoch: integer(item, 'epoch'),
          deviceId: text(item, 'deviceId'),
          jwe: item['jwe'],
        });
      }
    }
    return found;
  }

  async listPseudonymTables(): Promise<PseudonymTableRecord[]> {
    const body = await this.#call('GET', 'pseudonym-tables');
    return arrayOf(body, 'pseudonymTables').map((item) => ({
      deviceId: text(item, 'deviceId'),
      version: integer(item, 'version'),
      jwe: item['jwe'],
    }));
  }

  async listBatches(query: BatchQuery): Promise<BatchPage> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined) continue;
      // The route takes times as ISO 8601 date-times.
      search.set(
        name,
        name === 'from' || name === 'to' ? new Date(value as number).toISOString() : String(value),
      );
    }
    const body = await this.#call('GET', `batches?${search.toString()}`);
    const next = record(body)['next'];
    return {
      batches: arrayOf(body, 'batches').map((item): BatchRecord => ({
        deviceId: text(item, 'deviceId'),
        sequence: integer(item, 'sequence'),
        pseudonym: text(item, 'pseudonym'),
        epoch: integer(item, 'epoch'),
        kid: text(item, 'kid'),
        jwe: text(item, 'jwe'),
        devicePublicJwk:
          item['devicePublicJwk'] === undefined || item['devicePublicJwk'] === null
            ? null
            : toPublicJwk(item['devicePublicJwk']),
      })),
      next: typeof next === 'string' ? next : null,
    };
  }

  /**
   * One request to `/api/v1/organisations/:orgId/<path>`. With `absentCode`, a 404
   * answer with that code (or none) is `null` instead of an error.
   */
  #call(method: 'GET' | 'PUT', path: string, body?: unknown, absentCode?: string) {
    const url = new URL(
      `api/v1/organisations/${encodeURIComponent(this.organisationId)}/${path}`,
      this.#base,
    );
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise<unknown>((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.#agent,
          hostname,
          port: url.port === '' ? 443 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.#token}`,
            'user-agent': 'vigil-cli',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
          },
          // RFC 6066 §3: SNI carries host names only, never literal addresses.
          servername: isIP(hostname) === 0 ? hostname : '',
          timeout: this.#timeoutMs,
        },
        (incoming) => {
          this.#collect(incoming)
            .then((text) => resolve(answerOf(incoming.statusCode ?? 0, text, url, absentCode)))
            .catch(reject);
        },
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new Error(`No answer from ${url.host} within ${this.#timeoutMs} ms.`)),
      );
      outgoing.on('error', (error) =>
        reject(new Error(`Cannot reach ${url.origin}: ${error.message}`, { cause: error })),
      );
      outgoing.end(payload);
    });
  }

  #collect(incoming: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.#maxResponseBytes) {
          incoming.destroy(new Error(`The answer is larger than ${this.#maxResponseBytes} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      incoming.on('error', reject);
    });
  }
}

function answerOf(status: number, body: string, url: URL, absentCode?: string): unknown {
  let parsed: unknown = null;
  if (body !== '') {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new Error(`${url.pathname} answered ${status} with a body that is not JSON.`);
    }
  }
  if (status >= 200 && status < 300) return parsed;
  const problem = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const code = problem['code'];
  if (status === 404 && absentCode !== undefined && (code === undefined || code === absentCode)) {
    return null;
  }
  const detail = typeof problem['detail'] === 'string' ? problem['detail'] : `HTTP ${status}`;
  if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)) {
    throw new VigilError(code as ErrorCode, detail);
  }
  throw new Error(`${url.pathname} answered ${status}: ${detail}`);
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('The server answered with something other than a JSON object.');
  }
  return value as Record<string, unknown>;
}

function arrayOf(value: unknown, name: string): Record<string, unknown>[] {
  const list = record(value)[name];
  if (!Array.isArray(list)) throw new Error(`The server's answer lacks the list "${name}".`);
  return list.map(record);
}

function text(item: Record<string, unknown>, name: string): string {
  const value = item[name];
  if (typeof value !== 'string') throw new Error(`The server's answer lacks the text "${name}".`);
  return value;
}

function integer(item: Record<string, unknown>, name: string): number {
  const value = item[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`The server's answer lacks the whole number "${name}".`);
  }
  return value;
}
