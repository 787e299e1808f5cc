import { isVigilError } from '@vigil/core/errors';
import { ApiError, toApiError } from '../../api/api-error.js';

/** What to tell a clinician when their keystore does not open, by code (ADR 0011 §1). */
const ADVICE: Readonly<Record<string, string>> = {
  ERR_KEYSTORE_PASSPHRASE:
    'The passphrase is wrong, or the file was altered. Type the passphrase you chose when you ran “vigil keys init”.',
  ERR_KEYSTORE_MALFORMED:
    'This file is not a Vigil keystore. Choose the file “vigil keys init” wrote for you.',
  ERR_KEYSTORE_KDF_REFUSED:
    'This keystore asks for a weaker key derivation than Vigil accepts; it may have been tampered with. Do not use it.',
  ERR_KEYSTORE_ORGANISATION:
    'This keystore was made for another organisation. Choose that organisation above, or the keystore of this one.',
  ERR_KEYSTORE_KEY_MISSING:
    'This keystore holds no member key (perhaps only a signing key). Use the keystore with your member key.',
};

/** A keystore failure as the page's error region shows it: advice, then the code. */
export function keystoreError(error: unknown): ApiError {
  if (!isVigilError(error)) return toApiError(error);
  const advice = ADVICE[error.code] ?? error.message;
  return new ApiError({ code: error.code, status: 0, title: `${advice} (${error.code})` });
}
