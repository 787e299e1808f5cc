import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  FileStorage,
  VigilAgent,
  type DrainResult,
  type EnrolmentRequest,
  type Telemetry,
  type TelemetryAlarm,
} from '@vigil/agent';
import type { GatewayStats, SimulatedGateway } from './simulation.js';
import type { TimedReading } from './vital-sign-stream.js';

/** What a device not enrolled yet enrols with (EST `simpleenroll`). */
export type SimulatorEnrolment = Pick<
  EnrolmentRequest,
  'enrolUrl' | 'deviceUrl' | 'serverTrustPem' | 'token'
>;

export interface AgentGatewayOptions {
  /** The device's own directory: identity and key (0600 in 0700), telemetry state, outbox. */
  readonly directory: string;
  /** 1-based number of the device in the simulation: its serial number is `SIM-0001` … */
  readonly number: number;
  /** Needed only when `directory` holds no identity yet. */
  readonly enrolment?: SimulatorEnrolment;
  /** The care organisation's pseudonym secret (≥ 32 bytes). */
  readonly pseudonymSecret: Uint8Array;
  /** The manifest signing key's fingerprint the care organisation published, if given. */
  readonly expectedSigningKeyFingerprint?: string;
  /** Background failures (uploads, manifest refreshes). */
  readonly onError?: (deviceId: string, error: unknown) => void;
  readonly onAlarm?: (deviceId: string, alarm: TelemetryAlarm) => void;
}

/** The CSR's common name: what the simulated gateways call themselves. */
export const SIMULATOR_MODEL = 'vigil-simulator';
/** The agent's default `maxReadingsPerBatch`: a fast rate or a late tick is split, never refused. */
const MAX_READINGS_PER_BATCH = 1_000;
/** Each simulated gateway's outbox cap: generous, so a slow server shows as a backlog first. */
const OUTBOX_CAP = { bytes: 256 * 1024 * 1024 };

/** The serial number of simulated device `number` (1-based). */
export function simulatorSerial(number: number): string {
  return `SIM-${String(number).padStart(4, '0')}`;
}

/** Where device `number` keeps its state under the simulation's directory. */
export function deviceDirectory(stateDir: string, number: number): string {
  return join(stateDir, `device-${String(number).padStart(4, '0')}`);
}

/** Whether the device directory already holds an enrolled identity. */
export async function isEnrolled(directory: string): Promise<boolean> {
  return (await new FileStorage({ directory }).load()) !== null;
}

/**
 * A real gateway for the simulator: a `VigilAgent` (enrolled now, or loaded
 * from its directory) and its protected telemetry. Readings go through the
 * agent's whole pipeline — pseudonym, FHIR Observation, device signature,
 * encryption to the care organisation's manifest, durable outbox — and each
 * record wakes an upload pass; the counts come from those passes.
 *
 * The upload is driven here (`Telemetry.flush`) rather than by
 * `Telemetry.start`, so that every pass's stored / duplicate / held counts can
 * be added up for the summary; failures back off as the agent's uploader would.
 */
export class AgentGateway implements SimulatedGateway {
  readonly #agent: VigilAgent;
  readonly #telemetry: Telemetry;
  #stored = 0;
  #duplicates = 0;
  #errors = 0;
  #retryAt = 0;
  #draining: Promise<void> | undefined;
  #again = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed: GatewayStats | undefined;

  private constructor(agent: VigilAgent, telemetry: Telemetry) {
    this.#agent = agent;
    this.#telemetry = telemetry;
  }

  /**
   * Loads the agent from `directory`, or enrols it there, and opens its
   * telemetry. Returns whether it was enrolled now.
   *
   * @throws AgentError from enrolment (`ERR_ENROLMENT_TOKEN_INVALID` …) or storage.
   */
  static async open(
    options: AgentGatewayOptions,
  ): Promise<{ gateway: AgentGateway; enrolled: boolean }> {
    const storage = new FileStorage({ directory: options.directory });
    const enrolled = (await storage.load()) === null;
    let agent: VigilAgent;
    if (enrolled) {
      if (options.enrolment === undefined) {
        throw new Error(`${options.directory} holds no identity and no enrolment token was given.`);
      }
      agent = await VigilAgent.enrol({
        ...options.enrolment,
        serialNumber: simulatorSerial(options.number),
        model: SIMULATOR_MODEL,
        storage,
      });
    } else {
      agent = await VigilAgent.load({ storage });
    }
    const deviceId = agent.deviceId;
    let gateway: AgentGateway | undefined;
    try {
      const telemetry = await agent.telemetry({
        outbox: { file: join(options.directory, 'outbox.sqlite'), cap: OUTBOX_CAP },
        pseudonymSecret: options.pseudonymSecret,
        ...(options.expectedSigningKeyFingerprint === undefined
          ? {}
          : { expectedSigningKeyFingerprint: options.expectedSigningKeyFingerprint }),
        onError: (error) => {
          if (gateway !== undefined) gateway.#errors += 1;
          options.onError?.(deviceId, error);
        },
        onAlarm: (alarm) => options.onAlarm?.(deviceId, alarm),
      });
      gateway = new AgentGateway(agent, telemetry);
      return { gateway, enrolled };
    } catch (error) {
      agent.close();
      throw error;
    }
  }

  get deviceId(): string {
    return this.#agent.deviceId;
  }

  /**
   * Fetches and checks the care organisation's key manifest (pinning its
   * signing key on first use), so a missing or refused manifest stops the
   * simulation before it starts rather than failing every reading.
   */
  async prepare(): Promise<{ signingKeyFingerprint: string; pinned: boolean }> {
    const refresh = await this.#telemetry.refreshManifest();
    return {
      signingKeyFingerprint: refresh.signingKeyFingerprint,
      pinned: refresh.status === 'pinned',
    };
  }

  /** Records the readings as one batch, or several when they exceed the agent's batch limit. */
  async record(patientIdentifier: string, readings: readonly TimedReading[]): Promise<void> {
    for (let i = 0; i < readings.length; i += MAX_READINGS_PER_BATCH) {
      await this.#telemetry.record(
        patientIdentifier,
        readings.slice(i, i + MAX_READINGS_PER_BATCH),
      );
      this.#kick();
    }
  }

  async flush(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#draining;
      const { queued, held } = this.#telemetry.status();
      if (queued - held === 0) return;
      const wait = this.#retryAt - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      this.#retryAt = 0;
      this.#kick();
    }
  }

  stats(): GatewayStats {
    if (this.#closed !== undefined) return this.#closed;
    const { queued, held } = this.#telemetry.status();
    return {
      batchesStored: this.#stored,
      duplicates: this.#duplicates,
      errors: this.#errors,
      held,
      queued: queued - held,
    };
  }

  /** Waits for the upload in progress, then closes telemetry (outbox) and the agent's connections. */
  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    clearTimeout(this.#retryTimer);
    await this.#draining;
    this.#closed = this.stats();
    await this.#telemetry.close();
    this.#agent.close();
  }

  /** Starts an upload pass unless one is running (then another follows it) or backing off. */
  #kick(): void {
    if (this.#closed !== undefined || Date.now() < this.#retryAt) return;
    if (this.#draining !== undefined) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      let result: DrainResult;
      try {
        result = await this.#telemetry.flush();
      } catch {
        // The outbox itself failed (disk): count it and try again at the next record.
        this.#errors += 1;
        return;
      }
      this.#stored += result.delivered - result.duplicates;
      this.#duplicates += result.duplicates;
      if (result.status === 'failed') {
        const delay = result.retryInMs ?? 1_000;
        this.#retryAt = Date.now() + delay;
        // Resume after the back-off even when no new reading comes to wake it.
        this.#retryTimer = setTimeout(() => this.#kick(), delay).unref();
        return;
      }
    } while (this.#again && this.#closed === undefined);
  }
}
