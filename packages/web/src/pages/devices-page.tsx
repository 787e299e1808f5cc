import { can } from '../api/access.js';
import { getDeviceCa, listDeviceModels, listDevices } from '../api/client.js';
import type { Membership } from '../api/types.js';
import { ErrorAlert } from '../components/error-alert.js';
import { OrganisationPicker } from '../components/organisation-picker.js';
import { PageHeading } from '../components/page-heading.js';
import { useResource } from '../components/use-resource.js';
import { useMe } from '../session/session.js';
import { DeviceCaPanel, NoDeviceCa } from './devices/device-ca-panel.js';
import { isCaMissing } from './devices/device-facts.js';
import { DeviceList } from './devices/device-list.js';
import { ENROLMENT_TOKENS_HEADING, EnrolmentTokens } from './devices/enrolment-tokens.js';

/**
 * The gateways of one organisation (docs/devices.md): their status,
 * certificate expiry and last check-in; the enrolment tokens they enrol with;
 * and the device CA's fingerprints. `devices:read` sees it all, and
 * `devices:manage` also quarantines, releases and revokes devices and makes
 * and revokes tokens.
 */
export function DevicesPage() {
  const me = useMe();
  const readable = me.memberships.filter((m) => can(m.role, 'devices:read'));
  return (
    <>
      <PageHeading>Devices</PageHeading>
      {readable.length === 0 ? (
        <p>Your role does not include seeing your organisation’s devices.</p>
      ) : (
        <OrganisationPicker memberships={readable}>
          {(membership) => (
            <OrganisationDevices key={membership.organisation.id} membership={membership} />
          )}
        </OrganisationPicker>
      )}
    </>
  );
}

function OrganisationDevices({ membership }: { readonly membership: Membership }) {
  const orgId = membership.organisation.id;
  const manage = can(membership.role, 'devices:manage');
  const ca = useResource(() => getDeviceCa(orgId), [orgId]);
  const devices = useResource(() => listDevices(orgId), [orgId]);
  const models = useResource(() => listDeviceModels(orgId), [orgId]);
  const caMissing = isCaMissing(ca.error);
  // One reading of the clock per render, so every row is judged against the same moment.
  const now = Date.now();

  const emptyState = (
    <div className="empty-state" data-testid="no-devices">
      <p>
        <strong>No device has enrolled yet.</strong>
      </p>
      <p>
        A gateway enrols itself: it makes its own key pair, then sends a certificate request with a
        one-time enrolment token to this server (EST, RFC 7030) and receives its certificate. Its
        private key never leaves it.
      </p>
      <p>
        {!manage
          ? 'Ask an admin or security engineer for a token; see '
          : caMissing
            ? 'Once the device CA exists, create a token under '
            : 'Create a token under '}
        <a
          href={`#${ENROLMENT_TOKENS_HEADING}`}
          onClick={(event) => {
            // Move focus (which scrolls) without touching the URL: the router owns it.
            event.preventDefault();
            document.getElementById(ENROLMENT_TOKENS_HEADING)?.focus();
          }}
        >
          Enrolment tokens
        </a>
        .
      </p>
    </div>
  );

  return (
    <div className="stack-lg">
      {manage ? null : (
        <p className="muted">Your role lets you see devices and tokens but not change them.</p>
      )}
      {caMissing ? <NoDeviceCa /> : null}
      <DeviceList
        orgId={orgId}
        devices={devices}
        manage={manage}
        now={now}
        emptyState={emptyState}
      />
      <EnrolmentTokens
        orgId={orgId}
        manage={manage}
        caMissing={caMissing}
        models={models.data?.models ?? []}
        now={now}
      />
      {ca.data ? <DeviceCaPanel ca={ca.data} now={now} /> : null}
      {ca.error && !caMissing ? (
        <section aria-labelledby="device-ca-heading">
          <h2 id="device-ca-heading">Device CA</h2>
          <ErrorAlert error={ca.error} />
        </section>
      ) : null}
      {models.error && !isCaMissing(models.error) ? <ErrorAlert error={models.error} /> : null}
    </div>
  );
}
