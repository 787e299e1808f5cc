import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ErrorCode, isVigilError } from '@vigil/core';
import { createTempDir } from '@vigil/testkit';
import { type CaMaterial, createIssuingCa, createRootCa } from '../../src/pki/index.js';

/**
 * Helpers for the device PKI tests. OpenSSL is the independent judge: every
 * certificate, CSR, CRL and PKCS#7 made here is read back by the `openssl`
 * binary, spawned without a shell, with files in a temporary directory that
 * the test removes.
 */

export const OPENSSL = '/usr/bin/openssl';

export interface Run {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export function runOpenssl(args: readonly string[], input?: string | Uint8Array): Run {
  const result = spawnSync(OPENSSL, args, { input, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

/** Runs openssl, fails the test on a non-zero exit, returns stdout and stderr as text. */
export function openssl(args: readonly string[], input?: string | Uint8Array): string {
  const run = runOpenssl(args, input);
  assert.equal(run.status, 0, `openssl ${args.join(' ')} failed:\n${run.stderr}`);
  return `${run.stdout.toString('utf8')}${run.stderr}`;
}

/** A scratch directory: `file()` writes into it and returns the path. */
export interface WorkDir {
  readonly path: string;
  file(name: string, contents: string | Uint8Array): string;
  remove(): Promise<void>;
}

export async function workDir(): Promise<WorkDir> {
  const dir = await createTempDir('vigil-pki-');
  return {
    path: dir.path,
    file(name, contents) {
      const path = join(dir.path, name);
      writeFileSync(path, contents, { mode: 0o600 });
      return path;
    },
    remove: () => dir.remove(),
  };
}

export const ORGANISATION = {
  organisationName: 'Acme Medical',
  organisationId: '0b7c6f0e-1111-4222-8333-444455556666',
} as const;

export interface DeviceCa {
  readonly root: CaMaterial;
  readonly issuing: CaMaterial;
}

export async function deviceCa(now: Date, organisation = ORGANISATION): Promise<DeviceCa> {
  const root = await createRootCa({ ...organisation, now });
  const issuing = await createIssuingCa(root, { ...organisation, now });
  return { root, issuing };
}

export type CsrKey = 'P-256' | 'P-384' | 'secp256k1' | 'ed25519' | 'rsa:2048' | 'rsa:1024';

const NEW_KEY: Readonly<Record<CsrKey, readonly string[]>> = {
  'P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'P-384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  secp256k1: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  ed25519: ['-newkey', 'ed25519'],
  'rsa:2048': ['-newkey', 'rsa:2048'],
  'rsa:1024': ['-newkey', 'rsa:1024'],
};

export interface OpensslCsr {
  readonly der: Buffer;
  readonly pem: string;
  /** What `openssl req … -outform DER | base64` prints: 76-character lines, LF. */
  readonly base64: string;
  readonly keyPem: string;
}

/**
 * A CSR made by `openssl req -new`, with a new key of type `key` or the
 * existing key in `keyFile`. `extra` goes to `openssl req` as is (e.g. `-sha1`).
 */
export function opensslCsr(
  dir: WorkDir,
  options: { key?: CsrKey; keyFile?: string; subject?: string; extra?: readonly string[] },
): OpensslCsr {
  const keyOut = join(dir.path, `key-${Math.random().toString(36).slice(2)}.pem`);
  const keyArgs =
    options.keyFile === undefined
      ? [...NEW_KEY[options.key ?? 'P-256'], '-nodes', '-keyout', keyOut]
      : ['-key', options.keyFile];
  const subject = options.subject ?? '/serialNumber=SN-0001/CN=gw';
  const run = runOpenssl([
    'req',
    '-new',
    ...keyArgs,
    '-subj',
    subject,
    '-outform',
    'DER',
    ...(options.extra ?? []),
  ]);
  assert.equal(run.status, 0, run.stderr);
  const der = run.stdout;
  const pem = openssl(['req', '-inform', 'DER', '-outform', 'PEM'], der);
  const base64 = spawnSync('/usr/bin/base64', { input: der }).stdout.toString('ascii');
  const keyPem = readFileSync(options.keyFile ?? keyOut, 'utf8');
  return { der, pem, base64, keyPem };
}

/** SubjectPublicKeyInfo DER of a CSR, as OpenSSL extracts it. */
export function opensslCsrSpki(csrDer: Uint8Array): Buffer {
  const pem = openssl(['req', '-inform', 'DER', '-pubkey', '-noout'], csrDer);
  return runOpenssl(['pkey', '-pubin', '-outform', 'DER'], pem).stdout;
}

/** A predicate for `assert.rejects` / `assert.throws`: a VigilError with `code`. */
export function withCode(code: ErrorCode): (error: unknown) => boolean {
  return (error) => {
    assert.ok(isVigilError(error), `expected a VigilError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

export const DAY_MS = 86_400_000;
export const SKEW_MS = 5 * 60_000;

/** Certificates carry whole seconds. */
export function toSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
