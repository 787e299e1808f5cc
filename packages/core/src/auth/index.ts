export * from './password-policy.js';
export * from './lockout-policy.js';
export * from './totp.js';
export * from './base32.js';
export * from './secret-token.js';
export * from './session-policy.js';
