import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import { TestApp, type TestDeviceListener } from '@vigil/testkit';
import { enrolGateway, type TestGateway } from '../telemetry/telemetry-kit.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * docs/telemetry.md, "Device listener": `GET /device/v1/ping` lets an agent check that
 * its certificate gets it through mutual TLS and the registry, without
 * recording anything; whatever refuses the device elsewhere refuses it here.
 */
describe('GET /device/v1/ping on the device listener', () => {
  let t: TestApp;
  let listener: TestDeviceListener;
  let manufacturerId: string;
  const gateways: TestGateway[] = [];

  before(async () => {
    t = await TestApp.create();
    // TLS checks device certificates against the wall clock.
    t.clock.set(Date.now());
    manufacturerId = (await t.setup()).organisationId;
    listener = await t.deviceListener();
  });
  after(async () => {
    for (const g of gateways) g.close();
    await t.close();
  });

  async function enrol(): Promise<TestGateway> {
    const gateway = await enrolGateway(t, listener, await t.createEnrolmentToken(manufacturerId));
    gateways.push(gateway);
    return gateway;
  }

  const setStatus = (deviceId: string, action: 'quarantine' | 'revoke') =>
    t.services.devices.setStatus(OPERATOR, manufacturerId, deviceId, action, systemContext());

  describe('when an enrolled device pings', () => {
    it('answers 204 with no body, and records nothing (not even last seen)', async () => {
      const gateway = await enrol();
      const answer = await gateway.call('GET', '/device/v1/ping');
      assert.equal(answer.status, 204);
      assert.equal(answer.text, '');
      const device = await t.store.getDevice(gateway.deviceId);
      assert.equal(device?.lastSeenAt, null);
      assert.equal(device?.softwareVersion, null);
    });
  });

  describe('when the device has been revoked', () => {
    it('refuses the ping with ERR_DEVICE_REVOKED, on the same keep-alive connection', async () => {
      const gateway = await enrol();
      assert.equal((await gateway.call('GET', '/device/v1/ping')).status, 204);
      await setStatus(gateway.deviceId, 'revoke');
      const refused = await gateway.call('GET', '/device/v1/ping');
      assert.equal(refused.status, 403);
      assert.equal(refused.code, 'ERR_DEVICE_REVOKED');
    });
  });

  describe('when the device is quarantined', () => {
    it('refuses the ping with ERR_DEVICE_QUARANTINED (only check-in and updates stay open)', async () => {
      const gateway = await enrol();
      await setStatus(gateway.deviceId, 'quarantine');
      const refused = await gateway.call('GET', '/device/v1/ping');
      assert.equal(refused.status, 403);
      assert.equal(refused.code, 'ERR_DEVICE_QUARANTINED');
    });
  });
});
