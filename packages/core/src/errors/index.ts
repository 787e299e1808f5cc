export { VigilError, isVigilError } from './vigil-error.js';
export { ERROR_CODES, httpStatusOf, type ErrorCode } from './codes.js';
