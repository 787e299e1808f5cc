export * from './roles.js';
export * from './organisation.js';
export * from './principal.js';
