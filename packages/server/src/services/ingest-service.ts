import { createHash, randomUUID } from 'node:crypto';
import { VigilError, type Clock } from '@vigil/core';
import {
  DATA_KEY_JWE_TYPE,
  PSEUDONYM_TABLE_JWE_TYPE,
  structureOfBatch,
  type BatchStructure,
} from '@vigil/protect';
import { GroupCommit } from '../telemetry/group-commit.js';
import { readSealedHeader } from '../telemetry/sealed-header.js';
import type { Store } from '../store/store.js';
import type { BatchRow, KeyManifestRow, SealedUpload } from '../store/telemetry-store.js';
import type { AuditLog } from './audit-log.js';
import type { DevicePrincipal } from './device-service.js';
import type { RequestContext } from './request-context.js';

/** The largest batch accepted, in bytes: @vigil/protect's own cap on a compact JWE (4 MiB). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Data keys whose organisation and epoch are remembered, so ingest does not look them up again. */
const DATA_KEY_CACHE_SIZE = 10_000;

export type IngestStatus = 'stored' | 'duplicate';
export type QueueAlarmKind = 'queue-warning' | 'queue-critical';

export interface IngestServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * The device side of protected telemetry (docs/telemetry.md, device
 * listener): a gateway fetches its care organisation's signed key manifest,
 * uploads its wrapped data keys and the staff copy of its pseudonym table,
 * and posts batches. The server reads only the batch header
 * (`structureOfBatch`), checks it names the calling device and its care
 * organisation and an uploaded data key, and stores the ciphertext as it came.
 *
 * Ingest is one `INSERT … ON CONFLICT DO NOTHING`, committed together with
 * the batches of other gateways that arrived meanwhile (`GroupCommit`: one
 * disk flush for many batches); the stored digest is read only when (device,
 * sequence) was taken, to tell a retry (`duplicate`) from different bytes
 * under a used sequence (`ERR_BATCH_CONFLICT`).
 */
export class IngestService {
  /** kid → what the batch header must agree with. Data keys never change once stored. */
  readonly #dataKeys = new Map<string, { organisationId: string; epoch: number }>();
  readonly #batches: GroupCommit<BatchRow, boolean>;
  /** Batch requests announced by `expectBatch` that have not reached the database yet. */
  #arriving = 0;

  constructor(private readonly deps: IngestServiceDeps) {
    this.#batches = new GroupCommit((rows) => deps.store.insertBatches(rows), {
      pending: () => this.#arriving,
    });
  }

  /**
   * Announces a batch request whose body is still arriving, so the commit in
   * progress waits for it (group commit). Call the returned function when the
   * request is answered; `ingest` calls it as soon as the batch is submitted.
   */
  expectBatch(): () => void {
    this.#arriving++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.#arriving--;
      this.#batches.nudge();
    };
  }

  /** The latest manifest of the device's care organisation. */
  async keyManifest(device: DevicePrincipal): Promise<KeyManifestRow> {
    const organisationId = careOrganisationOf(device);
    const manifest = await this.deps.store.getLatestKeyManifest(organisationId);
    if (!manifest) {
      throw new VigilError(
        'ERR_MANIFEST_NOT_FOUND',
        'Your care organisation has not published a key manifest yet.',
      );
    }
    return manifest;
  }

  /** Stores a data key the gateway wrapped to its care team's epoch and the recovery key. */
  async putDataKey(
    device: DevicePrincipal,
    kid: string,
    jwe: SealedUpload,
    context: RequestContext,
  ): Promise<IngestStatus> {
    const organisationId = careOrganisationOf(device);
    const { header, epoch } = readSealedHeader(jwe.protected ?? '', {
      typ: DATA_KEY_JWE_TYPE,
      organisationId,
      epoch: 'required',
    });
    if (header['dataKid'] !== kid) {
      throw new VigilError(
        'ERR_PROTECT_KEY_MISMATCH',
        'The wrapped key names another kid (dataKid) than the path.',
      );
    }
    const text = JSON.stringify(jwe);
    const sha256 = sha256Hex(text);
    const { store, clock, audit } = this.deps;
    const row = {
      kid,
      organisationId,
      epoch: epoch ?? 0,
      deviceId: device.deviceId,
      jwe,
      sha256,
      createdAt: clock.now(),
    };
    const stored = await store.transaction(async (tx) => {
      if (!(await tx.insertDataKey(row))) return false;
      await audit.record(
        {
          type: 'telemetry.data-key.stored',
          organisationId,
          actor: { kind: 'system' },
          target: { kind: 'data-key', id: kid },
          details: { deviceId: device.deviceId, epoch: row.epoch },
        },
        context,
        tx,
      );
      return true;
    });
    if (!stored) {
      const existing = await store.getDataKey(kid);
      if (existing?.sha256 !== sha256 || existing.organisationId !== organisationId) {
        throw new VigilError(
          'ERR_DATA_KEY_CONFLICT',
          'Another wrapped key is stored under this kid; make a new data key.',
        );
      }
    }
    this.#remember(kid, { organisationId, epoch: row.epoch });
    return stored ? 'stored' : 'duplicate';
  }

  /** Replaces the device's staff copy of its pseudonym table; returns its version. */
  async putPseudonymTable(device: DevicePrincipal, jwe: SealedUpload): Promise<number> {
    const organisationId = careOrganisationOf(device);
    readSealedHeader(jwe.protected ?? '', {
      typ: PSEUDONYM_TABLE_JWE_TYPE,
      organisationId,
      epoch: 'absent',
    });
    return this.deps.store.putPseudonymTable({
      deviceId: device.deviceId,
      organisationId,
      jwe,
      updatedAt: this.deps.clock.now(),
    });
  }

  /**
   * Stores one protected batch (ADR 0010 §4).
   *
   * @throws VigilError ERR_DEVICE_QUARANTINED, ERR_DEVICE_NOT_ASSIGNED,
   *   ERR_BATCH_MALFORMED, ERR_PROTECT_ALGORITHM_REFUSED, ERR_BATCH_BINDING,
   *   ERR_DATA_KEY_UNKNOWN, ERR_BATCH_CONFLICT
   */
  async ingest(
    device: DevicePrincipal,
    jwe: string,
    context: RequestContext,
    arrived: () => void = () => undefined,
  ): Promise<{ status: IngestStatus; sequence: number }> {
    try {
      return await this.#ingest(device, jwe, context, arrived);
    } finally {
      arrived();
    }
  }

  async #ingest(
    device: DevicePrincipal,
    jwe: string,
    context: RequestContext,
    arrived: () => void,
  ): Promise<{ status: IngestStatus; sequence: number }> {
    const organisationId = careOrganisationOf(device);
    const batch = structureOfBatch(jwe, { maxLength: MAX_BATCH_BYTES });
    // The header's claims are not authenticated until a key holder opens the batch, but the
    // device is: it may only ever write its own readings, to its own care organisation.
    if (batch.organisationId !== organisationId || batch.deviceId !== device.deviceId) {
      await this.#refused(device, batch, 'binding', context);
      throw new VigilError(
        'ERR_BATCH_BINDING',
        'The batch header must name this device and its care organisation.',
      );
    }
    const key = await this.#dataKey(batch.kid);
    if (key?.organisationId !== organisationId) {
      throw new VigilError(
        'ERR_DATA_KEY_UNKNOWN',
        'Upload the wrapped data key (PUT /device/v1/data-keys/:kid) before its batches.',
        { details: { kid: batch.kid } },
      );
    }
    if (key.epoch !== batch.epoch) {
      await this.#refused(device, batch, 'epoch', context);
      throw new VigilError(
        'ERR_BATCH_BINDING',
        `The batch header names epoch ${batch.epoch}; its data key belongs to epoch ${key.epoch}.`,
      );
    }
    const sha256 = batchDigest(jwe);
    const row: BatchRow = {
      id: randomUUID(),
      organisationId,
      deviceId: device.deviceId,
      sequence: batch.sequence,
      pseudonym: batch.pseudonym,
      epoch: batch.epoch,
      kid: batch.kid,
      fromAt: Date.parse(batch.from),
      toAt: Date.parse(batch.to),
      createdAt: Date.parse(batch.createdAt),
      receivedAt: this.deps.clock.now(),
      // A compact JWE is base64url and dots: one byte per character.
      size: jwe.length,
      sha256,
      jwe,
      devicePublicJwk: device.publicJwk,
    };
    const { store, audit } = this.deps;
    // Twice at most: a batch the retention sweep deleted between the two statements is stored again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = this.#batches.submit(row);
      arrived();
      if (await stored) return { status: 'stored', sequence: batch.sequence };
      const existing = await store.getBatchDigest(device.deviceId, batch.sequence);
      if (existing === sha256) return { status: 'duplicate', sequence: batch.sequence };
      if (existing !== undefined) break;
    }
    await audit.record(
      {
        type: 'telemetry.batch.conflict',
        outcome: 'failure',
        organisationId: device.organisationId,
        actor: { kind: 'system' },
        target: { kind: 'device', id: device.deviceId },
        details: { sequence: batch.sequence, careOrganisationId: organisationId, sha256 },
      },
      context,
    );
    throw new VigilError(
      'ERR_BATCH_CONFLICT',
      `Another batch is stored under sequence ${batch.sequence}; sequences are never reused.`,
      { details: { sequence: batch.sequence } },
    );
  }

  /** A gateway's outbox passed a level: recorded for its manufacturer's operators. */
  async alarm(
    device: DevicePrincipal,
    alarm: { kind: QueueAlarmKind; count: number; bytes: number },
    context: RequestContext,
  ): Promise<void> {
    assertNotQuarantined(device);
    await this.deps.audit.record(
      {
        type: 'device.queue.alarm',
        outcome: alarm.kind === 'queue-critical' ? 'failure' : 'success',
        organisationId: device.organisationId,
        actor: { kind: 'system' },
        target: { kind: 'device', id: device.deviceId },
        details: { ...alarm, careOrganisationId: device.careOrganisationId },
      },
      context,
    );
  }

  async #dataKey(kid: string): Promise<{ organisationId: string; epoch: number } | undefined> {
    const cached = this.#dataKeys.get(kid);
    if (cached) return cached;
    const row = await this.deps.store.getDataKey(kid);
    if (!row) return undefined;
    const key = { organisationId: row.organisationId, epoch: row.epoch };
    this.#remember(kid, key);
    return key;
  }

  #remember(kid: string, key: { organisationId: string; epoch: number }): void {
    if (this.#dataKeys.size >= DATA_KEY_CACHE_SIZE && !this.#dataKeys.has(kid)) {
      this.#dataKeys.delete(this.#dataKeys.keys().next().value as string);
    }
    this.#dataKeys.set(kid, key);
  }

  async #refused(
    device: DevicePrincipal,
    batch: BatchStructure,
    reason: 'binding' | 'epoch',
    context: RequestContext,
  ): Promise<void> {
    await this.deps.audit.record(
      {
        type: 'telemetry.batch.refused',
        outcome: 'failure',
        organisationId: device.organisationId,
        actor: { kind: 'system' },
        target: { kind: 'device', id: device.deviceId },
        details: {
          reason,
          sequence: batch.sequence,
          claimedDeviceId: batch.deviceId,
          claimedOrganisationId: batch.organisationId,
          careOrganisationId: device.careOrganisationId,
        },
      },
      context,
    );
  }
}

/** Quarantined devices may only check in and fetch updates (docs/devices.md). */
function assertNotQuarantined(device: DevicePrincipal): void {
  if (device.status === 'quarantined') {
    throw new VigilError('ERR_DEVICE_QUARANTINED', 'This device is quarantined.');
  }
}

function careOrganisationOf(device: DevicePrincipal): string {
  assertNotQuarantined(device);
  if (device.careOrganisationId === null) {
    throw new VigilError(
      'ERR_DEVICE_NOT_ASSIGNED',
      'This device reports to no care organisation; enrol it with a token that names one.',
    );
  }
  return device.careOrganisationId;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The digest of a batch that passed structureOfBatch, the same as `sha256Hex`
 * gives: the batch is ASCII only, so its Latin-1 bytes are its UTF-8 bytes, and
 * Latin-1 is a plain copy for Node.js to make.
 */
function batchDigest(jwe: string): string {
  return createHash('sha256').update(jwe, 'latin1').digest('hex');
}
