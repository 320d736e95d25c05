/** @module errors — the agent's exit codes and the one error class that carries them. */

/** Process exit codes of `hostwire-agent`, one per failure a user must tell apart. */
export const EXIT_CODES = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  INVALID_URL: 3,
  SERVER_UNREACHABLE: 4,
  UNAUTHORIZED: 5,
  REVOKED: 6,
  REPLACED: 7,
  INVALID_CONFIG: 8,
  SERVER_ERROR: 9,
  NOT_RUNNING: 10,
  DISCONNECTED: 11,
  STATE_DIR: 12,
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** An error that ends the program with a specific exit code and a message meant for a person. */
export class AgentExitError extends Error {
  readonly code: ExitCodeName;

  constructor(code: ExitCodeName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentExitError';
    this.code = code;
  }

  /** The numeric process exit code. */
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

/** Wraps anything thrown into an AgentExitError, keeping the original as `cause`. */
export function toAgentExitError(cause: unknown): AgentExitError {
  if (cause instanceof AgentExitError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new AgentExitError('INTERNAL', message, { cause });
}
