/** @module http/error-handler — renders every failure as `{"error":{"code","message"}}` with its status. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { redactUrl } from '../logger.js';
import { ApiError, toApiError } from '../errors.js';
import { scrubSecrets } from '../scrub.js';

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new ApiError('not_found', `No route for ${req.method} ${req.path}`));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (cause: unknown, req, res, _next) => {
    const error = bodyParserError(cause) ?? decodingError(cause) ?? toApiError(cause);
    if (error.status >= 500)
      logger.error({ err: cause, method: req.method, url: redactUrl(req.originalUrl) }, 'request failed');
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    if (res.headersSent) return;
    // No answer carries a secret, not even one quoted inside an error message.
    const body = error.toJSON();
    res.status(error.status).json({ error: { ...body, message: scrubSecrets(body.message) } });
  };
}

/** express.json() failures carry `type`/`status`; give them our codes. */
function bodyParserError(cause: unknown): ApiError | undefined {
  if (typeof cause !== 'object' || cause === null || !('type' in cause)) return undefined;
  const { type } = cause;
  if (type === 'entity.too.large') return new ApiError('payload_too_large', 'The request body is too large');
  if (type === 'entity.parse.failed')
    return new ApiError('bad_request', 'The request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new ApiError('bad_request', 'Unsupported body encoding');
  return undefined;
}

/** A body whose Content-Encoding does not decode (zlib `Z_…`, brotli `ERR__…` errors) is the client's fault. */
function decodingError(cause: unknown): ApiError | undefined {
  if (!(cause instanceof Error) || cause instanceof ApiError || !('code' in cause)) return undefined;
  const { code } = cause;
  if (typeof code !== 'string' || !(code.startsWith('Z_') || code.startsWith('ERR__'))) return undefined;
  return new ApiError('bad_request', 'The request body does not match its Content-Encoding', undefined, {
    cause,
  });
}
