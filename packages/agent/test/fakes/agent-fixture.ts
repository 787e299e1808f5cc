import { ManualClock } from '@vigil/core';
import {
  MemoryStorage,
  isAgentError,
  type AgentErrorCode,
  type EnrolOptions,
  type ServerErrorCode,
} from '@vigil/agent';
import { FakeVigilServer } from './fake-vigil-server.js';

/** An assertion predicate for `assert.rejects`/`throws`: an AgentError with this code. */
export const code = (expected: AgentErrorCode | ServerErrorCode) => (error: unknown) =>
  isAgentError(error) && error.code === expected;

/** A fake server on a manual clock, and enrolment options for a fresh gateway. */
export async function setUp(options: Partial<EnrolOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const server = await FakeVigilServer.start(clock);
  const storage = new MemoryStorage();
  const enrolOptions: EnrolOptions = {
    enrolUrl: 'https://vigil.test:8443',
    deviceUrl: 'https://vigil.test:8444',
    token: server.createToken(),
    serverTrustPem: server.ca.certPem,
    serialNumber: 'SN-0001',
    model: 'bedside-hub',
    storage,
    clock,
    transport: server,
    random: () => 0.5,
    ...options,
  };
  return { clock, server, storage, enrolOptions };
}
