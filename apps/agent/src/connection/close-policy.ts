/** @module connection/close-policy — which refusals and closes end the agent, and which it retries. */
import { CLOSE_CODES, parseRetryHint } from '@hostwire/protocol/agent';
import type { ExitCodeName } from '../errors.js';

/** What to do after a connection attempt ended. */
export type Disconnect =
  { kind: 'fatal'; exit: ExitCodeName; message: string } | { kind: 'retry'; reason: string; hintMs?: number };

function hintMs(text: string | undefined | null): number | undefined {
  const seconds = parseRetryHint(text);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** Classifies an HTTP status that refused the WebSocket upgrade. */
export function classifyUpgradeRefusal(status: number, retryAfter: string | undefined): Disconnect {
  if (status === 401) {
    return {
      kind: 'fatal',
      exit: 'UNAUTHORIZED',
      message:
        'The server rejected the agent token (HTTP 401). Enroll this host again with a new enrollment token.',
    };
  }
  if (status === 403) {
    return {
      kind: 'fatal',
      exit: 'REVOKED',
      message:
        'The server refused this host (HTTP 403): it was deleted or its token revoked. Enroll it again.',
    };
  }
  return { kind: 'retry', reason: `upgrade refused with HTTP ${status}`, hintMs: hintMs(retryAfter) };
}

/** Classifies a close frame (code and reason) received from the server. */
export function classifyClose(code: number, reason: string): Disconnect {
  if (code === CLOSE_CODES.REPLACED) {
    return {
      kind: 'fatal',
      exit: 'REPLACED',
      message:
        'Another agent connected as this host (close 4000). Stopping so the two do not fight over the connection.',
    };
  }
  if (code === CLOSE_CODES.CREDENTIALS_REVOKED) {
    return {
      kind: 'fatal',
      exit: 'REVOKED',
      message: "The server revoked this agent's credentials (close 4001). Enroll this host again.",
    };
  }
  const detail = reason ? `${code} ${reason}` : String(code);
  return { kind: 'retry', reason: `connection closed (${detail})`, hintMs: hintMs(reason) };
}
