import { can, ROLE_LABELS } from '../api/access.js';
import { PageHeading } from '../components/page-heading.js';
import { Link } from '../router/router.js';
import { useMe } from '../session/session.js';

const KIND_LABELS: Record<string, string> = {
  manufacturer: 'Device manufacturer',
  care: 'Care organisation',
};

/** The landing page. Fleet views (devices, releases, SBOMs, telemetry) will live here. */
export function HomePage() {
  const me = useMe();
  const admin = me.memberships.some((m) => can(m.role, 'users:manage'));
  const devices = me.memberships.some((m) => can(m.role, 'devices:read'));
  const vitals = me.memberships.some(
    (m) => m.organisation.kind === 'care' && can(m.role, 'data:read'),
  );
  return (
    <>
      <PageHeading>Welcome, {me.user.name}</PageHeading>
      <section className="empty-state" aria-labelledby="fleet-heading">
        <h2 id="fleet-heading">Your fleet will appear here</h2>
        <p>
          Devices, releases, software bills of materials and telemetry will be listed here as they
          are added to Vigil.
        </p>
        {devices ? (
          <p>
            Enrolled gateways and their enrolment tokens are on the{' '}
            <Link to="/devices">Devices</Link> page.
          </p>
        ) : null}
        {vitals ? (
          <p>
            Your patients’ readings, decrypted in your browser, are on the{' '}
            <Link to="/vital-signs">Vital signs</Link> page.
          </p>
        ) : null}
        {admin ? (
          <p>
            Meanwhile, invite your team on the <Link to="/users">Users</Link> page.
          </p>
        ) : null}
      </section>
      <section aria-labelledby="orgs-heading">
        <h2 id="orgs-heading">Your organisations</h2>
        {me.memberships.length === 0 ? (
          <p className="muted">You do not belong to any organisation yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Organisation</th>
                <th scope="col">Kind</th>
                <th scope="col">Your role</th>
              </tr>
            </thead>
            <tbody>
              {me.memberships.map((m) => (
                <tr key={m.organisation.id}>
                  <td>{m.organisation.name}</td>
                  <td>{KIND_LABELS[m.organisation.kind] ?? m.organisation.kind}</td>
                  <td>{ROLE_LABELS[m.role]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
