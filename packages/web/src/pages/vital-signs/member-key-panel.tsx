import { useId, useState } from 'react';
import { inputError } from '../../api/api-error.js';
import { ErrorAlert, Notice } from '../../components/error-alert.js';
import { Form, TextField } from '../../components/form.js';
import { useAction } from '../../components/use-action.js';
import { openMemberKey } from '../../keystore/import-keystore.js';
import { forgetMemberKey, holdMemberKey } from '../../keystore/member-key-store.js';
import type { MemberKey } from '../../keystore/member-key.js';
import { keystoreError } from './keystore-errors.js';

/** Larger files are refused before reading: a keystore with a few keys is about 1 KiB. */
const MAX_KEYSTORE_BYTES = 64 * 1024;

/**
 * The clinician's key for one organisation: import it from their keystore file, or
 * see which key is open and forget it. The passphrase and the file's text are used
 * once and dropped; the key is kept as a non-extractable WebCrypto key in this browser
 * for the signed-in person only (keystore/member-key-store.ts).
 */
export function MemberKeyPanel({
  organisationId,
  memberKey,
}: {
  readonly organisationId: string;
  readonly memberKey: MemberKey | undefined;
}) {
  const headingId = useId();
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section aria-labelledby={headingId} className="panel stack" data-testid="member-key">
      <h2 id={headingId}>Your key</h2>
      <Notice>{notice}</Notice>
      {memberKey ? (
        <HeldKey
          memberKey={memberKey}
          onForget={() => {
            void forgetMemberKey(organisationId);
            setNotice(
              'Your key is forgotten in this browser. Import it again to read vital signs.',
            );
          }}
        />
      ) : (
        <ImportKeystore
          organisationId={organisationId}
          onImported={() => setNotice('Your key is open. Choose a patient below.')}
        />
      )}
    </section>
  );
}

function HeldKey({
  memberKey,
  onForget,
}: {
  readonly memberKey: MemberKey;
  readonly onForget: () => void;
}) {
  return (
    <>
      <p>
        Your member key <code className="fingerprint">{memberKey.kid}</code> is open in this
        browser. Readings are decrypted here, in your browser; the server never sees your key or the
        readings.
      </p>
      <p className="hint">
        It is kept in this browser as a key that page scripts can use but never read out, for you
        only; signing out or “Forget key” deletes it.
      </p>
      <div className="actions">
        <button type="button" className="secondary" onClick={onForget}>
          Forget key
        </button>
      </div>
    </>
  );
}

function ImportKeystore({
  organisationId,
  onImported,
}: {
  readonly organisationId: string;
  readonly onImported: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const action = useAction();

  async function submit() {
    if (file === null) {
      action.setError(inputError('Choose your keystore file.'));
      return;
    }
    if (file.size > MAX_KEYSTORE_BYTES) {
      action.setError(inputError('This file is too large to be a Vigil keystore.'));
      return;
    }
    const key = await action.run(async () => {
      try {
        return await openMemberKey(await file.text(), passphrase, organisationId);
      } catch (error) {
        throw keystoreError(error);
      }
    });
    setPassphrase('');
    if (key === undefined) return;
    await holdMemberKey(organisationId, key);
    onImported();
  }

  return (
    <>
      <p>
        To read patients’ readings, open your keystore: the file <code>vigil keys init</code> wrote
        for you, sealed with your passphrase. It is opened in this browser and never uploaded.
      </p>
      <ErrorAlert error={action.error} />
      <Form onSubmit={submit} className="stack" aria-label="Open your keystore">
        <TextField
          label="Keystore file"
          type="file"
          required
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        <TextField
          label="Passphrase"
          className="narrow"
          type="password"
          autoComplete="off"
          required
          value={passphrase}
          onChange={(event) => setPassphrase(event.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            {action.busy ? 'Opening…' : 'Open keystore'}
          </button>
        </div>
      </Form>
    </>
  );
}
