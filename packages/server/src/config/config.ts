import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { VigilError } from '@vigil/core';

/**
 * The server's whole configuration: one validated, frozen object built once
 * in the entry point from (lowest to highest precedence) defaults, an
 * optional JSON file (`VIGIL_CONFIG_FILE` or `--config`), environment
 * variables and command-line flags. Libraries never read `process.env`.
 */
export interface VigilConfig {
  /** Where SQLite, TLS material, keys and backups live. */
  readonly dataDir: string;
  readonly host: string;
  readonly httpsPort: number;
  /** The device API's mutual-TLS port. */
  readonly devicePort: number;
  /** Validity of device certificates, in days. */
  readonly deviceCertDays: number;
  /** Unset: SQLite in the data directory. `postgres://…`: PostgreSQL. */
  readonly databaseUrl: string | null;
  /** Production certificate and key (PEM). Unset: a development CA and certificate in the data dir. */
  readonly tlsCertPath: string | null;
  readonly tlsKeyPath: string | null;
  readonly logLevel: LogLevel;
  /** Automatic log-off after this many minutes without activity (MDS2 ALOF). */
  readonly sessionIdleMinutes: number;
  /** Sessions end this many hours after sign-in, whatever the activity. */
  readonly sessionAbsoluteHours: number;
  /** Serve /metrics without authentication (e.g. behind a private scrape network). Default off. */
  readonly metricsPublic: boolean;
  /** Requests per minute per address on the public API. */
  readonly rateLimitPerMinute: number;
  /** Sign-in, setup, activation and MFA attempts per minute per address. */
  readonly signInRateLimitPerMinute: number;
  /** The address people use to reach the server, for links printed at start-up. */
  readonly publicUrl: string | null;
  /** How often batches past their organisation's retention period are deleted, in minutes. */
  readonly retentionSweepMinutes: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface Setting {
  readonly key: keyof VigilConfig;
  readonly env: string;
  readonly flag: string;
  readonly kind: 'string' | 'port' | 'int' | 'bool' | 'log-level';
  readonly description: string;
  readonly defaultText: string;
}

/** The table README.md documents (a test keeps the two in step). */
export const SETTINGS: readonly Setting[] = [
  {
    key: 'dataDir',
    env: 'VIGIL_DATA_DIR',
    flag: '--data-dir',
    kind: 'string',
    description: 'Data directory (SQLite database, TLS material, keys, backups)',
    defaultText: './var',
  },
  {
    key: 'host',
    env: 'VIGIL_HOST',
    flag: '--host',
    kind: 'string',
    description: 'Address the HTTPS listener binds to',
    defaultText: '127.0.0.1',
  },
  {
    key: 'httpsPort',
    env: 'VIGIL_HTTPS_PORT',
    flag: '--https-port',
    kind: 'port',
    description: 'HTTPS port for the web app and API',
    defaultText: '8443',
  },
  {
    key: 'devicePort',
    env: 'VIGIL_DEVICE_PORT',
    flag: '--device-port',
    kind: 'port',
    description: 'Mutual-TLS port of the device API (EST re-enrolment, check-in)',
    defaultText: '8444',
  },
  {
    key: 'deviceCertDays',
    env: 'VIGIL_DEVICE_CERT_DAYS',
    flag: '--device-cert-days',
    kind: 'int',
    description: 'Validity of device certificates (days)',
    defaultText: '90',
  },
  {
    key: 'databaseUrl',
    env: 'VIGIL_DATABASE_URL',
    flag: '--database-url',
    kind: 'string',
    description: 'Unset: embedded SQLite; `postgres://…`: PostgreSQL',
    defaultText: '(unset)',
  },
  {
    key: 'tlsCertPath',
    env: 'VIGIL_TLS_CERT',
    flag: '--tls-cert',
    kind: 'string',
    description: 'PEM certificate chain for production',
    defaultText: '(dev CA in data dir)',
  },
  {
    key: 'tlsKeyPath',
    env: 'VIGIL_TLS_KEY',
    flag: '--tls-key',
    kind: 'string',
    description: 'PEM private key for production',
    defaultText: '(dev CA in data dir)',
  },
  {
    key: 'logLevel',
    env: 'VIGIL_LOG_LEVEL',
    flag: '--log-level',
    kind: 'log-level',
    description: 'fatal, error, warn, info, debug, trace or silent',
    defaultText: 'info',
  },
  {
    key: 'sessionIdleMinutes',
    env: 'VIGIL_SESSION_IDLE_MINUTES',
    flag: '--session-idle-minutes',
    kind: 'int',
    description: 'Automatic log-off after inactivity (minutes)',
    defaultText: '15',
  },
  {
    key: 'sessionAbsoluteHours',
    env: 'VIGIL_SESSION_ABSOLUTE_HOURS',
    flag: '--session-absolute-hours',
    kind: 'int',
    description: 'Absolute session lifetime (hours)',
    defaultText: '12',
  },
  {
    key: 'metricsPublic',
    env: 'VIGIL_METRICS_PUBLIC',
    flag: '--metrics-public',
    kind: 'bool',
    description: 'Serve /metrics without a token',
    defaultText: 'false',
  },
  {
    key: 'rateLimitPerMinute',
    env: 'VIGIL_RATE_LIMIT_PER_MINUTE',
    flag: '--rate-limit-per-minute',
    kind: 'int',
    description: 'API requests per minute per client address',
    defaultText: '600',
  },
  {
    key: 'signInRateLimitPerMinute',
    env: 'VIGIL_SIGN_IN_RATE_LIMIT_PER_MINUTE',
    flag: '--sign-in-rate-limit-per-minute',
    kind: 'int',
    description: 'Sign-in, setup, activation and MFA attempts per minute per client address',
    defaultText: '30',
  },
  {
    key: 'publicUrl',
    env: 'VIGIL_PUBLIC_URL',
    flag: '--public-url',
    kind: 'string',
    description: 'External URL used in printed links',
    defaultText: 'https://localhost:<port>',
  },
  {
    key: 'retentionSweepMinutes',
    env: 'VIGIL_RETENTION_SWEEP_MINUTES',
    flag: '--retention-sweep-minutes',
    kind: 'int',
    description: 'How often telemetry past its retention period is deleted (minutes)',
    defaultText: '60',
  },
];

export const DEFAULT_CONFIG: VigilConfig = {
  dataDir: './var',
  host: '127.0.0.1',
  httpsPort: 8443,
  devicePort: 8444,
  deviceCertDays: 90,
  databaseUrl: null,
  tlsCertPath: null,
  tlsKeyPath: null,
  logLevel: 'info',
  sessionIdleMinutes: 15,
  sessionAbsoluteHours: 12,
  metricsPublic: false,
  rateLimitPerMinute: 600,
  signInRateLimitPerMinute: 30,
  publicUrl: null,
  retentionSweepMinutes: 60,
};

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed flags keyed by flag name without dashes' prefix, e.g. `{ 'data-dir': './x' }`. */
  readonly flags?: Readonly<Record<string, string | boolean | undefined>>;
  /** Path of a JSON file whose keys are VigilConfig keys. */
  readonly file?: string;
  /** Directory relative paths are resolved against. */
  readonly cwd?: string;
}

export function loadConfig(sources: ConfigSources = {}): VigilConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const cwd = sources.cwd ?? '.';
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };

  const file =
    typeof flags['config'] === 'string'
      ? flags['config']
      : (sources.file ?? env['VIGIL_CONFIG_FILE']);
  if (file) Object.assign(merged, readConfigFile(file));

  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') merged[s.key] = parseValue(s, fromEnv, s.env);
    const fromFlag = flags[s.flag.slice(2)];
    if (fromFlag !== undefined) merged[s.key] = parseValue(s, fromFlag, s.flag);
  }

  const config = validate(merged);
  return Object.freeze({
    ...config,
    dataDir: absolute(config.dataDir, cwd),
    tlsCertPath: config.tlsCertPath && absolute(config.tlsCertPath, cwd),
    tlsKeyPath: config.tlsKeyPath && absolute(config.tlsKeyPath, cwd),
  });
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new VigilError('ERR_CONFIG_INVALID', `Cannot read the configuration file ${path}.`, {
      cause,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new VigilError('ERR_CONFIG_INVALID', `${path} must hold a JSON object.`);
  }
  const known = new Set(SETTINGS.map((s) => s.key as string));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) {
      throw new VigilError('ERR_CONFIG_INVALID', `${path}: unknown setting "${key}".`);
    }
  }
  return parsed as Record<string, unknown>;
}

function parseValue(s: Setting, raw: string | boolean, source: string): unknown {
  const text = String(raw);
  switch (s.kind) {
    case 'bool':
      if (raw === true || text === 'true' || text === '1') return true;
      if (raw === false || text === 'false' || text === '0') return false;
      throw invalid(source, 'true or false', text);
    case 'port':
    case 'int': {
      if (!/^\d+$/.test(text)) throw invalid(source, 'a whole number', text);
      return Number(text);
    }
    default:
      return text;
  }
}

function invalid(source: string, expected: string, got: string): VigilError {
  return new VigilError('ERR_CONFIG_INVALID', `${source} must be ${expected}, not "${got}".`);
}

function validate(c: Record<string, unknown>): VigilConfig {
  for (const key of ['httpsPort', 'devicePort'] as const) {
    const port = c[key];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new VigilError('ERR_CONFIG_INVALID', `${key} must be a port number (0–65535).`);
    }
  }
  const days = c['deviceCertDays'];
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 825) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      'deviceCertDays must be a whole number from 1 to 825.',
    );
  }
  if (!LOG_LEVELS.includes(c['logLevel'] as LogLevel)) {
    throw new VigilError('ERR_CONFIG_INVALID', `logLevel must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  const db = c['databaseUrl'];
  if (db !== null && (typeof db !== 'string' || !/^postgres(ql)?:\/\//.test(db))) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      'databaseUrl must be unset (SQLite) or a postgres:// URL.',
    );
  }
  if ((c['tlsCertPath'] === null) !== (c['tlsKeyPath'] === null)) {
    throw new VigilError('ERR_CONFIG_INVALID', 'Set both the TLS certificate and key, or neither.');
  }
  for (const key of [
    'sessionIdleMinutes',
    'sessionAbsoluteHours',
    'rateLimitPerMinute',
    'signInRateLimitPerMinute',
    'retentionSweepMinutes',
  ] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new VigilError('ERR_CONFIG_INVALID', `${key} must be a whole number ≥ 1.`);
    }
  }
  if (typeof c['metricsPublic'] !== 'boolean') {
    throw new VigilError('ERR_CONFIG_INVALID', 'metricsPublic must be true or false.');
  }
  return c as unknown as VigilConfig;
}
