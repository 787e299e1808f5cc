import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CrlInput,
  type IssuedCertificate,
  createCrl,
  createIssuingCa,
  createRootCa,
  issueDeviceCertificate,
  parseCsr,
} from '../../src/pki/index.js';
import {
  DAY_MS,
  type DeviceCa,
  ORGANISATION,
  type WorkDir,
  deviceCa,
  openssl,
  opensslCsr,
  runOpenssl,
  withCode,
  workDir,
} from './pki-kit.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + DAY_MS);

let dir: WorkDir;
let ca: DeviceCa;
let revoked: IssuedCertificate;
let kept: IssuedCertificate;
before(async () => {
  dir = await workDir();
  ca = await deviceCa(NOW);
  const issue = async (deviceId: string): Promise<IssuedCertificate> =>
    issueDeviceCertificate(ca.issuing, await parseCsr(opensslCsr(dir, {}).der), {
      deviceId,
      organisationId: ORGANISATION.organisationId,
      validityDays: 90,
      now: NOW,
    });
  revoked = await issue('11111111-2222-4333-8444-555555555555');
  kept = await issue('66666666-7777-4888-9999-000000000000');
});
after(() => dir.remove());

describe('when a device is revoked and the issuing CA publishes its CRL', () => {
  let crl: { der: Uint8Array; pem: string };
  before(async () => {
    crl = await createCrl(ca.issuing, {
      revoked: [
        { serialNumber: revoked.serialNumber, revokedAt: NOW, reason: 'keyCompromise' },
        { serialNumber: '0a', revokedAt: NOW },
      ],
      thisUpdate: NOW,
      nextUpdate: LATER,
      crlNumber: 7,
    });
  });

  it('verifies with `openssl crl -CAfile <issuing+root>`', () => {
    const chain = dir.file('chain.pem', `${ca.issuing.certPem}${ca.root.certPem}`);
    const output = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('crl.der', crl.der),
      '-CAfile',
      chain,
      '-noout',
    ]);
    assert.match(output, /verify OK/);
  });

  it('lists the revoked serials in the hex of IssuedCertificate.serialNumber, with reason, number and AKI', () => {
    const text = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('crl.der', crl.der),
      '-noout',
      '-text',
    ]);
    const serials = [...text.matchAll(/Serial Number: ([0-9A-Fa-f]+)/g)].map((m) =>
      m[1]?.toLowerCase(),
    );
    assert.deepEqual(serials, [revoked.serialNumber, '0a']);
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /CRL Number: *\n\s+7\n/);
    assert.match(text, /CRL Reason Code: *\n\s+Key Compromise/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const issuingText = openssl([
      'x509',
      '-in',
      dir.file('issuing.pem', ca.issuing.certPem),
      '-noout',
      '-text',
    ]);
    const ski = /Subject Key Identifier: *\n\s+([0-9A-F:]+)/.exec(issuingText)?.[1];
    assert.match(text, new RegExp(`Authority Key Identifier: *\\n\\s+(keyid:)?${ski}`));
  });

  it('makes `openssl verify -crl_check` refuse the revoked device and accept the other', () => {
    const args = (device: IssuedCertificate): string[] => [
      'verify',
      '-crl_check',
      '-attime',
      String(NOW.getTime() / 1000 + 3600),
      '-CAfile',
      dir.file('root.pem', ca.root.certPem),
      '-untrusted',
      dir.file('issuing.pem', ca.issuing.certPem),
      '-CRLfile',
      dir.file('crl.pem', crl.pem),
      dir.file('device.pem', device.certPem),
    ];
    const refused = runOpenssl(args(revoked));
    assert.notEqual(refused.status, 0);
    assert.match(`${refused.stdout.toString()}${refused.stderr}`, /certificate revoked/);
    assert.match(openssl(args(kept)), /: OK/);
  });

  it('is also given as PEM', () => {
    assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/);
    assert.match(
      openssl(['crl', '-in', dir.file('crl.pem', crl.pem), '-noout', '-crlnumber']),
      /crlNumber=0x07/,
    );
  });
});

describe('when nothing is revoked', () => {
  it('leaves the revoked list out (RFC 5280 §5.1.2.6)', async () => {
    const crl = await createCrl(ca.issuing, {
      revoked: [],
      thisUpdate: NOW,
      nextUpdate: LATER,
      crlNumber: 0,
    });
    const text = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('crl.der', crl.der),
      '-noout',
      '-text',
    ]);
    assert.match(text, /No Revoked Certificates\./);
  });
});

describe('when serials are given as openssl prints them', () => {
  it('accepts upper case and colons, and writes the same INTEGER', async () => {
    const colons = revoked.serialNumber.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    const crl = await createCrl(ca.issuing, {
      revoked: [{ serialNumber: colons, revokedAt: NOW }],
      thisUpdate: NOW,
      nextUpdate: LATER,
      crlNumber: 1,
    });
    const text = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      dir.file('crl.der', crl.der),
      '-noout',
      '-text',
    ]);
    assert.match(text, new RegExp(`Serial Number: ${revoked.serialNumber}`, 'i'));
  });
});

describe('when the CRL reaches past 2049', () => {
  it('writes GeneralizedTime, as RFC 5280 §5.1.2.4 requires', async () => {
    const now = new Date('2049-06-01T00:00:00.000Z');
    const root = await createRootCa({ ...ORGANISATION, now });
    const issuing = await createIssuingCa(root, { ...ORGANISATION, now });
    const crl = await createCrl(issuing, {
      revoked: [],
      thisUpdate: now,
      nextUpdate: new Date('2050-01-02T00:00:00.000Z'),
      crlNumber: 1,
    });
    const structure = openssl(['asn1parse', '-inform', 'DER', '-in', dir.file('crl.der', crl.der)]);
    assert.match(structure, /UTCTIME +:490601000000Z/);
    assert.match(structure, /GENERALIZEDTIME +:20500102000000Z/);
  });
});

describe('when the CRL inputs are wrong', () => {
  const base: CrlInput = { revoked: [], thisUpdate: NOW, nextUpdate: LATER, crlNumber: 1 };
  const cases: [string, Partial<Record<keyof CrlInput, unknown>>][] = [
    ['nextUpdate not after thisUpdate', { nextUpdate: NOW }],
    ['a negative CRL number', { crlNumber: -1 }],
    ['a fractional CRL number', { crlNumber: 1.5 }],
    ['a serial that is not hex', { revoked: [{ serialNumber: 'xyz', revokedAt: NOW }] }],
    ['a zero serial', { revoked: [{ serialNumber: '00', revokedAt: NOW }] }],
    [
      'a serial longer than 20 octets',
      { revoked: [{ serialNumber: '1'.repeat(41), revokedAt: NOW }] },
    ],
    [
      'the same serial twice',
      {
        revoked: [
          { serialNumber: 'ab', revokedAt: NOW },
          { serialNumber: '00AB', revokedAt: NOW },
        ],
      },
    ],
    ['an unknown reason', { revoked: [{ serialNumber: 'ab', revokedAt: NOW, reason: 'whim' }] }],
    [
      'an invalid revocation date',
      { revoked: [{ serialNumber: 'ab', revokedAt: new Date(Number.NaN) }] },
    ],
  ];
  for (const [label, change] of cases) {
    it(`refuses ${label} with ERR_CA_PARAMETERS_INVALID`, async () => {
      await assert.rejects(
        createCrl(ca.issuing, { ...base, ...change } as CrlInput),
        withCode('ERR_CA_PARAMETERS_INVALID'),
      );
    });
  }

  it('refuses an issuing CA that has expired by thisUpdate with ERR_CA_INVALID', async () => {
    const issuing = await createIssuingCa(ca.root, { ...ORGANISATION, now: NOW, validityYears: 1 });
    const late = new Date(NOW.getTime() + 400 * DAY_MS);
    await assert.rejects(
      createCrl(issuing, {
        ...base,
        thisUpdate: late,
        nextUpdate: new Date(late.getTime() + DAY_MS),
      }),
      withCode('ERR_CA_INVALID'),
    );
  });
});
