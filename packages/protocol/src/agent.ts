/**
 * @module @hostwire/protocol/agent — what the agent needs at runtime: the agent socket's frames and the
 * schemas and rules they are made of. Leaves out the client socket (client-messages), the HTTP shapes
 * (api) and the log filter's RE2 engine (`@hostwire/protocol/log-filter`, loaded on demand), so the
 * agent neither loads nor compiles them. Everything here is also exported by `@hostwire/protocol`.
 */
export * from './common.js';
export * from './errors.js';
export * from './metrics.js';
export * from './glob.js';
export * from './containers.js';
export * from './actions.js';
export * from './logs.js';
export * from './agent-messages.js';
