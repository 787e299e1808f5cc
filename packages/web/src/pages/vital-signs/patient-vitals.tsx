import { useId, useState } from 'react';
import type { PatientSummary } from '../../api/types.js';
import { ErrorAlert } from '../../components/error-alert.js';
import { SelectField } from '../../components/form.js';
import { useResource } from '../../components/use-resource.js';
import { loadPatientVitals } from '../../telemetry/patient-vitals.js';
import type { TeamKeyring } from '../../telemetry/team-keyring.js';
import type { TelemetrySource } from '../../telemetry/telemetry-source.js';
import { BatchFailures } from './batch-failures.js';
import { VitalChartFigure } from './vital-chart-figure.js';

const HOUR_MS = 3_600_000;
const PERIODS = {
  day: { label: 'Last 24 hours', ms: 24 * HOUR_MS },
  week: { label: 'Last 7 days', ms: 7 * 24 * HOUR_MS },
  month: { label: 'Last 30 days', ms: 30 * 24 * HOUR_MS },
  all: { label: 'All readings', ms: undefined },
} as const;
type Period = keyof typeof PERIODS;

/**
 * One patient's vital signs over a period: fetched as ciphertext, decrypted here,
 * one chart per kind with its table. Batches that do not open are listed with
 * their codes above the charts, which show everything that did open.
 */
export function PatientVitals({
  patient,
  label,
  source,
  keyring,
}: {
  readonly patient: PatientSummary;
  readonly label: string | undefined;
  readonly source: TelemetrySource;
  readonly keyring: TeamKeyring;
}) {
  const headingId = useId();
  const [period, setPeriod] = useState<Period>('week');
  const vitals = useResource(() => {
    const span = PERIODS[period].ms;
    const query = { pseudonym: patient.pseudonym };
    return loadPatientVitals(
      source,
      keyring,
      span === undefined ? query : { ...query, from: Date.now() - span },
    );
  }, [patient.pseudonym, period, source, keyring]);
  const data = vitals.data;
  const name = label ?? 'This patient';

  return (
    <section aria-labelledby={headingId} className="stack" data-testid="patient-vitals">
      <div className="section-heading">
        <h2 id={headingId}>{label ? `${label}: vital signs` : 'Vital signs'}</h2>
        <button type="button" className="secondary small" onClick={vitals.reload}>
          Refresh<span className="visually-hidden"> the vital signs</span>
        </button>
      </div>
      <p className="hint">
        Pseudonym <code className="pseudonym">{patient.pseudonym}</code>
      </p>
      <SelectField
        label="Period"
        className="narrow"
        value={period}
        onChange={(event) => setPeriod(event.target.value as Period)}
      >
        {Object.entries(PERIODS).map(([value, { label: text }]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </SelectField>
      <ErrorAlert error={vitals.error} />
      <div role="status" className="status-region">
        {vitals.loading ? (
          <p className="muted">Decrypting…</p>
        ) : data ? (
          <p data-testid="vitals-summary">
            {summary(name, data.readingCount, data.batchCount, data.failures.length)}
          </p>
        ) : null}
      </div>
      {data?.truncated ? (
        <p className="message message-warning">
          Only the oldest {data.batchCount} batches of this period are shown. Choose a shorter
          period to see the latest.
        </p>
      ) : null}
      {data && data.failures.length > 0 ? <BatchFailures failures={data.failures} /> : null}
      {data && data.notCharted > 0 ? (
        <p className="hint">
          {data.notCharted === 1 ? 'One reading is' : `${data.notCharted} readings are`} not
          charted: not a vital sign in a unit Vigil charts.
        </p>
      ) : null}
      {data?.charts.map((chart) => (
        <VitalChartFigure key={chart.kind} chart={chart} timeDomain={data.timeDomain} />
      ))}
    </section>
  );
}

function summary(name: string, readings: number, batches: number, failed: number): string {
  if (batches === 0) return `${name} has no readings in this period.`;
  const opened = `${readings} ${readings === 1 ? 'reading' : 'readings'} from ${batches - failed} of ${batches} ${batches === 1 ? 'batch' : 'batches'}`;
  return failed === 0 ? `${opened}.` : `${opened}; ${failed} could not be read (listed below).`;
}
