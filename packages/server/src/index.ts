/**
 * @vigil/server — the HTTPS server: store, services, routes, TLS.
 * Entry points: `startServer` (listen) and `buildApp` (for tests and embedding).
 */
export { buildApp, type AppDeps } from './app.js';
export { createServices, DEFAULT_WEB_ROOT } from './composition.js';
export { startServer, closeOnSignals, REDACTED_LOG_PATHS, type RunningServer } from './server.js';
export { buildDeviceApp, type DeviceAppDeps } from './http/device-app.js';
export { deviceTlsOptions } from './tls/device-tls.js';
export { loadServerTls, type ServerTls } from './tls/index.js';
export {
  loadConfig,
  DEFAULT_CONFIG,
  SETTINGS,
  type VigilConfig,
  type ConfigSources,
} from './config/config.js';
export { openStore } from './store/index.js';
export type { Store, User } from './store/store.js';
export type { Services } from './services/index.js';
export { systemContext, type RequestContext } from './services/request-context.js';
export { createArgon2Hasher, OWASP_MINIMUM, type PasswordHasher } from './auth/password-hasher.js';
export { isCommonPassword } from './auth/common-passwords.js';
export {
  createBackup,
  restoreBackup,
  readBackupManifest,
  type BackupManifest,
  type BackupOptions,
} from './backup/index.js';
export { SETUP_TOKEN_TTL_MS } from './services/setup-service.js';
export { ONE_TIME_TOKEN_TTL_MS } from './services/people-service.js';
