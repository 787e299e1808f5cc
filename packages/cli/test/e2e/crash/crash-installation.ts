import { webcrypto } from 'node:crypto';
import { createServices, loadConfig, openStore, systemContext, type Services } from '@vigil/server';
import {
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  newEpoch,
  pseudonymFor,
  signManifest,
  type EcKeyPair,
  type SigningKeyPair,
  type TeamEpoch,
} from '@vigil/protect';
import { CRASH_PATIENTS } from './crash-readings.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;
const PASSWORD = 'correct horse battery staple 7';

/** What the crash test holds after preparing the data directory: the care team's side. */
export interface CrashInstallation {
  readonly careOrganisationId: string;
  /** A clinician's API token (`data:read`) for the operator API. */
  readonly clinicianToken: string;
  /** One enrolment token (a few uses) naming the care organisation. */
  readonly enrolmentToken: string;
  readonly signing: SigningKeyPair;
  readonly member: EcKeyPair;
  readonly epoch: TeamEpoch;
  readonly pseudonymSecret: Uint8Array;
  /** The pseudonym of each of CRASH_PATIENTS, as the gateway computes it. */
  readonly pseudonyms: ReadonlyMap<string, string>;
}

/**
 * Prepares a SQLite data directory as an operator would before the gateway is
 * installed — first-run setup, the manufacturer's device CA, a care
 * organisation with a clinician, its key manifest (version 1, team epoch 1) and
 * an enrolment token naming it — through the real services, then closes the
 * store: the server runs as a child process on this directory afterwards.
 */
export async function prepareCrashInstallation(dataDir: string): Promise<CrashInstallation> {
  const config = loadConfig({ env: { VIGIL_DATA_DIR: dataDir, VIGIL_LOG_LEVEL: 'silent' } });
  const store = await openStore({ dataDir, databaseUrl: null });
  try {
    return await prepare(createServices(config, store));
  } finally {
    await store.close();
  }
}

async function prepare(services: Services): Promise<CrashInstallation> {
  const context = systemContext('crash-test');
  const { token: setupToken } = await services.setup.issueToken(context);
  const { organisationId: manufacturerId } = await services.setup.complete(
    {
      token: setupToken,
      organisationName: 'Crash Test Devices',
      name: 'Test Operator',
      email: 'operator@maker.example',
      password: 'a lengthy passphrase for checks',
    },
    context,
  );
  await services.deviceCas.initialise(
    OPERATOR,
    manufacturerId,
    'a test root passphrase that is long',
    context,
  );
  const { organisation } = await services.people.createServed(
    OPERATOR,
    manufacturerId,
    { name: 'Crash Care Home', adminEmail: 'keeper@ward.example', adminName: 'Ward Keeper' },
    context,
  );
  const careOrganisationId = organisation.id;
  const { user, activationToken } = await services.people.addPerson(
    OPERATOR,
    careOrganisationId,
    { email: 'nurse@ward.example', name: 'Test clinician', role: 'clinician' },
    context,
  );
  if (activationToken) await services.passwords.activate(activationToken, PASSWORD, context);
  const { token: clinicianToken } = await services.tokens.create(
    OPERATOR,
    {
      name: 'crash-test',
      organisationId: careOrganisationId,
      scopes: ['data:read'],
      expiresInDays: 1,
      ownerUserId: user.id,
    },
    context,
  );

  // The care organisation's key ceremony (ADR 0008, 0011), on "its admin's machine".
  const [signing, member, recovery] = await Promise.all([
    generateSigningKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ]);
  const epoch = await newEpoch({
    organisationId: careOrganisationId,
    previousEpoch: 0,
    memberPublicJwks: [member.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const jws = await signManifest(
    {
      typ: 'vigil-key-manifest',
      organisationId: careOrganisationId,
      version: 1,
      issuedAt: new Date(Date.now() - 60_000).toISOString(),
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: [{ kid: member.kid, publicJwk: member.publicJwk }],
    },
    signing.privateJwk,
  );
  await services.keys.publishManifest(
    OPERATOR,
    careOrganisationId,
    { jws, signingPublicJwk: signing.publicJwk },
    context,
  );
  const { token: enrolmentToken } = await services.enrolment.createToken(
    OPERATOR,
    manufacturerId,
    {
      name: 'crash-test',
      model: 'gateway-1',
      site: null,
      count: 3,
      expiresInHours: 1,
      careOrganisationId,
    },
    context,
  );

  const pseudonymSecret = webcrypto.getRandomValues(new Uint8Array(32));
  const pseudonymKey = await derivePseudonymKey(pseudonymSecret, 'telemetry', 1);
  const pseudonyms = new Map<string, string>();
  for (const patient of CRASH_PATIENTS) {
    pseudonyms.set(patient, await pseudonymFor(pseudonymKey, 1, patient));
  }
  return {
    careOrganisationId,
    clinicianToken,
    enrolmentToken,
    signing,
    member,
    epoch,
    pseudonymSecret,
    pseudonyms,
  };
}
