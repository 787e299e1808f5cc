import type { Organisation } from '@vigil/core';
import type { Store, User } from '../../src/store/index.js';

/** A fixed reference time (epoch ms) for store tests; the store never reads a clock. */
export const NOW = Date.UTC(2026, 0, 15, 9, 0, 0);
export const MINUTE = 60_000;

export function manufacturer(
  store: Store,
  name = 'Example Medical Devices',
): Promise<Organisation> {
  return store.createOrganisation({ kind: 'manufacturer', name, manufacturerId: null, now: NOW });
}

export function hospital(
  store: Store,
  manufacturerId: string,
  name = 'St Elsewhere',
): Promise<Organisation> {
  return store.createOrganisation({ kind: 'care', name, manufacturerId, now: NOW });
}

export function person(store: Store, email: string, name = 'Test Person'): Promise<User> {
  return store.createUser({
    email,
    name,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    now: NOW,
  });
}

/** A 64-hex-digit stand-in for a SHA-256 digest, distinct per label. */
export function digest(label: string): string {
  return Buffer.from(label.padEnd(32, '.')).toString('hex').slice(0, 64);
}
