import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VigilError } from '@vigil/core';
import type { AttestationEvidence } from '../attestation/index.js';
import { requestContext } from '../http/authentication.js';
import { certsOnlyPkcs7, toEstBase64 } from '../pki/index.js';
import type { Services } from '../services/index.js';
import { Closed, Id, withProblems } from './schemas.js';

/** RFC 7030 §4.1.3 / §4.2.3: certs-only CMS, base64 body. */
export const PKCS7_CERTS_ONLY = 'application/pkcs7-mime; smime-type=certs-only';
const PKCS10 = 'application/pkcs10';
/** A CSR is a few hundred bytes; RSA-8192 with attributes stays far below this. */
export const CSR_BODY_LIMIT = 32 * 1024;

const CsrBody = Type.String({
  minLength: 1,
  maxLength: CSR_BODY_LIMIT,
  description: 'PKCS#10 CSR, base64 DER (RFC 7030 §4.2.1)',
});
const Pkcs7Answer = Type.String({ description: `${PKCS7_CERTS_ONLY}, base64` });

/** Lets a Fastify instance read `application/pkcs10` bodies as text (EST sends base64). */
export function acceptPkcs10(app: FastifyInstance): void {
  app.addContentTypeParser(
    PKCS10,
    { parseAs: 'string', bodyLimit: CSR_BODY_LIMIT },
    (_request, body, done) => {
      done(null, body);
    },
  );
}

export function sendCertificates(reply: FastifyReply, pems: readonly string[]): FastifyReply {
  const ders = pems.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
  return reply
    .header('content-type', PKCS7_CERTS_ONLY)
    .header('content-transfer-encoding', 'base64')
    .send(toEstBase64(certsOnlyPkcs7(ders)));
}

/**
 * EST on the main listener (server-authenticated TLS): CA certificates, the
 * CRL, attestation nonces and first enrolment with a one-time token (sent as
 * HTTP Basic password or Bearer token, RFC 7030 §3.2.3). Re-enrolment needs
 * the device's certificate and lives on the device listener.
 */
export function estRoutes(services: Services) {
  return async function (app: FastifyInstance): Promise<void> {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    acceptPkcs10(app);
    const publicEst = { auth: 'public' as const, rateLimit: { max: 120, timeWindow: 60_000 } };

    const cacerts = async (organisationId: string | undefined, reply: FastifyReply) =>
      sendCertificates(
        reply,
        await services.deviceCas.chain(organisationId ?? (await soleManufacturer(services))),
      );

    r.get(
      '/.well-known/est/cacerts',
      {
        config: publicEst,
        schema: {
          tags: ['est'],
          summary: 'Device CA certificates (issuing, root) of the only manufacturer',
          response: withProblems({ 200: Pkcs7Answer }),
        },
      },
      async (_request, reply) => cacerts(undefined, reply),
    );

    r.get(
      '/.well-known/est/:orgId/cacerts',
      {
        config: publicEst,
        schema: {
          tags: ['est'],
          summary: 'Device CA certificates of a manufacturer (EST CA label = its id)',
          params: Type.Object({ orgId: Id }, Closed),
          response: withProblems({ 200: Pkcs7Answer }),
        },
      },
      async (request, reply) => cacerts(request.params.orgId, reply),
    );

    r.get(
      '/.well-known/est/:orgId/crl',
      {
        config: publicEst,
        schema: {
          tags: ['est'],
          summary: 'Certificate revocation list of the issuing CA (DER)',
          params: Type.Object({ orgId: Id }, Closed),
          response: withProblems({}),
        },
      },
      async (request, reply) => {
        const der = await services.deviceCas.crl(request.params.orgId);
        return reply
          .header('content-type', 'application/pkix-crl')
          .header('cache-control', 'max-age=300')
          .send(Buffer.from(der));
      },
    );

    r.post(
      '/.well-known/est/vigil/attestation-nonce',
      {
        config: publicEst,
        schema: {
          tags: ['est'],
          summary: 'A fresh nonce for genuine-hardware attestation (needs the enrolment token)',
          response: withProblems({
            200: Type.Object({ nonce: Type.String(), expiresAt: Type.Integer() }),
          }),
        },
      },
      async (request, reply) => {
        const token = enrolmentToken(request, reply);
        return services.enrolment.attestationNonce(token);
      },
    );

    const enrol = async (
      request: FastifyRequest<{ Body: string; Params: { orgId?: string } }>,
      reply: FastifyReply,
    ) => {
      const token = enrolmentToken(request, reply);
      const attestation = attestationEvidence(request);
      const hardwareRevision = header(request, 'x-vigil-hardware-revision');
      const { device, certificate } = await services.enrolment.enrol(
        {
          token,
          csr: request.body,
          ...(request.params.orgId ? { organisationId: request.params.orgId } : {}),
          ...(hardwareRevision ? { hardwareRevision: hardwareRevision.slice(0, 64) } : {}),
          ...(attestation ? { attestation } : {}),
        },
        requestContext(request),
      );
      void reply.header('x-vigil-device-id', device.id);
      return sendCertificates(reply, [certificate.certPem]);
    };
    const enrolSchema = {
      tags: ['est'],
      summary: 'Enrol a device: CSR + enrolment token → its certificate (RFC 7030 simpleenroll)',
      consumes: [PKCS10],
      body: CsrBody,
      produces: [PKCS7_CERTS_ONLY],
      response: withProblems({ 200: Pkcs7Answer }),
    };
    r.post('/.well-known/est/simpleenroll', { config: publicEst, schema: enrolSchema }, enrol);
    r.post(
      '/.well-known/est/:orgId/simpleenroll',
      {
        config: publicEst,
        schema: { ...enrolSchema, params: Type.Object({ orgId: Id }, Closed) },
      },
      enrol,
    );
  };
}

/** The enrolment token from `Authorization: Basic <any>:<token>` or `Bearer <token>`. */
function enrolmentToken(request: FastifyRequest, reply: FastifyReply): string {
  const value = request.headers.authorization ?? '';
  const bearer = /^Bearer (\S{1,512})$/.exec(value);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(value);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return decoded.slice(colon + 1);
  }
  // RFC 7030 §3.2.3 / RFC 9110: tell EST clients how to authenticate.
  void reply.header('www-authenticate', 'Basic realm="vigil-est"');
  throw new VigilError(
    'ERR_ENROLMENT_TOKEN_INVALID',
    'Send the enrolment token as the HTTP Basic password.',
  );
}

function attestationEvidence(request: FastifyRequest): AttestationEvidence | undefined {
  const chain = header(request, 'x-vigil-attestation-chain');
  const nonce = header(request, 'x-vigil-attestation-nonce');
  const signature = header(request, 'x-vigil-attestation-signature');
  if (!chain && !nonce && !signature) return undefined;
  if (!chain || !nonce || !signature) {
    throw new VigilError(
      'ERR_ATTESTATION_MALFORMED',
      'Send the attestation chain, nonce and signature together.',
    );
  }
  return { chainPem: Buffer.from(chain, 'base64').toString('utf8'), nonce, signature };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function soleManufacturer(services: Services): Promise<string> {
  const id = await services.deviceCas.soleOrganisationWithCa();
  if (!id)
    throw new VigilError(
      'ERR_NOT_FOUND',
      'Name the manufacturer: /.well-known/est/<organisationId>/cacerts.',
    );
  return id;
}
