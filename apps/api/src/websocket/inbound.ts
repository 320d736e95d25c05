/** @module websocket/inbound — every received frame: rate limit, binary refusal, JSON and schema checks. */
import { CLOSE_CODES, RequestId, type ErrorCode } from '@hostwire/protocol';
import type { RawData } from 'ws';
import { z } from 'zod';
import { describeZodError } from '../errors.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { Connection } from './connection.js';
import { MessageRateLimit } from './limits.js';

const MAX_ERROR_MESSAGE_LENGTH = 500;

/** Sends `{type:"error", id?, code, message}` on a connection. */
export function sendError(connection: Connection, code: ErrorCode, message: string, id?: string): void {
  connection.send(id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message });
}

/** The request id of a raw parsed frame, when it has a valid one (to answer even an invalid frame). */
function requestIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'id')) return undefined;
  const id = (value as { id?: unknown }).id;
  return RequestId.safeParse(id).success ? (id as string) : undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export interface InboundLimits {
  messagesPerSecond: number;
  maxInvalidMessages: number;
  /** When set (agent sockets), the budget counts bytes per second instead of frames. */
  bytesPerSecond?: number;
}

/** Refused frames within 10 s before an agent over its byte budget is closed with 1008. */
const AGENT_ABUSE_REFUSALS = 200;

/**
 * Validates one connection's incoming frames against `schema`. Invalid JSON or schema → `error`
 * `invalid_message` (with the frame's id when it had one); more than `maxInvalidMessages` → close 1008.
 * Over the message rate → `error` `rate_limited`; ignoring that → close 1008. Binary → close 1003.
 * Only zod's output (unknown keys stripped) reaches the handlers, so `__proto__` and friends do nothing.
 */
export class InboundGuard<S extends z.core.$ZodType> {
  private invalid = 0;
  private readonly rate: MessageRateLimit;

  constructor(
    private readonly connection: Connection,
    private readonly schema: S,
    private readonly limits: InboundLimits,
    private readonly metrics: ServerMetrics,
  ) {
    this.rate =
      limits.bytesPerSecond === undefined
        ? new MessageRateLimit(limits.messagesPerSecond)
        : new MessageRateLimit(limits.bytesPerSecond, Date.now, AGENT_ABUSE_REFUSALS);
  }

  /** The validated message, or undefined when the frame was answered with an error or closed the socket. */
  accept(data: RawData, isBinary: boolean): z.infer<S> | undefined {
    const { connection, metrics } = this;
    const kind = connection.kind;
    if (!connection.isOpen) return undefined;
    const buffer = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    metrics.bytesIn.inc({ kind }, buffer.length);
    if (isBinary) {
      metrics.framesIn.inc({ kind, type: 'binary' });
      connection.close(CLOSE_CODES.UNSUPPORTED_DATA, 'binary frames are not accepted');
      return undefined;
    }
    const json = parseJson(buffer.toString('utf8'));
    const id = json.ok ? requestIdOf(json.value) : undefined;

    const rate = this.rate.take(this.limits.bytesPerSecond === undefined ? 1 : buffer.length);
    if (rate !== 'ok') {
      metrics.framesIn.inc({ kind, type: 'rate_limited' });
      if (rate === 'abusive') connection.close(CLOSE_CODES.POLICY_VIOLATION, 'message rate limit exceeded');
      else
        sendError(
          connection,
          'rate_limited',
          this.limits.bytesPerSecond === undefined
            ? `More than ${this.limits.messagesPerSecond} messages per second`
            : `More than ${this.limits.bytesPerSecond} bytes per second`,
          id,
        );
      return undefined;
    }
    if (!json.ok) return this.refuse('The frame is not valid JSON', undefined);
    const parsed = z.safeParse(this.schema, json.value);
    if (!parsed.success)
      return this.refuse(describeZodError(parsed.error).slice(0, MAX_ERROR_MESSAGE_LENGTH), id);
    const message: z.infer<S> = parsed.data;
    metrics.framesIn.inc({ kind, type: (message as { type?: string }).type ?? 'other' });
    return message;
  }

  private refuse(message: string, id: string | undefined): undefined {
    this.metrics.framesIn.inc({ kind: this.connection.kind, type: 'invalid' });
    this.invalid += 1;
    sendError(this.connection, 'invalid_message', message, id);
    if (this.invalid > this.limits.maxInvalidMessages) {
      this.connection.close(CLOSE_CODES.POLICY_VIOLATION, 'too many invalid messages');
    }
    return undefined;
  }
}
