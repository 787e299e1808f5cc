import { join } from 'node:path';
import {
  VigilAgent,
  type Telemetry,
  type TelemetryAlarm,
  type TelemetryOptions,
  type TelemetryReading,
} from '@vigil/agent';
import { setUp } from '../fakes/agent-fixture.js';
import { CareOrganisation, devicePublicJwk } from '../fakes/care-organisation.js';
import { tempDir } from '../fakes/temp-dir.js';

type TestContext = { after(fn: () => Promise<void>): void };

/** The care organisation's pseudonym secret, as provisioned at installation. */
export const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

/**
 * An enrolled gateway (real agent, fake server with the telemetry routes), a
 * care organisation that has published manifest version 1, and `open()` for
 * telemetry over one outbox file and one agent storage, so a test can close
 * and open again as a restart would.
 */
export async function telemetryWorld(t: TestContext) {
  const { clock, server, storage, enrolOptions } = await setUp();
  const agent = await VigilAgent.enrol(enrolOptions);
  const organisation = await CareOrganisation.create();
  const routes = server.telemetry;
  await organisation.publish(routes, 1, clock.now());
  const outboxFile = join(await tempDir(t), 'outbox.sqlite');
  const alarms: TelemetryAlarm[] = [];
  const errors: unknown[] = [];
  const opened: Telemetry[] = [];
  t.after(async () => {
    for (const telemetry of opened) await telemetry.close();
    agent.close();
  });

  const open = async (options: Partial<TelemetryOptions> = {}): Promise<Telemetry> => {
    const telemetry = await agent.telemetry({
      outbox: { file: outboxFile, cap: { rows: 100 } },
      pseudonymSecret: SECRET,
      onAlarm: (alarm) => alarms.push(alarm),
      onError: (error) => errors.push(error),
      ...options,
    });
    opened.push(telemetry);
    return telemetry;
  };

  return {
    clock,
    server,
    routes,
    storage,
    agent,
    organisation,
    outboxFile,
    alarms,
    errors,
    open,
    devicePublicJwk: devicePublicJwk(agent.certificatePem),
  };
}

/** `count` heart-rate readings, one a second, ending at `at`. */
export function heartRates(count: number, at: number): TelemetryReading[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'heart-rate' as const,
    value: 60 + (i % 40),
    effective: new Date(at - (count - 1 - i) * 1000),
  }));
}
