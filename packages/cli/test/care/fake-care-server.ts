// An in-memory stand-in for the operator API of docs/telemetry.md, for the ceremony
// tests: it keeps state like the server (one wrapped team key per epoch, the signing
// key pinned by the first manifest, higher versions only) and checks permissions, but
// never any cryptography beyond what the server itself does (verifying manifests).
import type { webcrypto } from 'node:crypto';
import { VigilError } from '@vigil/core';
import {
  keyIdOf,
  newDataKey,
  protectBatch,
  PseudonymTable,
  pseudonymFor,
  derivePseudonymKey,
  sealTableForStaff,
  verifyManifest,
  vitalSignObservation,
  structureOfBatch,
  type KeyManifestPayload,
  type P256PublicJwk,
  type PublicEcJwk,
} from '@vigil/protect';
import type {
  BatchPage,
  BatchQuery,
  BatchRecord,
  CareApi,
  DataKeyRecord,
  MemberKeyRecord,
  PseudonymTableRecord,
  PublishedManifest,
} from '../../src/care/care-api.js';

export const ORGANISATION_ID = 'care-1';

export interface FakeUser {
  readonly userId: string;
  readonly email: string;
  readonly role: 'admin' | 'clinician';
}

interface StoredBatch extends BatchRecord {
  readonly from: number;
  readonly to: number;
}

export class FakeCareServer {
  readonly memberKeys = new Map<string, MemberKeyRecord>();
  manifest: PublishedManifest | null = null;
  readonly teamKeys = new Map<number, unknown>();
  pseudonymSecret: unknown = null;
  readonly dataKeys = new Map<string, DataKeyRecord>();
  readonly tables = new Map<string, PseudonymTableRecord>();
  readonly batches: StoredBatch[] = [];
  /** Counts of writes, to show that a refused ceremony uploaded nothing. */
  writes = 0;

  client(user: FakeUser): CareApi {
    return new FakeCareClient(this, user);
  }

  /** What a gateway of the organisation would read: the manifest's payload, unverified. */
  manifestPayload(): KeyManifestPayload {
    if (this.manifest === null) throw new Error('no manifest');
    const [, payload = ''] = this.manifest.jws.split('.');
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as KeyManifestPayload;
  }
}

class FakeCareClient implements CareApi {
  readonly organisationId = ORGANISATION_ID;

  constructor(
    private readonly server: FakeCareServer,
    private readonly user: FakeUser,
  ) {}

  #need(permission: 'keys:manage' | 'data:read' | 'either'): void {
    const allowed =
      permission === 'either' ||
      (permission === 'keys:manage' && this.user.role === 'admin') ||
      (permission === 'data:read' && this.user.role === 'clinician');
    if (!allowed)
      throw new VigilError('ERR_AUTH_FORBIDDEN', `${this.user.role} lacks ${permission}`);
  }

  async putMyMemberKey(publicJwk: PublicEcJwk): Promise<void> {
    this.server.writes++;
    this.server.memberKeys.set(this.user.userId, {
      ...this.user,
      displayName: this.user.email,
      kid: await keyIdOf(publicJwk),
      publicJwk,
    });
  }

  async listMemberKeys(): Promise<MemberKeyRecord[]> {
    this.#need('either');
    return [...this.server.memberKeys.values()];
  }

  async getKeyManifest(): Promise<PublishedManifest | null> {
    return this.server.manifest;
  }

  async putKeyManifest(jws: string, signingPublicJwk: P256PublicJwk): Promise<void> {
    this.#need('keys:manage');
    const pinned = this.server.manifest?.signingPublicJwk ?? signingPublicJwk;
    const payload = await verifyManifest(
      jws,
      {
        organisationId: ORGANISATION_ID,
        signingPublicJwk: pinned,
        lastAcceptedVersion: this.server.manifest?.version ?? null,
      },
      new Date(),
    );
    this.server.writes++;
    this.server.manifest = {
      jws,
      signingPublicJwk: pinned,
      signingKeyFingerprint: await keyIdOf(pinned),
      version: payload.version,
      epoch: payload.epoch,
    };
  }

  async putTeamKey(epoch: number, jwe: unknown): Promise<void> {
    this.#need('keys:manage');
    this.server.writes++;
    this.server.teamKeys.set(epoch, structuredClone(jwe));
  }

  async listTeamKeys() {
    this.#need('either');
    return [...this.server.teamKeys].map(([epoch, jwe]) => ({ epoch, jwe: structuredClone(jwe) }));
  }

  async putPseudonymSecret(jwe: unknown): Promise<void> {
    this.#need('keys:manage');
    this.server.writes++;
    this.server.pseudonymSecret = structuredClone(jwe);
  }

  async getPseudonymSecret(): Promise<unknown> {
    this.#need('either');
    return this.server.pseudonymSecret;
  }

  async listDataKeys(kids: readonly string[]): Promise<DataKeyRecord[]> {
    this.#need('either');
    return kids.flatMap((kid) => {
      const found = this.server.dataKeys.get(kid);
      return found === undefined ? [] : [found];
    });
  }

  async listPseudonymTables(): Promise<PseudonymTableRecord[]> {
    this.#need('data:read');
    return [...this.server.tables.values()];
  }

  async listBatches(query: BatchQuery): Promise<BatchPage> {
    this.#need('data:read');
    const matching = this.server.batches.filter(
      (b) =>
        (query.pseudonym === undefined || b.pseudonym === query.pseudonym) &&
        (query.from === undefined || b.to >= query.from) &&
        (query.to === undefined || b.from <= query.to),
    );
    const start = query.after === undefined ? 0 : Number(query.after);
    const limit = query.limit ?? 100;
    const page = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? String(start + limit) : null;
    return { batches: page.map(({ from: _f, to: _t, ...b }) => b), next };
  }
}

/** A gateway of the organisation: encrypts to the manifest's keys as the agent would. */
export class FakeGateway {
  readonly deviceId: string;
  readonly table = new PseudonymTable();
  #sequence = 0;
  #keys: webcrypto.CryptoKeyPair | undefined;

  constructor(
    private readonly server: FakeCareServer,
    private readonly pseudonymSecret: Uint8Array,
    deviceId = '0f8fad5b-d9cb-469f-a165-70867728950e',
  ) {
    this.deviceId = deviceId;
  }

  /** Readings of `patientId` (heart rates), uploaded as one batch under the current epoch. */
  async upload(patientId: string, rates: readonly number[], at: Date): Promise<string> {
    const manifest = this.server.manifestPayload();
    this.#keys ??= await globalThis.crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    );
    const key = await derivePseudonymKey(this.pseudonymSecret, 'telemetry', 1);
    const pseudonym = await pseudonymFor(key, 1, patientId);
    this.table.record(pseudonym, patientId);
    const dataKey = await newDataKey({
      organisationId: ORGANISATION_ID,
      epoch: manifest.epoch,
      teamPublicJwk: manifest.teamPublicJwk,
      recoveryPublicJwk: manifest.recoveryPublicJwk,
    });
    this.server.dataKeys.set(dataKey.kid, {
      kid: dataKey.kid,
      epoch: manifest.epoch,
      deviceId: this.deviceId,
      jwe: dataKey.wrapped,
    });
    this.server.tables.set(this.deviceId, {
      deviceId: this.deviceId,
      version: (this.server.tables.get(this.deviceId)?.version ?? 0) + 1,
      jwe: await sealTableForStaff(this.table, {
        organisationId: ORGANISATION_ID,
        teamPublicJwk: manifest.teamPublicJwk,
        recoveryPublicJwk: manifest.recoveryPublicJwk,
      }),
    });
    const observations = rates.map((value, i) =>
      vitalSignObservation({
        kind: 'heart-rate',
        value,
        effective: new Date(at.getTime() + i * 1000),
        pseudonym,
        deviceId: this.deviceId,
      }),
    );
    const jwe = await protectBatch({
      dataKey,
      signingKey: this.#keys.privateKey,
      organisationId: ORGANISATION_ID,
      deviceId: this.deviceId,
      sequence: ++this.#sequence,
      createdAt: new Date(at.getTime() + rates.length * 1000),
      pseudonym,
      observations,
    });
    const header = structureOfBatch(jwe);
    const exported = await globalThis.crypto.subtle.exportKey('jwk', this.#keys.publicKey);
    this.server.batches.push({
      deviceId: this.deviceId,
      sequence: header.sequence,
      pseudonym,
      epoch: header.epoch,
      kid: header.kid,
      jwe,
      devicePublicJwk: { kty: 'EC', crv: 'P-256', x: exported.x!, y: exported.y! },
      from: Date.parse(header.from),
      to: Date.parse(header.to),
    });
    return pseudonym;
  }
}
