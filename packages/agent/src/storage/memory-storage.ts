import { checkRecordName, type AgentStorage, type StoredIdentity } from './agent-storage.js';

/**
 * Keeps the identity in this process only: for tests, simulations and gateways
 * whose platform persists state by other means. Copies on the way in and out,
 * so nothing outside can change what is stored.
 *
 * @example
 * const storage = new MemoryStorage();
 * const agent = await VigilAgent.enrol({ ...options, storage });
 * const again = await VigilAgent.load({ storage });
 */
export class MemoryStorage implements AgentStorage {
  #identity: StoredIdentity | null;
  #saves = 0;
  readonly #records = new Map<string, string>();

  constructor(initial: StoredIdentity | null = null) {
    this.#identity = initial === null ? null : structuredClone(initial);
  }

  async load(): Promise<StoredIdentity | null> {
    return this.#identity === null ? null : structuredClone(this.#identity);
  }

  async save(identity: StoredIdentity): Promise<void> {
    this.#identity = structuredClone(identity);
    this.#saves += 1;
  }

  async loadRecord(name: string): Promise<string | null> {
    checkRecordName(name);
    return this.#records.get(name) ?? null;
  }

  async saveRecord(name: string, content: string): Promise<void> {
    checkRecordName(name);
    this.#records.set(name, content);
  }

  /** How many times `save` succeeded (tests: "renewal saved exactly once"). */
  get saveCount(): number {
    return this.#saves;
  }
}
