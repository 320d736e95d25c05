/** @module @hostwire/agent — programmatic entry points (the CLI is `bin.ts`). */
export { runAgent } from './agent.js';
export type { RunAgentOptions } from './agent.js';
export { AgentConfig } from './config/schema.js';
export type { AgentConfigInput } from './config/schema.js';
export {
  defaultConfigPath,
  loadAgentConfig,
  parseAgentConfig,
  resolveStateDir,
  writeAgentConfig,
} from './config/load.js';
export { enroll } from './cli/enroll.js';
export { main } from './cli/program.js';
export { AgentExitError, EXIT_CODES } from './errors.js';
export { createLogger, silentLogger } from './log.js';
export { readStatus } from './state/status-file.js';
