import type { NewDataKey } from '@vigil/protect';
import { AgentError } from '../errors.js';
import type { AgentStorage } from '../storage/agent-storage.js';
import type { GatewayPseudonyms } from './gateway-pseudonyms.js';
import { manifestRecipients, type AcceptedManifest } from './manifest-trust.js';
import {
  EMPTY_STATE,
  TELEMETRY_RECORD,
  parseState,
  pruneDataKeys,
  serialiseState,
  type StaffCopyState,
  type TelemetryState,
} from './telemetry-state.js';

type RecordStorage = Required<Pick<AgentStorage, 'loadRecord' | 'saveRecord'>>;

/**
 * The telemetry record in the agent's storage, and the manifest in force. Every
 * change is a read-modify-write of the whole record, one at a time (so two
 * concurrent changes cannot lose each other), and memory follows only once the
 * record is saved: what the agent acts on is always what a restart would find.
 */
export class TelemetryStore {
  readonly #storage: RecordStorage;
  #state: TelemetryState;
  #accepted: { manifest: AcceptedManifest; recipients: Promise<string> } | undefined;
  #tableDirty = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(storage: RecordStorage, state: TelemetryState) {
    this.#storage = storage;
    this.#state = state;
  }

  /** @throws AgentError ERR_AGENT_INVALID_OPTIONS (a storage without records), ERR_AGENT_STORAGE_CORRUPT. */
  static async open(storage: AgentStorage): Promise<TelemetryStore> {
    const loadRecord = storage.loadRecord?.bind(storage);
    const saveRecord = storage.saveRecord?.bind(storage);
    if (loadRecord === undefined || saveRecord === undefined) {
      throw new AgentError(
        'ERR_AGENT_INVALID_OPTIONS',
        'Telemetry needs an AgentStorage with loadRecord and saveRecord.',
      );
    }
    const records: RecordStorage = { loadRecord, saveRecord };
    const text = await records.loadRecord(TELEMETRY_RECORD);
    return new TelemetryStore(records, text === null ? EMPTY_STATE : parseState(text));
  }

  get state(): TelemetryState {
    return this.#state;
  }

  /** The manifest in force, undefined before the first. */
  get accepted(): AcceptedManifest | undefined {
    return this.#accepted?.manifest;
  }

  /** The in-force manifest's epoch and key ids (see `manifestRecipients`). */
  recipientsOfAccepted(): Promise<string> {
    if (this.#accepted === undefined) return Promise.reject(noManifest());
    return this.#accepted.recipients;
  }

  /** A patient was added and the sealed table is not on disk yet. */
  get tableDirty(): boolean {
    return this.#tableDirty;
  }

  /** Puts a manifest in force without writing (it was read from this record). */
  accept(manifest: AcceptedManifest): void {
    this.#accepted = { manifest, recipients: manifestRecipients(manifest.manifest) };
  }

  /** Stores the pins and the manifest, then puts it in force. */
  saveManifest(manifest: AcceptedManifest): Promise<void> {
    return this.#change(
      (state) => ({ ...state, pins: manifest.pins, manifestJws: manifest.jws }),
      () => this.accept(manifest),
    );
  }

  /** Seals the table as it is when its turn comes, and stores it. */
  saveTable(pseudonyms: GatewayPseudonyms): Promise<void> {
    this.#tableDirty = true;
    const organisationId = this.accepted?.pins.organisationId;
    if (organisationId === undefined) return Promise.reject(noManifest());
    return this.#change(
      async (state) => ({
        ...state,
        pseudonymTable: await pseudonyms.sealForGateway(organisationId),
      }),
      () => {
        this.#tableDirty = false;
      },
    );
  }

  /** Stores a new data key, wrapped, as not yet uploaded. */
  addDataKey(made: NewDataKey): Promise<void> {
    const entry = { kid: made.kid, epoch: made.epoch, jwe: made.wrapped, uploaded: false };
    return this.#change((state) => ({
      ...state,
      dataKeys: pruneDataKeys([...state.dataKeys, entry]),
    }));
  }

  markDataKeyUploaded(kid: string, uploaded: boolean): Promise<void> {
    return this.#change((state) => ({
      ...state,
      dataKeys: pruneDataKeys(state.dataKeys.map((k) => (k.kid === kid ? { ...k, uploaded } : k))),
    }));
  }

  saveStaffCopy(staffCopy: StaffCopyState): Promise<void> {
    return this.#change((state) => ({ ...state, staffCopy }));
  }

  /** Resolves when every change asked for so far has been written (or has failed). */
  async settle(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  #change(
    next: (state: TelemetryState) => TelemetryState | Promise<TelemetryState>,
    after: () => void = () => undefined,
  ): Promise<void> {
    const run = async () => {
      const state = await next(this.#state);
      await this.#storage.saveRecord(TELEMETRY_RECORD, serialiseState(state));
      this.#state = state;
      after();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function noManifest(): AgentError {
  return new AgentError('ERR_AGENT_PROTOCOL', 'No key manifest is in force.');
}
