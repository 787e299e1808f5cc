import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { deviceIdOf, issueDeviceCertificate, parseCsr } from '../../src/pki/index.js';
import {
  type PemKeyPair,
  issueDevCa,
  issueDevServerCertificate,
} from '../../src/tls/dev-certificates.js';
import {
  type DeviceCa,
  ORGANISATION,
  type WorkDir,
  deviceCa,
  opensslCsr,
  workDir,
} from './pki-kit.js';

/**
 * The point of it all: a device presents its certificate in a real TLS
 * handshake, a server that trusts only the organisation's offline root accepts
 * it, and `deviceIdOf` names the device from the verified peer certificate.
 */

const DEVICE_ID = '6f1c0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

interface Device {
  readonly keyPem: string;
  /** Device certificate followed by the issuing CA: the chain up to (not including) the root. */
  readonly chainPem: string;
}

/** Enrols a device against `ca` now, through openssl's CSR. */
async function enrol(dir: WorkDir, ca: DeviceCa): Promise<Device> {
  const request = opensslCsr(dir, { key: 'P-256' });
  const cert = await issueDeviceCertificate(ca.issuing, await parseCsr(request.base64), {
    deviceId: DEVICE_ID,
    organisationId: ORGANISATION.organisationId,
    validityDays: 30,
    now: new Date(),
  });
  return { keyPem: request.keyPem, chainPem: `${cert.certPem}${ca.issuing.certPem}` };
}

/** Connects as `device`; resolves with the device id the server saw, or null when refused. */
async function handshake(
  server: PemKeyPair,
  serverCaPem: string,
  trustedRootPem: string,
  device: Device,
): Promise<string | null> {
  const listener = tls.createServer({
    cert: server.certPem,
    key: server.keyPem,
    ca: [trustedRootPem],
    requestCert: true,
    rejectUnauthorized: true,
  });
  const seen = new Promise<string | null>((resolve) => {
    listener.on('secureConnection', (socket) => {
      resolve(deviceIdOf(socket.getPeerCertificate().raw));
      socket.end();
    });
    listener.on('tlsClientError', () => resolve(null));
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const client = tls.connect({
    host: '127.0.0.1',
    port: (listener.address() as AddressInfo).port,
    servername: 'localhost',
    ca: serverCaPem,
    key: device.keyPem,
    cert: device.chainPem,
  });
  client.on('error', () => {}); // a refused handshake is an expected outcome here
  try {
    return await seen;
  } finally {
    client.destroy();
    await new Promise((resolve) => listener.close(resolve));
  }
}

describe('when a device connects with mutual TLS', () => {
  let dir: WorkDir;
  let server: PemKeyPair;
  let serverCa: PemKeyPair;
  before(async () => {
    dir = await workDir();
    serverCa = await issueDevCa(new Date(), 'localhost');
    server = await issueDevServerCertificate(serverCa, new Date(), 'localhost');
  });
  after(() => dir.remove());

  it('is accepted by a server trusting the root, which reads its id from the certificate', async () => {
    const ca = await deviceCa(new Date());
    const device = await enrol(dir, ca);
    assert.equal(await handshake(server, serverCa.certPem, ca.root.certPem, device), DEVICE_ID);
  });

  it('is refused when its CA is a look-alike with the same names but other keys', async () => {
    const genuine = await deviceCa(new Date());
    const rogue = await deviceCa(new Date()); // same organisation name and id
    const device = await enrol(dir, rogue);
    assert.equal(await handshake(server, serverCa.certPem, genuine.root.certPem, device), null);
  });
});
