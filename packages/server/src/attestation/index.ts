/**
 * Genuine-hardware attestation for device models whose manufacturer requires it:
 * a secure element's factory certificate chain, a production-batch allow-list,
 * and a fresh server nonce signed by the element. See README.md in this folder.
 */
export {
  ATTESTATION_MESSAGE_PREFIX,
  ATTESTATION_NONCE_BYTES,
  attestationMessage,
  newAttestationNonce,
} from './attestation-message.js';
export {
  MAX_HARDWARE_SERIAL_LENGTH,
  hardwareSerialAllowList,
  normaliseHardwareSerial,
} from './hardware-serial.js';
export {
  MAX_CHAIN_CERTIFICATES,
  MAX_CHAIN_PEM_BYTES,
  verifyAttestation,
  type AttestationEvidence,
  type AttestationPolicy,
  type VerifiedAttestation,
} from './verify-attestation.js';
