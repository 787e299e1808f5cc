import { can } from '../api/access.js';
import { PageHeading } from '../components/page-heading.js';
import { OrganisationPicker } from '../components/organisation-picker.js';
import { useMe } from '../session/session.js';
import { OrganisationVitals } from './vital-signs/organisation-vitals.js';

/**
 * A care organisation's patients and their vital signs (docs/telemetry.md
 * "Dashboard"). The server hands out only ciphertext and wrapped keys; this page
 * opens them with the clinician's own member key, imported from their keystore file
 * into this tab, and charts the readings. `data:read` (clinicians) sees it.
 */
export function VitalSignsPage() {
  const me = useMe();
  const readable = me.memberships.filter(
    (m) => m.organisation.kind === 'care' && can(m.role, 'data:read'),
  );
  return (
    <>
      <PageHeading>Vital signs</PageHeading>
      {readable.length === 0 ? (
        <p>
          Patients’ vital signs are shown to clinicians of a care organisation. Your role does not
          include reading them.
        </p>
      ) : (
        <OrganisationPicker memberships={readable}>
          {(membership) => (
            <OrganisationVitals key={membership.organisation.id} membership={membership} />
          )}
        </OrganisationPicker>
      )}
    </>
  );
}
