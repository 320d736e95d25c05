/**
 * @module outbound/client — the one way the server sends a request out (every notification channel and its
 * test): http(s) POST with a deadline, no redirects, no connection reuse, and the outbound guard on the
 * address actually connected to. A name is resolved by the guard's own `lookup`, every address it resolves
 * to is judged, and the socket connects only to an address judged then, so DNS rebinding cannot pass; an IP
 * literal in the URL (also `127.1`, `0x7f000001`, `2130706433`, which the URL parser normalizes) is judged
 * before connecting. Errors answer generically; the full reason is returned apart for debug logs.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { ApiError } from '../errors.js';
import { addressRefusal, hostAllowed, hostOpened, portOf, type OutboundAllow } from './policy.js';

/** Resolves a host name to every address it has (the system resolver by default: /etc/hosts, then DNS). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveHost = (hostname) =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface OutboundSettings {
  allow: OutboundAllow;
  /** ALERT_ALLOWED_HOSTS: when set, URLs must also name one of these hosts. */
  allowedHosts: readonly string[] | undefined;
  timeoutMs: number;
}

/** What an attempt says to users (the delivery log, API answers): generic, no ports, no service replies. */
export const OUTBOUND_ERRORS = {
  refused: 'target_not_allowed: not a public address (an operator can allow it with OUTBOUND_ALLOW)',
  notListed: 'target_not_allowed: the host is not in ALERT_ALLOWED_HOSTS',
  scheme: 'target_not_allowed: only http(s) URLs are allowed',
  credentials: 'could not deliver: the URL contains credentials; edit the channel and use its secret fields',
  header: 'could not deliver: a header value (such as the token) contains control characters; set it again',
  timeout: 'could not deliver: timed out',
  dns: 'could not deliver: host name not found',
  tls: 'could not deliver: TLS certificate not accepted',
  connection: 'could not deliver: connection failed',
} as const;

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  /** For users: `HTTP 500` or one of OUTBOUND_ERRORS. */
  error: string | null;
  /** For debug logs only (scrub it before logging): what really happened. */
  detail?: string;
}

/** A connection the guard refused (before anything was sent to the address). */
class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
  constructor(address: string, reason: string) {
    super(`${address}: ${reason}`);
  }
}

const TIMEOUT = Symbol('timeout');
const REFUSED_MESSAGE = 'this target is not a public address (an operator can allow it with OUTBOUND_ALLOW)';

function classify(error: unknown): string {
  if (error instanceof TargetRefused) return OUTBOUND_ERRORS.refused;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return OUTBOUND_ERRORS.connection;
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA'].includes(code))
    return OUTBOUND_ERRORS.dns;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) return OUTBOUND_ERRORS.tls;
  return OUTBOUND_ERRORS.connection;
}

const describe = (error: unknown) => {
  const e = error as { code?: unknown; message?: unknown };
  return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message ?? error)}`;
};

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

export function createOutbound(settings: OutboundSettings, resolve: ResolveHost = systemResolver) {
  const { allow, timeoutMs } = settings;

  /** A `lookup` for one request: resolves, judges every address, and hands the socket only judged ones. */
  function guardedLookup(url: URL): LookupFunction {
    const port = portOf(url);
    const opened = hostOpened(allow, url);
    return (hostname, options, callback) => {
      resolve(hostname).then(
        (found) => {
          const addresses =
            options.family === 4 || options.family === 6
              ? found.filter((a) => a.family === options.family)
              : found;
          const first = addresses[0];
          if (!first)
            return callback(
              Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
              '',
            );
          if (!opened)
            for (const { address } of addresses) {
              const reason = addressRefusal(allow, address, port);
              if (reason !== undefined) return callback(new TargetRefused(address, reason), '');
            }
          if (options.all) callback(null, addresses);
          else callback(null, first.address, first.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      );
    };
  }

  /** Why the URL may not be used at all (before any resolution), or undefined. */
  function urlRefusal(url: URL): PostResult | undefined {
    const refuse = (error: string, detail = error) => ({ ok: false, statusCode: null, error, detail });
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return refuse(OUTBOUND_ERRORS.scheme);
    if (url.username !== '' || url.password !== '') return refuse(OUTBOUND_ERRORS.credentials);
    if (!hostAllowed(settings.allowedHosts, url.href)) return refuse(OUTBOUND_ERRORS.notListed);
    const literal = bare(url.hostname);
    if (isIP(literal) !== 0 && !hostOpened(allow, url)) {
      const reason = addressRefusal(allow, literal, portOf(url));
      if (reason !== undefined) return refuse(OUTBOUND_ERRORS.refused, `${literal}: ${reason}`);
    }
    return undefined;
  }

  return {
    /**
     * When a channel is saved: 400 `target_not_allowed` if its URL names a refused address or a name that
     * resolves to one now. A name that does not resolve (yet) passes: every attempt is judged again.
     */
    async checkTarget(raw: string): Promise<void> {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ApiError('bad_request', 'config.url: must be an http:// or https:// URL');
      }
      const refused = urlRefusal(url)?.error;
      if (refused === OUTBOUND_ERRORS.scheme)
        throw new ApiError('bad_request', 'config.url: must be an http:// or https:// URL');
      if (refused === OUTBOUND_ERRORS.credentials)
        throw new ApiError(
          'bad_request',
          "config.url: must not contain credentials; use the channel's secret fields",
        );
      if (refused === OUTBOUND_ERRORS.notListed)
        throw new ApiError('target_not_allowed', 'config.url: this host is not in ALERT_ALLOWED_HOSTS');
      if (refused !== undefined) throw new ApiError('target_not_allowed', `config.url: ${REFUSED_MESSAGE}`);
      if (isIP(bare(url.hostname)) !== 0 || hostOpened(allow, url)) return;
      let found: { address: string }[];
      let timer: NodeJS.Timeout | undefined;
      try {
        found = await Promise.race([
          resolve(url.hostname),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
          }),
        ]);
      } catch {
        return;
      } finally {
        clearTimeout(timer);
      }
      if (found.some(({ address }) => addressRefusal(allow, address, portOf(url)) !== undefined))
        throw new ApiError('target_not_allowed', `config.url: ${REFUSED_MESSAGE}`);
    },

    /** One POST; resolves (never rejects) with the status, or a generic error and the detail apart. */
    post(raw: string, headers: Record<string, string>, body: string): Promise<PostResult> {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return Promise.resolve({ ok: false, statusCode: null, error: OUTBOUND_ERRORS.scheme });
      }
      const refused = urlRefusal(url);
      if (refused) return Promise.resolve(refused);
      if (Object.values(headers).some((value) => /[^\x20-\x7e]/.test(value)))
        return Promise.resolve({ ok: false, statusCode: null, error: OUTBOUND_ERRORS.header });
      return new Promise<PostResult>((done) => {
        let settled = false;
        let request: http.ClientRequest | undefined;
        const timer = setTimeout(() => {
          fail(TIMEOUT);
          request?.destroy();
        }, timeoutMs);
        const finish = (result: PostResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          done(result);
        };
        const fail = (error: unknown) =>
          finish({
            ok: false,
            statusCode: null,
            error: error === TIMEOUT ? OUTBOUND_ERRORS.timeout : classify(error),
            detail: error === TIMEOUT ? `no answer within ${timeoutMs} ms` : describe(error),
          });
        try {
          request = (url.protocol === 'https:' ? https : http).request(
            url,
            {
              method: 'POST',
              headers: {
                'user-agent': 'Hostwire-Alerts/1',
                'content-length': String(Buffer.byteLength(body)),
                ...headers,
              },
              agent: false,
              lookup: guardedLookup(url),
            },
            (response) => {
              const status = response.statusCode ?? 0;
              response.destroy();
              request?.destroy();
              const ok = status >= 200 && status < 300;
              finish({ ok, statusCode: status, error: ok ? null : `HTTP ${status}` });
            },
          );
        } catch (error) {
          fail(error);
          return;
        }
        request.on('error', fail);
        request.end(body);
      });
    },
  };
}

export type Outbound = ReturnType<typeof createOutbound>;
