import { useState } from 'react';
import { createEnrolmentToken } from '../../api/client.js';
import type { CreatedEnrolmentToken, DeviceModel } from '../../api/types.js';
import { ErrorAlert } from '../../components/error-alert.js';
import { Form, TextField } from '../../components/form.js';
import { useAction } from '../../components/use-action.js';
import { NoDeviceCa } from './device-ca-panel.js';
import { isCaMissing } from './device-facts.js';

/** The server's bounds (device-routes.ts): 1–10 000 devices, 1–720 hours (30 days). */
const MAX_COUNT = 10_000;
const MAX_HOURS = 720;

/**
 * Creates an enrolment token for one device or a batch. The model is free
 * text; models the organisation has configured (attestation policy) are
 * offered as suggestions.
 */
export function EnrolmentTokenForm({
  orgId,
  models,
  onCreated,
}: {
  readonly orgId: string;
  readonly models: readonly DeviceModel[];
  readonly onCreated: (token: CreatedEnrolmentToken) => void;
}) {
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [site, setSite] = useState('');
  const [count, setCount] = useState('1');
  const [hours, setHours] = useState('24');
  const action = useAction();

  async function submit() {
    const trimmedSite = site.trim();
    const created = await action.run(() =>
      createEnrolmentToken(orgId, {
        name: name.trim(),
        model: model.trim(),
        ...(trimmedSite ? { site: trimmedSite } : {}),
        count: Number(count),
        expiresInHours: Number(hours),
      }),
    );
    if (!created) return;
    setName('');
    setSite('');
    setCount('1');
    onCreated(created);
  }

  return (
    <section aria-labelledby="create-enrolment-token-heading" className="panel">
      <h2 id="create-enrolment-token-heading">Create an enrolment token</h2>
      {isCaMissing(action.error) ? <NoDeviceCa /> : <ErrorAlert error={action.error} />}
      <Form onSubmit={submit} className="form-grid">
        <TextField
          label="Name"
          hint="What it is for, e.g. “Line 2, batch 2026-14”."
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={200}
          autoComplete="off"
        />
        <TextField
          label="Device model"
          hint={models.length > 0 ? 'Choose a configured model or type one.' : 'E.g. “gateway-1”.'}
          value={model}
          onChange={(e) => setModel(e.target.value)}
          required
          maxLength={100}
          autoComplete="off"
          list={models.length > 0 ? 'device-model-options' : undefined}
        />
        <TextField
          label="Site (optional)"
          hint="Where the devices will be installed."
          value={site}
          onChange={(e) => setSite(e.target.value)}
          maxLength={100}
          autoComplete="off"
        />
        <TextField
          label="Number of devices"
          hint={`1 to ${MAX_COUNT.toLocaleString()}: each enrolment uses it once.`}
          type="number"
          min={1}
          max={MAX_COUNT}
          step={1}
          value={count}
          onChange={(e) => setCount(e.target.value)}
          required
        />
        <TextField
          label="Valid for (hours)"
          hint={`1 to ${MAX_HOURS} (30 days).`}
          type="number"
          min={1}
          max={MAX_HOURS}
          step={1}
          value={hours}
          onChange={(e) => setHours(e.target.value)}
          required
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            Create enrolment token
          </button>
        </div>
      </Form>
      {models.length > 0 ? (
        <datalist id="device-model-options">
          {models.map((m) => (
            <option key={m.id} value={m.name}>
              {m.attestationRequired ? 'requires hardware attestation' : undefined}
            </option>
          ))}
        </datalist>
      ) : null}
    </section>
  );
}
