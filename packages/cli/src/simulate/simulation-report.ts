import type { SimulationProgress, SimulationSummary } from './simulation.js';
import type { SyntheticPatient } from './synthetic-patients.js';

/** One simulated gateway as the console and `--json` show it. */
export interface SimulatedDeviceView {
  readonly deviceId: string;
  readonly serialNumber: string;
  /** Enrolled by this run (else loaded from the state directory). */
  readonly enrolledNow: boolean;
  /** The synthetic identifiers of its patients (`MRN-SIM-…`). */
  readonly patients: readonly string[];
}

const count = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const rate = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });

/** The line printed every few seconds while the simulation runs. */
export function progressLine(p: SimulationProgress): string {
  return [
    `${rate.format(p.elapsedSeconds)} s:`,
    `${count.format(p.readingsRecorded)} readings,`,
    `${count.format(p.batchesStored)} batches stored,`,
    `${count.format(p.duplicates)} duplicates,`,
    `${count.format(p.queued)} queued,`,
    `${count.format(p.errors)} errors`,
  ].join(' ');
}

/** Who is monitored where, printed once at the start (synthetic names: nobody real). */
export function rosterLines(
  devices: readonly SimulatedDeviceView[],
  patients: ReadonlyMap<string, SyntheticPatient>,
): string[] {
  return devices.flatMap((d) => [
    `  ${d.serialNumber} ${d.deviceId}${d.enrolledNow ? ' (enrolled now)' : ''}`,
    ...d.patients.map((id) => `    ${id}  ${patients.get(id)?.displayName ?? ''}`.trimEnd()),
  ]);
}

/** The closing summary. */
export function summaryLines(s: SimulationSummary): string[] {
  const lines = [
    s.interrupted
      ? `Stopped early after ${rate.format(s.elapsedSeconds)} s.`
      : `Done after ${rate.format(s.elapsedSeconds)} s.`,
    `  devices            ${s.devices} (${s.patients} patients)`,
    `  readings recorded  ${count.format(s.readingsRecorded)} (${rate.format(s.readingsPerSecond)}/s)`,
    `  batches stored     ${count.format(s.batchesStored)}`,
    `  duplicates         ${count.format(s.duplicates)}`,
    `  errors             ${count.format(s.errors)}`,
  ];
  if (s.held > 0) {
    lines.push(
      `  held               ${count.format(s.held)} (refused by the server; kept in the outbox)`,
    );
  }
  if (s.queued > 0) {
    lines.push(
      `  still queued       ${count.format(s.queued)} (kept in the state directory; the next run sends them)`,
    );
  }
  return lines;
}
