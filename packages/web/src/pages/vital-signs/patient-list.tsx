import type { ApiError } from '../../api/api-error.js';
import type { PatientSummary } from '../../api/types.js';
import { ErrorAlert } from '../../components/error-alert.js';
import { formatTime, isoTime } from '../../components/format.js';
import { MissingValue } from '../../components/missing-value.js';
import type { Resource } from '../../components/use-resource.js';
import type { TelemetryFailure } from '../../telemetry/telemetry-failure.js';

/**
 * The patients (pseudonyms) with readings. The server knows only pseudonyms; the
 * P-labels come from the gateways' staff tables, opened in this browser.
 */
export function PatientList({
  patients,
  labels,
  labelError,
  tableFailures,
  selected,
  onChoose,
}: {
  readonly patients: Resource<{ pseudonyms: PatientSummary[]; truncated: boolean }>;
  readonly labels: ReadonlyMap<string, string> | undefined;
  readonly labelError: ApiError | null;
  readonly tableFailures: readonly { deviceId: string; failure: TelemetryFailure }[];
  readonly selected: string | null;
  readonly onChoose: (pseudonym: string) => void;
}) {
  const list = patients.data?.pseudonyms;
  return (
    <section aria-labelledby="patients-heading" className="stack">
      <div className="section-heading">
        <h2 id="patients-heading">Patients</h2>
        <button type="button" className="secondary small" onClick={patients.reload}>
          Refresh<span className="visually-hidden"> the patient list</span>
        </button>
      </div>
      <ErrorAlert error={patients.error ?? labelError} />
      {tableFailures.length > 0 ? (
        <div className="message message-warning" data-testid="table-failures">
          <p>Some patient labels are missing: a gateway’s pseudonym table did not open.</p>
          <ul>
            {tableFailures.map(({ deviceId, failure }) => (
              <li key={deviceId}>
                Gateway <code>{deviceId}</code>: <code>{failure.code}</code> — {failure.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {patients.loading && !list ? <p className="muted">Loading…</p> : null}
      {patients.data?.truncated ? (
        <p className="message message-warning">
          Only the first {list?.length} patients are listed (in pseudonym order).
        </p>
      ) : null}
      {list?.length === 0 ? (
        <div className="empty-state">
          <p>
            <strong>No readings yet.</strong>
          </p>
          <p>Patients appear here once their gateway has uploaded readings.</p>
        </div>
      ) : null}
      {list && list.length > 0 ? (
        <div className="table-scroll">
          <table className="table patients-table">
            <thead>
              <tr>
                <th scope="col">Patient</th>
                <th scope="col">Pseudonym</th>
                <th scope="col">Batches</th>
                <th scope="col">First reading</th>
                <th scope="col">Last reading</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((patient) => {
                const label = labels?.get(patient.pseudonym);
                const name = label ?? `patient ${patient.pseudonym.slice(0, 12)}…`;
                const current = patient.pseudonym === selected;
                return (
                  <tr key={patient.pseudonym} aria-current={current ? 'true' : undefined}>
                    <th scope="row">
                      {label ?? <MissingValue label="No label (open your keystore)" />}
                    </th>
                    <td>
                      <code className="pseudonym">{patient.pseudonym}</code>
                    </td>
                    <td>{patient.batches}</td>
                    <td className="nowrap">
                      <time dateTime={isoTime(patient.first)}>{formatTime(patient.first)}</time>
                    </td>
                    <td className="nowrap">
                      <time dateTime={isoTime(patient.last)}>{formatTime(patient.last)}</time>
                    </td>
                    <td>
                      <button
                        type="button"
                        className={current ? 'primary small' : 'secondary small'}
                        aria-pressed={current}
                        onClick={() => onChoose(patient.pseudonym)}
                      >
                        Show vital signs<span className="visually-hidden"> of {name}</span>
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
