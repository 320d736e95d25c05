/** @module http — the fetch wrapper every API call goes through: JSON in and out, typed errors. */
import { ApiErrorBody } from '@hostwire/protocol';
import { z } from 'zod';

/** A failed API call, carrying the server's error code and message (or a local one for network failures). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The message to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Options of one request. */
export interface RequestOptions<T> {
  body?: unknown;
  /** Parses the JSON response; without it the body is trusted as `T`. */
  schema?: z.core.$ZodType<T>;
  signal?: AbortSignal;
}

async function readError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const parsed = ApiErrorBody.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiError(response.status, code, message, details);
  }
  return new ApiError(
    response.status,
    'http_error',
    `${response.status} ${response.statusText || 'request failed'}`,
  );
}

/** Sends one request to the API and returns its parsed JSON body (undefined for 204). */
export async function request<T>(method: Method, path: string, options: RequestOptions<T> = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.');
  }
  if (!response.ok) throw await readError(response);
  if (response.status === 204) return undefined as T;
  const json: unknown = await response.json();
  if (!options.schema) return json as T;
  const result = z.safeParse(options.schema, json);
  if (!result.success) {
    throw new ApiError(
      response.status,
      'invalid_response',
      `Unexpected response from ${path}: ${result.error.message}`,
    );
  }
  return result.data;
}

/** Shorthands for the four verbs. */
export const http = {
  get: <T>(path: string, schema?: z.core.$ZodType<T>, signal?: AbortSignal) =>
    request<T>('GET', path, { schema, signal }),
  post: <T>(path: string, body?: unknown, schema?: z.core.$ZodType<T>) =>
    request<T>('POST', path, { body: body ?? {}, schema }),
  patch: <T>(path: string, body: unknown, schema?: z.core.$ZodType<T>) =>
    request<T>('PATCH', path, { body, schema }),
  delete: (path: string) => request<undefined>('DELETE', path),
};
