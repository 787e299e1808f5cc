/**
 * @vigil/testkit — shared fakes, fixtures and harnesses for Vigil's tests.
 * Never a dependency of production code.
 */
export {
  TestApp,
  type TestAppOptions,
  type TestCareOrganisation,
  type TestDeviceListener,
  type TestPerson,
} from './test-app.js';
export { TestAgent, type AgentResponse } from './test-agent.js';
export {
  engines,
  forEachEngine,
  type EngineName,
  type StoreTarget,
  type TestEngine,
} from './engines.js';
export { createTempDir, tempDir, type AfterHook, type TempDir } from './temp-dir.js';
export { POSTGRES_REQUIRED, TEST_DATABASE_URL, postgresUnavailable } from './postgres-probe.js';
export { startTestServer, type StartedTestServer } from './test-server.js';
