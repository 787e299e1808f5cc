import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '@vigil/core';
import { VigilAgent, type Telemetry, type TelemetryOptions } from '@vigil/agent';
import { setUp } from '../fakes/agent-fixture.js';
import { CareOrganisation } from '../fakes/care-organisation.js';
import { tempDir } from '../fakes/temp-dir.js';
import { manifestVariants } from './manifest-variants.js';
import { ScriptedTelemetryServer } from './scripted-telemetry-server.js';
import { SECRET } from './telemetry-fixture.js';

/** The telemetry record of a gateway that has pinned nothing and made no key yet. */
const EMPTY_RECORD =
  '{"format":1,"pins":null,"manifestJws":null,"pseudonymTable":null,"staffCopy":null,"dataKeys":[]}';

/**
 * An enrolled gateway (the real agent, enrolled against the EST fake) whose
 * telemetry requests go to a scripted server, a care organisation with its
 * manifest variants, and `open()` for a fresh telemetry state per run.
 */
export async function fuzzWorld(t: { after(fn: () => Promise<void>): void }) {
  const { clock, server, storage, enrolOptions } = await setUp();
  const organisation = await CareOrganisation.create();
  const claims = await manifestVariants(organisation, clock.now());
  const holder: { scripted?: ScriptedTelemetryServer } = {};
  const agent = await VigilAgent.enrol({
    ...enrolOptions,
    transport: {
      request: (req) =>
        ScriptedTelemetryServer.handles(req) && holder.scripted !== undefined
          ? holder.scripted.request(req)
          : server.request(req),
    },
  });
  const scripted = new ScriptedTelemetryServer(agent.deviceId, claims);
  holder.scripted = scripted;
  const dir = await tempDir(t);
  t.after(async () => agent.close());
  let files = 0;

  return {
    scripted,
    organisation,
    manifestNames: [...claims.variants.keys()],
    /** A fresh outbox file, and the agent's telemetry record emptied (no pins, no keys). */
    async fresh(): Promise<string> {
      await storage.saveRecord('telemetry', EMPTY_RECORD);
      files += 1;
      return join(dir, `outbox-${files}.sqlite`);
    },
    open(file: string, options: Partial<TelemetryOptions> = {}): Promise<Telemetry> {
      return agent.telemetry({
        outbox: { file, cap: { rows: 1_000_000 } },
        pseudonymSecret: SECRET,
        clock: new ManualClock(clock.now()),
        ...options,
      });
    },
    async remove(file: string): Promise<void> {
      await Promise.all(['', '-wal', '-shm'].map((s) => rm(`${file}${s}`, { force: true })));
    },
  };
}
