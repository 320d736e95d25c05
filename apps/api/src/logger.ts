/** @module logger — pino, with credentials in URLs and headers redacted before anything is written. */
import { pino, type Logger, type DestinationStream } from 'pino';

const SECRET_QUERY_PARAMS = /([?&](?:token|ticket|enrollmentToken)=)[^&#\s]*/gi;

/** Replaces the values of `token`, `ticket` and `enrollmentToken` query parameters with `[REDACTED]`. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY_PARAMS, '$1[REDACTED]');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.ticket',
          '*.agentToken',
          '*.enrollmentToken',
        ],
        censor: '[REDACTED]',
      },
      serializers: {
        url: (url: string) => redactUrl(url),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

export type { Logger };
