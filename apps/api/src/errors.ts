/** @module errors — the one error class of the API, carrying a code from the protocol's ERROR_CODES table. */
import { ERROR_CODES, type ErrorCode } from '@hostwire/protocol';
import { z } from 'zod';

/** An expected failure with a stable code; the code decides the HTTP status and the WebSocket close code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code].message,
    readonly details?: unknown,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly retryAfterSeconds: number | undefined;

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get closeCode(): number | undefined {
    return ERROR_CODES[this.code].close;
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Wraps anything thrown into an ApiError, keeping the original as `cause` (and its stack). */
export function toApiError(cause: unknown): ApiError {
  if (cause instanceof ApiError) return cause;
  if (cause instanceof z.core.$ZodError) {
    return new ApiError('bad_request', describeZodError(cause), cause.issues, { cause });
  }
  return new ApiError('internal', ERROR_CODES.internal.message, undefined, { cause });
}

/** One readable sentence from zod issues: `email: Invalid email; password: Too small`. */
export function describeZodError(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Parses `input` with `schema` (classic zod or zod/mini, as the agent-facing protocol modules are) or
 * throws a 400 `bad_request` listing the zod issues.
 */
export function parseOrThrow<T extends z.core.$ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = z.safeParse(schema, input);
  if (!result.success) throw new ApiError('bad_request', describeZodError(result.error), result.error.issues);
  return result.data;
}
