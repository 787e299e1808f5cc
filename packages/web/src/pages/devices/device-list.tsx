import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { setDeviceStatus } from '../../api/client.js';
import type { Device, DeviceAction } from '../../api/types.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorAlert, Notice } from '../../components/error-alert.js';
import { formatDate, formatRelative, formatTime, isoTime } from '../../components/format.js';
import { MissingValue } from '../../components/missing-value.js';
import { useAction } from '../../components/use-action.js';
import type { Resource } from '../../components/use-resource.js';
import { NoDeviceCa } from './device-ca-panel.js';
import { deviceLabel, expiryOf, isCaMissing, STATUS_LABELS } from './device-facts.js';

/** What each action does, in the confirmation and afterwards (docs/devices.md "Device API"). */
const ACTIONS: Record<
  DeviceAction,
  {
    readonly verb: string;
    readonly danger: boolean;
    readonly explain: ReactNode;
    readonly done: (label: string) => string;
  }
> = {
  quarantine: {
    verb: 'Quarantine',
    danger: true,
    explain: (
      <p>
        It may still check in and fetch updates, but every other request is refused until you
        release it. Use this while you look into a device you no longer trust.
      </p>
    ),
    done: (label) => `${label} is quarantined: it may only check in and fetch updates.`,
  },
  release: {
    verb: 'Release',
    danger: false,
    explain: <p>It may use the whole device API again from its next request.</p>,
    done: (label) => `${label} is released from quarantine.`,
  },
  revoke: {
    verb: 'Revoke',
    danger: true,
    explain: (
      <>
        <p>
          <strong>
            It is refused at once on every request and listed in the CRL; this cannot be undone.
          </strong>
        </p>
        <p>To use the gateway again, enrol it afresh with a new enrolment token.</p>
      </>
    ),
    done: (label) => `${label} is revoked; its certificate is listed in the CRL.`,
  },
};

/** The actions a device in this state can take: a revoked device stays revoked. */
function actionsFor(device: Device): DeviceAction[] {
  switch (device.status) {
    case 'active':
      return ['quarantine', 'revoke'];
    case 'quarantined':
      return ['release', 'revoke'];
    case 'revoked':
      return [];
  }
}

/**
 * The organisation's devices with status, certificate expiry and last
 * check-in; for `devices:manage`, quarantine, release and revoke, each
 * behind a confirmation.
 */
export function DeviceList({
  orgId,
  devices,
  manage,
  now,
  emptyState,
}: {
  readonly orgId: string;
  readonly devices: Resource<{ devices: Device[] }>;
  readonly manage: boolean;
  readonly now: number;
  /** Shown when no device has enrolled yet. */
  readonly emptyState: ReactNode;
}) {
  const action = useAction();
  const [pending, setPending] = useState<{ action: DeviceAction; device: Device } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const acted = useRef(false);
  const list = devices.data?.devices;

  // A revoked device loses its action buttons: focus, which was on one, would
  // fall to the top of the document. Once the list reloads after an action,
  // put it on the section's heading instead.
  useEffect(() => {
    if (!acted.current || list === undefined) return;
    acted.current = false;
    const active = document.activeElement;
    if (active === null || active === document.body) heading.current?.focus();
  }, [list]);

  async function confirm() {
    if (pending === null) return;
    const label = deviceLabel(pending.device);
    const kind = pending.action;
    setNotice(null);
    const updated = await action.run(() => setDeviceStatus(orgId, pending.device.id, kind));
    setPending(null);
    if (updated) {
      acted.current = true;
      setNotice(ACTIONS[kind].done(label));
    }
    devices.reload();
  }

  const error = action.error ?? devices.error;
  return (
    <section aria-labelledby="devices-heading" className="stack">
      <div className="section-heading">
        <h2 id="devices-heading" ref={heading} tabIndex={-1}>
          Enrolled devices
        </h2>
        <button type="button" className="secondary small" onClick={devices.reload}>
          Refresh<span className="visually-hidden"> the device list</span>
        </button>
      </div>
      {isCaMissing(error) ? <NoDeviceCa /> : <ErrorAlert error={error} />}
      <Notice>{notice}</Notice>
      {devices.loading && !list ? <p className="muted">Loading…</p> : null}
      {list?.length === 0 ? emptyState : null}
      {list && list.length > 0 ? (
        <div className="table-scroll">
          <table className="table devices-table">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Serial number</th>
                <th scope="col">Site</th>
                <th scope="col">Status</th>
                <th scope="col">Hardware attested</th>
                <th scope="col">Certificate expires</th>
                <th scope="col">Last seen</th>
                <th scope="col">Software</th>
                {manage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.map((device) => (
                <DeviceRow
                  key={device.id}
                  device={device}
                  manage={manage}
                  now={now}
                  onAction={(kind) => setPending({ action: kind, device })}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {pending ? (
        <ConfirmDialog
          title={`${ACTIONS[pending.action].verb} ${deviceLabel(pending.device)}?`}
          confirmLabel={ACTIONS[pending.action].verb}
          danger={ACTIONS[pending.action].danger}
          busy={action.busy}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
        >
          {ACTIONS[pending.action].explain}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function DeviceRow({
  device,
  manage,
  now,
  onAction,
}: {
  readonly device: Device;
  readonly manage: boolean;
  readonly now: number;
  readonly onAction: (action: DeviceAction) => void;
}) {
  const label = deviceLabel(device);
  // A revoked device's certificate no longer matters: no warning for it.
  const expiry = device.status === 'revoked' ? 'ok' : expiryOf(device.certNotAfter, now);
  return (
    <tr>
      <td className="nowrap">
        {device.model}
        {device.hardwareRevision ? (
          <span className="hint"> rev. {device.hardwareRevision}</span>
        ) : null}
      </td>
      <td className="nowrap">{device.serialNumber ?? <span className="muted">None given</span>}</td>
      <td>{device.site ?? <MissingValue label="No site" />}</td>
      <td>
        <span className={`badge badge-${device.status}`}>{STATUS_LABELS[device.status]}</span>
      </td>
      <td>{device.hardwareAttested ? 'Yes' : 'No'}</td>
      <td className="nowrap">
        <time dateTime={isoTime(device.certNotAfter)} title={formatTime(device.certNotAfter)}>
          {formatDate(device.certNotAfter)}
        </time>
        {expiry === 'ok' ? null : (
          <span className={`expiry expiry-${expiry}`}>
            {expiry === 'expired'
              ? 'Expired'
              : `Expires ${formatRelative(device.certNotAfter, now)}`}
          </span>
        )}
      </td>
      <td className="nowrap">
        {device.lastSeenAt === null ? (
          'Never'
        ) : (
          <time dateTime={isoTime(device.lastSeenAt)} title={formatTime(device.lastSeenAt)}>
            {formatRelative(device.lastSeenAt, now)}
          </time>
        )}
      </td>
      <td>{device.softwareVersion ?? <MissingValue label="Not reported" />}</td>
      {manage ? (
        <td>
          <div className="row-actions">
            {actionsFor(device).map((kind, index) => (
              // Keyed by position: after Quarantine the same button becomes Release and keeps focus.
              <button
                key={index}
                type="button"
                className={kind === 'release' ? 'secondary small' : 'danger-outline small'}
                onClick={() => onAction(kind)}
              >
                {ACTIONS[kind].verb}
                <span className="visually-hidden"> {label}</span>
              </button>
            ))}
          </div>
        </td>
      ) : null}
    </tr>
  );
}
