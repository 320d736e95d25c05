/** @module @hostwire/protocol — the one source of truth for every message, topic, and error/close code. */
export * from './common.js';
export * from './errors.js';
export * from './metrics.js';
export * from './glob.js';
export * from './containers.js';
export * from './alerts.js';
export * from './actions.js';
export * from './logs.js';
export * from './log-filter.js';
export * from './agent-messages.js';
export * from './client-messages.js';
export * from './api.js';
export * from './names.js';

/** The protocol revision; bumped on any incompatible change to a message. */
export const PROTOCOL_VERSION = 1;
