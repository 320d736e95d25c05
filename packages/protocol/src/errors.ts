/** @module errors — every error code, with its HTTP status, and every WebSocket close code. */

/**
 * Error codes shared by the HTTP API (`{"error":{"code","message"}}`) and both sockets
 * (`{"type":"error","code",...}`). `status` is the HTTP status; `close` is the WebSocket close code
 * used when the error ends a connection (undefined: the error is answered and the socket stays open).
 */
export const ERROR_CODES = {
  bad_request: { status: 400, close: undefined, message: 'The request is malformed' },
  invalid_message: { status: 400, close: undefined, message: 'The message does not match the protocol' },
  invalid_params: { status: 400, close: undefined, message: 'The action parameters are invalid' },
  unauthorized: { status: 401, close: 4001, message: 'Authentication is required' },
  totp_required: { status: 401, close: undefined, message: 'A two-factor code is required' },
  credentials_revoked: { status: 403, close: 4001, message: 'The credentials were revoked or expired' },
  forbidden: { status: 403, close: undefined, message: 'You are not allowed to do this' },
  instance_admin_only: {
    status: 403,
    close: undefined,
    message: 'Only an instance administrator may do this',
  },
  token_not_allowed: {
    status: 403,
    close: undefined,
    message: 'API tokens cannot do this: it needs a signed-in person',
  },
  origin_not_allowed: { status: 403, close: undefined, message: 'The request origin is not allowed' },
  target_not_allowed: {
    status: 400,
    close: undefined,
    message: 'The target is not a public address; an operator can allow it with OUTBOUND_ALLOW',
  },
  not_found: { status: 404, close: undefined, message: 'Not found' },
  unknown_source: { status: 404, close: undefined, message: 'The host does not offer this log source' },
  unknown_action: { status: 404, close: undefined, message: 'The host does not offer this action' },
  conflict: { status: 409, close: undefined, message: 'The request conflicts with the current state' },
  payload_too_large: { status: 413, close: 1009, message: 'The message is too big' },
  rate_limited: { status: 429, close: 1008, message: 'Too many requests' },
  limit_reached: { status: 429, close: undefined, message: 'A limit was reached' },
  agent_offline: { status: 409, close: undefined, message: 'The host agent is not connected' },
  policy_violation: { status: 400, close: 1008, message: 'Too many invalid messages' },
  hello_required: { status: 400, close: 1008, message: 'An agent must send hello before any other frame' },
  unsupported_data: { status: 400, close: 1003, message: 'Binary frames are not accepted' },
  slow_consumer: { status: 503, close: 4008, message: 'The connection could not keep up' },
  unavailable: { status: 503, close: 1001, message: 'The service is unavailable' },
  internal: { status: 500, close: 1011, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** WebSocket close codes used by Hostwire (RFC 6455 §7.4 plus the application range 4000-4999). */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  REPLACED: 4000,
  CREDENTIALS_REVOKED: 4001,
  SLOW_CONSUMER: 4008,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** A close reason may carry a reconnect hint, `retry-after=<seconds>`, that clients treat as a minimum delay. */
export function formatRetryHint(seconds: number): string {
  return `retry-after=${Math.max(0, Math.ceil(seconds))}`;
}

/** Reads `retry-after=<seconds>` from a close reason (or a bare number from a `Retry-After` header). */
export function parseRetryHint(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const match = /^(?:retry-after=)?(\d{1,6})$/.exec(text.trim());
  return match?.[1] !== undefined ? Number(match[1]) : undefined;
}
