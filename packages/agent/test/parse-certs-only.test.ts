import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAgentError, parseCertsOnly } from '@vigil/agent';
import { tempDir } from './fakes/temp-dir.js';

/** Two self-signed certificates made by openssl, and their certs-only PKCS#7 in base64. */
function opensslBundle(dir: string): { pems: string[]; base64: string; der: Buffer } {
  const pems: string[] = [];
  for (const name of ['one', 'two']) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, `${name}.key`),
        '-subj',
        `/CN=${name}`,
        '-days',
        '1',
        '-out',
        join(dir, `${name}.pem`),
      ],
      { stdio: 'ignore' },
    );
    pems.push(readFileSync(join(dir, `${name}.pem`), 'utf8'));
  }
  const bundle = join(dir, 'bundle.pem');
  execFileSync('sh', ['-c', `cat "${dir}/one.pem" "${dir}/two.pem" > "${bundle}"`]);
  // Exactly the command docs/devices.md pairs with an EST answer.
  const base64 = execFileSync(
    'sh',
    ['-c', `openssl crl2pkcs7 -nocrl -certfile "${bundle}" -outform DER | base64`],
    { encoding: 'utf8' },
  );
  return { pems, base64, der: Buffer.from(base64, 'base64') };
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('parseCertsOnly', () => {
  it('reads a certs-only bundle from openssl crl2pkcs7 | base64 (line breaks included)', async (t) => {
    const { pems, base64 } = opensslBundle(await tempDir(t));
    assert.match(base64, /\n./, 'base64 wraps lines');
    const parsed = parseCertsOnly(Buffer.from(base64));
    assert.deepEqual(parsed.map(fingerprint), pems.map(fingerprint));
    assert.ok(parsed.every((pem) => pem.startsWith('-----BEGIN CERTIFICATE-----')));
  });

  it('accepts the same bundle as DER', async (t) => {
    const { pems, der } = opensslBundle(await tempDir(t));
    assert.deepEqual(parseCertsOnly(der).map(fingerprint), pems.map(fingerprint));
  });

  for (const [name, body] of [
    ['an empty body', ''],
    ['text that is not base64', '<html>Bad gateway</html>'],
    ['base64 that is not PKCS#7', Buffer.from('hello world!').toString('base64')],
  ] as const) {
    it(`refuses ${name} with ERR_AGENT_PROTOCOL`, () => {
      assert.throws(
        () => parseCertsOnly(Buffer.from(body)),
        (error) => isAgentError(error) && error.code === 'ERR_AGENT_PROTOCOL',
      );
    });
  }
});
