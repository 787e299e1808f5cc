import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, isAgentError } from '../errors.js';
import {
  checkRecordName,
  parseStoredIdentity,
  type AgentStorage,
  type StoredIdentity,
} from './agent-storage.js';
import { checkPassphrase, decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { ensurePrivateDirectory, readPrivateFile, writePrivateFile } from './private-file.js';

export interface FileStorageOptions {
  /** The agent's own directory (created with mode 0700 if missing). */
  readonly directory: string;
  /**
   * Encrypts the private key at rest (see key-encryption.ts for the format and
   * why this must be a random machine secret, ≥ 24 characters). Without it the
   * key is stored in clear, protected by file permissions alone.
   */
  readonly passphrase?: string;
}

/** The identity without its key, and which key file goes with it. */
const IDENTITY_FILE = 'identity.json';
const KEY_FILE = /^key-[0-9a-f]{16}\.pem$/;
const FORMAT = 1;

/**
 * Keeps the identity in a directory: `identity.json` (device id, certificate,
 * CA chain, URLs) and one `key-<random>.pem`, each mode 0600 in a 0700
 * directory, and named records (`<name>.record.json`, e.g. telemetry state)
 * beside them. Loading refuses a key file that other users could read
 * (ERR_AGENT_STORAGE_INSECURE), as OpenSSH does for private keys.
 *
 * Save is atomic as a whole: the new key goes to a new file first, then
 * `identity.json` is replaced by rename and names that file. A crash before the
 * rename leaves the old identity complete, after it the new one; the unused
 * key file is deleted on the next save.
 *
 * The portable fallback: on Android or iOS prefer a storage adapter over the
 * platform keystore (Android Keystore, Secure Enclave) or a secure element,
 * where the key cannot be copied off the device at all.
 *
 * @example
 * const storage = new FileStorage({
 *   directory: '/var/lib/gateway/vigil',
 *   passphrase: await keystore.secret('vigil-key'), // optional
 * });
 */
export class FileStorage implements AgentStorage {
  readonly #directory: string;
  readonly #passphrase: string | undefined;

  constructor(options: FileStorageOptions) {
    if (options.passphrase !== undefined) checkPassphrase(options.passphrase);
    this.#directory = options.directory;
    this.#passphrase = options.passphrase;
  }

  async load(): Promise<StoredIdentity | null> {
    const text = await guard(() => readPrivateFile(join(this.#directory, IDENTITY_FILE)));
    if (text === null) return null;
    const record = parseJson(text);
    const keyFile = record['keyFile'];
    if (record['format'] !== FORMAT || typeof keyFile !== 'string' || !KEY_FILE.test(keyFile)) {
      throw corrupt(`${IDENTITY_FILE} has an unknown format or key file name.`);
    }
    const keyPem = await guard(() => readPrivateFile(join(this.#directory, keyFile)));
    if (keyPem === null) throw corrupt(`The key file ${keyFile} is missing.`);
    let keyPkcs8Pem: string;
    try {
      keyPkcs8Pem = decryptPrivateKey(keyPem, this.#passphrase);
    } catch (error) {
      if (isAgentError(error)) throw error;
      throw corrupt(`The key file ${keyFile} is not a private key.`, error);
    }
    return parseStoredIdentity({ ...record, keyPkcs8Pem });
  }

  async save(identity: StoredIdentity): Promise<void> {
    const keyFile = `key-${randomBytes(8).toString('hex')}.pem`;
    const keyPem =
      this.#passphrase === undefined
        ? identity.keyPkcs8Pem
        : encryptPrivateKey(identity.keyPkcs8Pem, this.#passphrase);
    const { keyPkcs8Pem: _key, ...rest } = identity;
    const record = { format: FORMAT, keyFile, ...rest };
    await guard(async () => {
      await ensurePrivateDirectory(this.#directory);
      await writePrivateFile(join(this.#directory, keyFile), keyPem);
      // The commit point: from this rename on, load() sees the new key and certificate.
      await writePrivateFile(
        join(this.#directory, IDENTITY_FILE),
        `${JSON.stringify(record, null, 2)}\n`,
      );
      await this.#removeKeysOtherThan(keyFile);
    });
  }

  /** `<name>.record.json`, mode 0600, written atomically like `identity.json`. */
  async loadRecord(name: string): Promise<string | null> {
    checkRecordName(name);
    return guard(() => readPrivateFile(join(this.#directory, `${name}.record.json`)));
  }

  async saveRecord(name: string, content: string): Promise<void> {
    checkRecordName(name);
    await guard(async () => {
      await ensurePrivateDirectory(this.#directory);
      await writePrivateFile(join(this.#directory, `${name}.record.json`), content);
    });
  }

  /** Old keys are no use once superseded, and a copy left on disk is a copy to steal. */
  async #removeKeysOtherThan(keep: string): Promise<void> {
    for (const name of await readdir(this.#directory)) {
      if (name !== keep && KEY_FILE.test(name)) await rm(join(this.#directory, name));
    }
  }
}

/** I/O failures become ERR_AGENT_STORAGE_FAILED; the agent's own errors pass through. */
async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isAgentError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new AgentError('ERR_AGENT_STORAGE_FAILED', message, { cause: error });
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch (cause) {
    throw corrupt(`${IDENTITY_FILE} is not JSON.`, cause);
  }
  throw corrupt(`${IDENTITY_FILE} is not a JSON object.`);
}

function corrupt(message: string, cause?: unknown): AgentError {
  return new AgentError('ERR_AGENT_STORAGE_CORRUPT', message, { cause });
}
