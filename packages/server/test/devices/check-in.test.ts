import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApp } from '@vigil/testkit';
import type { DevicePrincipal } from '../../src/services/device-service.js';

/** Check-in records last seen and software version, to the minute, without a write per request. */
describe('device check-in', () => {
  let t: TestApp;
  let device: DevicePrincipal;
  before(async () => {
    t = await TestApp.create();
    const { organisationId } = await t.setup();
    const now = t.clock.now();
    const row = await t.store.createDevice({
      id: crypto.randomUUID(),
      organisationId,
      model: 'gw',
      hardwareRevision: null,
      serialNumber: 'SN-1',
      site: null,
      status: 'active',
      certSerial: 'aa',
      certNotAfter: now + 90 * 86_400_000,
      hardwareAttested: false,
      enrolledAt: now,
      enrolmentTokenId: null,
    });
    device = {
      deviceId: row.id,
      organisationId,
      careOrganisationId: null,
      publicJwk: null,
      status: 'active',
      certSerial: 'aa',
      certSubject: 'CN=x',
      certNotBefore: now,
      certNotAfter: row.certNotAfter,
      lastSeenAt: null,
      softwareVersion: null,
    };
  });
  after(() => t.close());

  const stored = async () => t.store.getDevice(device.deviceId);
  const checkIn = async (version: string) => {
    const answer = await t.services.devices.checkIn(device, version);
    const row = (await stored())!;
    device = { ...device, lastSeenAt: row.lastSeenAt, softwareVersion: row.softwareVersion };
    return answer;
  };

  it('records the first check-in, and says when to renew (two thirds of the certificate lifetime)', async () => {
    const answer = await checkIn('1.0.0');
    assert.equal((await stored())?.lastSeenAt, t.clock.now());
    assert.equal(answer.renewAfter, device.certNotBefore + 60 * 86_400_000);
  });

  it('does not write again within the minute, unless the software version changed', async () => {
    const first = (await stored())?.lastSeenAt;
    t.clock.advance(30_000);
    await checkIn('1.0.0');
    assert.equal((await stored())?.lastSeenAt, first);
    await checkIn('1.0.1');
    assert.equal((await stored())?.softwareVersion, '1.0.1');
    assert.equal((await stored())?.lastSeenAt, t.clock.now());
    t.clock.advance(60_000);
    await checkIn('1.0.1');
    assert.equal((await stored())?.lastSeenAt, t.clock.now());
  });
});
