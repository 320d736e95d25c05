/** @module websocket/refusal — answers a refused upgrade with a plain HTTP response and drops the socket. */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorCode } from '@hostwire/protocol';

/** Why an upgrade is not answered with 101. */
export interface Refusal {
  status: number;
  code: ErrorCode;
  /** For the server log only (never sent: it may name internals). */
  reason: string;
  retryAfterSeconds?: number;
}

/**
 * Writes `HTTP/1.1 <status>` with a JSON error body (and `Retry-After` when given) on the raw socket,
 * then destroys it once written. Never a 101 followed by a close.
 */
export function writeRefusal(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: refusal.code, message: ERROR_CODES[refusal.code].message } });
  const headers = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
  ];
  if (refusal.retryAfterSeconds !== undefined)
    headers.push(`Retry-After: ${Math.max(1, Math.ceil(refusal.retryAfterSeconds))}`);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
