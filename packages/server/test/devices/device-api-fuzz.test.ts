import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createTempDir,
  startTestServer,
  type StartedTestServer,
  type TempDir,
} from '@vigil/testkit';
import { httpsCall, opensslCsr, opensslPrintCerts, type ClientIdentity } from './wire.js';

/**
 * Property: whatever an enrolled device (or an enrolment client) sends —
 * random bodies, content types and CSR-like garbage — the answer is 2xx/4xx
 * problem+json with a code, never 5xx.
 */
describe('fuzzing EST and the device API (property-based)', () => {
  let s: StartedTestServer;
  let dir: TempDir;
  let device: ClientIdentity;

  before(async () => {
    s = await startTestServer();
    dir = await createTempDir('vigil-dfuzz-');
    const csr = opensslCsr(dir.path, 'fuzz', '/serialNumber=SN-FUZZ/CN=gateway');
    const answer = await httpsCall(s.url, s.caCertPem, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        'content-type': 'application/pkcs10',
        authorization: `Bearer ${await s.createEnrolmentToken()}`,
      },
      body: csr.csrBase64,
    });
    device = { certPem: opensslPrintCerts(answer.body.toString()), keyPem: csr.keyPem };
  });
  after(async () => {
    await s.close();
    await dir.remove();
  });

  const body = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.base64String({ maxLength: 600 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64')),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  );
  const contentType = fc.constantFrom(
    'application/pkcs10',
    'application/json',
    'text/plain',
    'application/octet-stream',
    'application/pkcs10; charset=utf-8',
  );

  function assertCoded(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    raw: Buffer,
    where: string,
  ): void {
    assert.ok(status < 500, `${where} → ${status}: ${raw.toString().slice(0, 200)}`);
    if (status >= 400) {
      assert.match(String(headers['content-type']), /^application\/problem\+json/, where);
      assert.match((JSON.parse(raw.toString()) as { code: string }).code, /^ERR_[A-Z_]+$/);
    }
  }

  it('the device listener never answers 5xx to an enrolled device', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/device/v1/check-in',
          '/.well-known/est/simplereenroll',
          '/device/v1/nope',
        ),
        contentType,
        body,
        async (path, type, payload) => {
          const answer = await httpsCall(s.deviceUrl, s.caCertPem, {
            method: 'POST',
            path,
            headers: { 'content-type': type },
            body: payload,
            identity: device,
          });
          assertCoded(answer.status, answer.headers, answer.body, `POST ${path} (${type})`);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('EST enrolment never answers 5xx, whatever the token and body', async () => {
    const token = await s.createEnrolmentToken({ count: 10_000 });
    await fc.assert(
      fc.asyncProperty(
        contentType,
        body,
        fc.constantFrom(`Bearer ${token}`, 'Bearer vgl_enrol_x', 'Basic Og==', 'Basic !!', ''),
        async (type, payload, authorization) => {
          const headers: Record<string, string> = { 'content-type': type };
          if (authorization) headers['authorization'] = authorization;
          const answer = await httpsCall(s.url, s.caCertPem, {
            method: 'POST',
            path: '/.well-known/est/simpleenroll',
            headers,
            body: payload,
          });
          assertCoded(
            answer.status,
            answer.headers,
            answer.body,
            `simpleenroll (${type}, ${authorization.slice(0, 12)})`,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
