import { useSyncExternalStore } from 'react';
import { isHeldPrivateKey, type HeldPrivateKey } from '@vigil/protect';
import { memberKeyHeld, type MemberKey } from './member-key.js';

/**
 * The member keys this browser holds for the signed-in person, one per care
 * organisation. Each is a NON-EXTRACTABLE WebCrypto key (ADR 0011 §1): kept in
 * IndexedDB so a reload does not ask for the keystore again (structured clone keeps
 * the key unreadable), and keyed by the person's user id, so whoever signs in next at
 * a shared workstation never finds it. Sign-out, being signed out and "Forget key"
 * delete it. Without IndexedDB (node tests) the keys live in memory only.
 */

const DATABASE = 'vigil-member-keys';
const STORE = 'keys';

interface StoredKey {
  readonly owner: string;
  readonly organisationId: string;
  readonly held: HeldPrivateKey;
}

let owner: string | null = null;
let keys: ReadonlyMap<string, MemberKey> = new Map();
const subscribers = new Set<() => void>();

function publish(next: ReadonlyMap<string, MemberKey>): void {
  keys = next;
  for (const notify of subscribers) notify();
}

function subscribe(notify: () => void): () => void {
  subscribers.add(notify);
  return () => {
    subscribers.delete(notify);
  };
}

/** The member key held for an organisation, re-rendering when it is added or forgotten. */
export function useMemberKey(organisationId: string): MemberKey | undefined {
  return useSyncExternalStore(subscribe, () => keys.get(organisationId));
}

/**
 * Says who is signed in, and brings back that person's keys from IndexedDB. Keys of
 * anyone else stored in this browser are never loaded.
 */
export async function setKeyOwner(userId: string): Promise<void> {
  if (owner === userId) return;
  owner = userId;
  publish(new Map());
  const stored = await withStore('readonly', (store) => store.getAll()).catch(() => []);
  if (owner !== userId) return;
  const restored = new Map<string, MemberKey>();
  for (const item of stored as StoredKey[]) {
    if (item?.owner === userId && isHeldPrivateKey(item.held)) {
      restored.set(item.organisationId, memberKeyHeld(item.organisationId, item.held));
    }
  }
  publish(restored);
}

/** Holds a freshly imported key for the signed-in person, and keeps it across reloads. */
export async function holdMemberKey(organisationId: string, held: HeldPrivateKey): Promise<void> {
  publish(new Map(keys).set(organisationId, memberKeyHeld(organisationId, held)));
  if (owner === null) return;
  const record: StoredKey = { owner, organisationId, held };
  await withStore('readwrite', (store) =>
    store.put(record, recordKey(owner ?? '', organisationId)),
  );
}

export async function forgetMemberKey(organisationId: string): Promise<void> {
  const next = new Map(keys);
  next.delete(organisationId);
  publish(next);
  if (owner !== null) {
    const key = recordKey(owner, organisationId);
    await withStore('readwrite', (store) => store.delete(key));
  }
}

/** On sign-out: every key in this browser is deleted, not only the person's own. */
export function forgetAllMemberKeys(): void {
  owner = null;
  if (keys.size > 0) publish(new Map());
  void withStore('readwrite', (store) => store.clear()).catch(() => undefined);
}

function recordKey(userId: string, organisationId: string): string {
  return `${userId}/${organisationId}`;
}

function withStore<T>(
  mode: IDBTransactionMode,
  operation: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T | undefined> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = () => {
      opening.result.createObjectStore(STORE);
    };
    opening.onerror = () => reject(opening.error ?? new Error('IndexedDB could not be opened.'));
    opening.onsuccess = () => {
      const database = opening.result;
      const transaction = database.transaction(STORE, mode);
      const request = operation(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        database.close();
        resolve(request.result);
      };
      transaction.onerror = () => {
        database.close();
        reject(transaction.error ?? new Error('IndexedDB transaction failed.'));
      };
    };
  });
}
