import { useMemo } from 'react';
import type { Membership } from '../../api/types.js';
import { ErrorAlert } from '../../components/error-alert.js';
import { useResource } from '../../components/use-resource.js';
import { useMemberKey } from '../../keystore/member-key-store.js';
import { setQuery, useLocation } from '../../router/router.js';
import { patientLabels } from '../../telemetry/pseudonym-labels.js';
import { TeamKeyring } from '../../telemetry/team-keyring.js';
import { apiTelemetrySource, listAllPatients } from '../../telemetry/telemetry-source.js';
import { MemberKeyPanel } from './member-key-panel.js';
import { PatientList } from './patient-list.js';
import { PatientVitals } from './patient-vitals.js';

/**
 * One care organisation: the clinician's key, the patients with readings (labelled
 * P1, P2, … once the key opens the gateways' pseudonym tables) and, for the patient
 * chosen (`?patient=<pseudonym>` in the URL), their charts.
 */
export function OrganisationVitals({ membership }: { readonly membership: Membership }) {
  const orgId = membership.organisation.id;
  const memberKey = useMemberKey(orgId);
  const { query } = useLocation();
  const source = useMemo(() => apiTelemetrySource(orgId), [orgId]);
  // One keyring per key: team and data keys are unwrapped once while the key is open.
  const keyring = useMemo(
    () => (memberKey ? new TeamKeyring(memberKey, source) : undefined),
    [memberKey, source],
  );
  const patients = useResource(() => listAllPatients(orgId), [orgId]);
  const labels = useResource(
    async () => (keyring ? patientLabels(keyring, await source.pseudonymTables()) : undefined),
    [keyring, source],
  );

  const selected = query.get('patient');
  const patient = patients.data?.pseudonyms.find((p) => p.pseudonym === selected);

  function choose(pseudonym: string | null) {
    const next = new URLSearchParams(query);
    if (pseudonym === null) next.delete('patient');
    else next.set('patient', pseudonym);
    setQuery(next);
  }

  return (
    <div className="stack-lg">
      <MemberKeyPanel organisationId={orgId} memberKey={memberKey} />
      <PatientList
        patients={patients}
        labels={labels.data?.byPseudonym}
        labelError={labels.error}
        tableFailures={labels.data?.failures ?? []}
        selected={patient?.pseudonym ?? null}
        onChoose={choose}
      />
      {selected !== null && patients.data && patient === undefined ? (
        <ErrorAlert error="This patient has no readings in this organisation." />
      ) : null}
      {patient ? (
        keyring ? (
          <PatientVitals
            key={`${patient.pseudonym} ${memberKey?.kid ?? ''}`}
            patient={patient}
            label={labels.data?.byPseudonym.get(patient.pseudonym)}
            source={source}
            keyring={keyring}
          />
        ) : (
          <p className="message message-info" data-testid="key-needed">
            Open your keystore above to read this patient’s vital signs.
          </p>
        )
      ) : null}
    </div>
  );
}
