import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts the few secrets the server must be able to read back (TOTP seeds)
 * before they reach the database, so a copy of the database alone does not
 * let anyone mint one-time codes. AES-256-GCM with a random 96-bit IV; the
 * purpose and record id are bound as additional data so a sealed value cannot
 * be moved to another row.
 *
 * The key is generated on first start in `<dataDir>/keys/secrets.key`
 * (mode 0600) — it is never a default and never leaves the data directory
 * except inside a backup.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

const VERSION = 'v1';

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new RangeError('The secrets key must be 32 bytes.');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        VERSION,
        iv.toString('base64url'),
        body.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    open(sealed, context) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== VERSION || !iv || body === undefined || !tag) {
        throw new Error('Unrecognised sealed secret.');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** Loads `<dataDir>/keys/secrets.key`, generating it on first use. */
export function loadOrCreateSecretsKey(dataDir: string): Buffer {
  const dir = join(dataDir, 'keys');
  const path = join(dir, 'secrets.key');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new RangeError(`${path} does not hold a 32-byte key.`);
  return key;
}
