import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { type ErrorCode, isVigilError } from '@vigil/core';
import { x509 } from '../../src/tls/x509-provider.js';

/**
 * A fake secure-element vendor for the attestation tests, shaped like Microchip
 * Trust&GO: root CA (ECDSA P-256) → "signer" CA → device certificates with
 * `CN=sn<18 hex digits>`, and a secure element that signs with the device key
 * and outputs P1363 r || s as an ATECC608 does. Nothing here touches the disk.
 */

export const NOW = new Date('2026-06-01T12:00:00Z');
export const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly pem: string;
  readonly keys: webcrypto.CryptoKeyPair;
}

export interface IssueOptions {
  readonly subject: x509.JsonName;
  /** Self-signed when absent. */
  readonly issuer?: Issued;
  /** basicConstraints cA; 'absent' leaves the extension out. */
  readonly ca: boolean | 'absent';
  readonly pathLength?: number;
  /** x509.KeyUsageFlags; by default keyCertSign|cRLSign for a CA, digitalSignature|keyAgreement otherwise. */
  readonly keyUsage?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** Issues one certificate with a fresh P-256 key, SKI/AKI and a role-fitting keyUsage. */
export async function issue(options: IssueOptions): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const isCa = options.ca === true;
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(
      options.keyUsage ??
        (isCa
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.ca !== 'absent') {
    extensions.push(new x509.BasicConstraintsExtension(options.ca, options.pathLength, true));
  }
  if (!isCa)
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]));
  if (options.issuer) {
    extensions.push(
      await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey),
    );
  }
  const common = {
    notBefore: options.notBefore ?? new Date(NOW.getTime() - YEAR_MS),
    notAfter: options.notAfter ?? new Date(NOW.getTime() + 20 * YEAR_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  };
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: options.subject,
        issuer: options.issuer.cert.subjectName,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: options.subject,
        keys,
      });
  return { cert, keys, pem: `${cert.toString('pem')}\n` };
}

/** A secure element: a device key that signs and never leaves the chip. */
export interface FakeChip {
  readonly leaf: Issued;
  /** Leaf then signer CA, as the agent presents it. */
  readonly chainPem: string;
  /** ECDSA P-256 / SHA-256 over `message`, IEEE P1363 r || s (64 bytes). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface FakeVendor {
  readonly root: Issued;
  readonly signer: Issued;
  /** A genuine chip; `serialHex` goes into `CN=sn…` unless `subject` replaces the whole name. */
  chip(options?: ChipOptions): Promise<FakeChip>;
}

export interface ChipOptions {
  readonly serialHex?: string;
  readonly subject?: x509.JsonName;
  readonly issuer?: Issued;
  readonly ca?: boolean | 'absent';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export const GENUINE_SERIAL = '0123F1A2B3C4D5E601';

/**
 * A vendor with deterministic names: two vendors made with the same `org` have
 * identical subject and issuer names and different keys — the rogue-vendor case.
 */
export async function fakeVendor(
  org = 'Fake Secure Elements Inc',
  rootPathLength?: number,
): Promise<FakeVendor> {
  const root = await issue({
    subject: [{ O: [org] }, { CN: [`${org} Root CA 001`] }],
    ca: true,
    ...(rootPathLength === undefined ? {} : { pathLength: rootPathLength }),
    notAfter: new Date(NOW.getTime() + 30 * YEAR_MS),
  });
  const signer = await issue({
    subject: [{ O: [org] }, { CN: [`${org} Signer 2C00`] }],
    issuer: root,
    ca: true,
    pathLength: 0,
  });
  return {
    root,
    signer,
    chip: async (options = {}) => {
      const issuer = options.issuer ?? signer;
      const leaf = await issue({
        subject: options.subject ?? [
          { O: [org] },
          { CN: [`sn${(options.serialHex ?? GENUINE_SERIAL).toLowerCase()}`] },
        ],
        issuer,
        ca: options.ca ?? false,
        ...(options.notBefore === undefined ? {} : { notBefore: options.notBefore }),
        ...(options.notAfter === undefined ? {} : { notAfter: options.notAfter }),
      });
      return { leaf, chainPem: leaf.pem + issuer.pem, sign: (message) => sign(leaf, message) };
    },
  };
}

async function sign(leaf: Issued, message: Uint8Array): Promise<Uint8Array> {
  const signature = await webcrypto.subtle.sign(SIGNING_ALGORITHM, leaf.keys.privateKey, message);
  return new Uint8Array(signature); // WebCrypto's ECDSA output is already P1363
}

/** DER ECDSA-Sig-Value (RFC 3279 §2.2.3) from P1363 r || s, as mbedTLS or OpenSSL would send it. */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array): number[] => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const body = [...bytes.subarray(start)];
    if ((body[0] ?? 0) & 0x80) body.unshift(0);
    return [0x02, body.length, ...body];
  };
  const content = [...integer(signature.subarray(0, half)), ...integer(signature.subarray(half))];
  return new Uint8Array([0x30, content.length, ...content]);
}

/** The certificate's PEM with one byte of its signature flipped: still parses, no longer verifies. */
export function withBrokenSignature(issued: Issued): string {
  const der = new Uint8Array(issued.cert.rawData.slice(0)); // a copy: rawData backs the parsed cert
  der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
  return `${x509.PemConverter.encode(der.buffer, 'CERTIFICATE')}\n`;
}

/** A fresh P-256 enrolment key's SPKI DER, as the server reads it from the CSR. */
export async function enrolmentKeySpki(): Promise<Uint8Array> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  return new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Asserts that `promise` rejects with a VigilError carrying `code` (tests assert codes, not text). */
export async function assertRefused(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isVigilError(error), `expected a VigilError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}
