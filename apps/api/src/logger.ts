/**
 * @module logger — pino, with credentials in URLs and headers redacted before anything is written, and
 * errors' messages and stacks scrubbed of anything shaped like a secret.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { scrubSecrets } from './scrub.js';

/** Query parameters that carry credentials, compared after decoding (so `?%74oken=` is caught too). */
const SECRET_QUERY_PARAMS = new Set(['token', 'ticket', 'enrollmenttoken', 'code', 'setupcode']);
/** Path segments that carry credentials: invitation tokens. */
const SECRET_PATHS = /(\/(?:invite|by-token)\/)[^/?#\s]+/gi;

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return key.toLowerCase();
  }
}

/**
 * Replaces credentials in a URL with `[REDACTED]`: the values of the `token`, `ticket`,
 * `enrollmentToken`, `code` and `setupCode` query parameters (names matched after percent-decoding,
 * the way the server reads them) and invitation tokens in paths.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const question = base.indexOf('?');
  const pathPart = (question === -1 ? base : base.slice(0, question)).replace(SECRET_PATHS, '$1[REDACTED]');
  if (question === -1) return pathPart;
  const query = base
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_PARAMS.has(decodeKey(key)) ? `${key}=[REDACTED]` : pair;
    })
    .join('&');
  return `${pathPart}?${query}`;
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
        err: (error: Error) => {
          const shown = pino.stdSerializers.err(error);
          shown.message = scrubSecrets(shown.message);
          if (typeof shown.stack === 'string')
            shown.stack = shown.stack
              .split('\n')
              .map((line) => scrubSecrets(line))
              .join('\n');
          return shown;
        },
      },
    },
    destination,
  );
}

export type { Logger };
