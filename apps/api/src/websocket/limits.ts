/** @module websocket/limits — connection caps (total, per IP, per user) and the per-IP upgrade rate. */
import { createRateLimiter, type RateLimiter } from '../auth/rate-limiter.js';
import type { Config } from '../config.js';
import type { Refusal } from './refusal.js';

/** A held connection slot; release it exactly once when the upgrade is refused or the socket closes. */
export type Release = () => void;

/** Seconds a client is told to wait when the server as a whole is full. */
const FULL_RETRY_AFTER_SECONDS = 5;

/**
 * Counts slots from the moment an upgrade is admitted (before the async authentication), so parallel
 * upgrades cannot overshoot a cap while they are being authenticated.
 */
export class ConnectionLimits {
  private total = 0;
  private readonly byIp = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  /** Agent sockets that are welcomed but have not said `hello` yet, by host and by address. */
  private readonly beforeHelloByHost = new Map<string, number>();
  private readonly beforeHelloByIp = new Map<string, number>();
  private readonly upgradeRate: RateLimiter;

  constructor(private readonly limits: Config['ws']) {
    this.upgradeRate = createRateLimiter({ capacity: limits.upgradesPerSecondPerIp, windowMs: 1000 });
  }

  /** Admits an upgrade from `ip`, or says why not (429 rate or per-IP cap, 503 server full). */
  admitUpgrade(ip: string): { ok: true; release: Release } | { ok: false; refusal: Refusal } {
    const rate = this.upgradeRate.take(ip);
    if (!rate.ok) {
      return {
        ok: false,
        refusal: {
          status: 429,
          code: 'rate_limited',
          reason: 'upgrade rate per IP exceeded',
          retryAfterSeconds: rate.retryAfterSeconds,
        },
      };
    }
    if (this.total >= this.limits.maxConnections) {
      return {
        ok: false,
        refusal: {
          status: 503,
          code: 'unavailable',
          reason: 'connection limit reached',
          retryAfterSeconds: FULL_RETRY_AFTER_SECONDS,
        },
      };
    }
    if ((this.byIp.get(ip) ?? 0) >= this.limits.maxConnectionsPerIp) {
      return {
        ok: false,
        refusal: {
          status: 429,
          code: 'rate_limited',
          reason: 'connections per IP exceeded',
          retryAfterSeconds: FULL_RETRY_AFTER_SECONDS,
        },
      };
    }
    this.total += 1;
    increment(this.byIp, ip);
    return {
      ok: true,
      release: once(() => {
        this.total -= 1;
        decrement(this.byIp, ip);
      }),
    };
  }

  /** Admits one more socket of `userId` (checked after authentication), or 429. */
  admitUser(userId: string): { ok: true; release: Release } | { ok: false; refusal: Refusal } {
    if ((this.byUser.get(userId) ?? 0) >= this.limits.maxConnectionsPerUser) {
      return {
        ok: false,
        refusal: {
          status: 429,
          code: 'rate_limited',
          reason: 'connections per user exceeded',
          retryAfterSeconds: FULL_RETRY_AFTER_SECONDS,
        },
      };
    }
    increment(this.byUser, userId);
    return { ok: true, release: once(() => decrement(this.byUser, userId)) };
  }

  /**
   * Admits one more agent socket of `hostId` from `ip` that has yet to say `hello` (checked after
   * authentication, before the 101), or 429. Release it once the socket said `hello` or closed: a live agent
   * holds a slot for one round trip, a ghost or a flood of sockets that never say hello hold them all.
   */
  admitAgentBeforeHello(
    hostId: string,
    ip: string,
  ): { ok: true; release: Release } | { ok: false; refusal: Refusal } {
    const byHost = (this.beforeHelloByHost.get(hostId) ?? 0) >= this.limits.maxAgentsBeforeHelloPerHost;
    if (byHost || (this.beforeHelloByIp.get(ip) ?? 0) >= this.limits.maxAgentsBeforeHelloPerIp) {
      return {
        ok: false,
        refusal: {
          status: 429,
          code: 'rate_limited',
          reason: byHost
            ? 'agent sockets waiting for hello per host exceeded'
            : 'agent sockets waiting for hello per IP exceeded',
          retryAfterSeconds: FULL_RETRY_AFTER_SECONDS,
        },
      };
    }
    increment(this.beforeHelloByHost, hostId);
    increment(this.beforeHelloByIp, ip);
    return {
      ok: true,
      release: once(() => {
        decrement(this.beforeHelloByHost, hostId);
        decrement(this.beforeHelloByIp, ip);
      }),
    };
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string): void {
  const next = (map.get(key) ?? 1) - 1;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/**
 * A token bucket for one connection's incoming messages (a cost of 1 each) or bytes (a frame costs its
 * size), plus the abuse rule: more refused frames than `abuseRefusals` within ABUSE_WINDOW_MS means the
 * peer ignores `rate_limited`.
 */
export class MessageRateLimit {
  private tokens: number;
  private at: number;
  private refusedInWindow = 0;
  private windowStart: number;
  private readonly abuseRefusals: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    abuseRefusals?: number,
  ) {
    this.tokens = perSecond;
    this.at = now();
    this.windowStart = this.at;
    this.abuseRefusals = abuseRefusals ?? Math.max(MIN_ABUSE_REFUSALS, perSecond);
  }

  /** `ok`, `limited` (answer rate_limited) or `abusive` (close 1008). */
  take(cost = 1): 'ok' | 'limited' | 'abusive' {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.at) * this.perSecond) / 1000);
    this.at = t;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 'ok';
    }
    if (t - this.windowStart > ABUSE_WINDOW_MS) {
      this.windowStart = t;
      this.refusedInWindow = 0;
    }
    this.refusedInWindow += 1;
    return this.refusedInWindow > this.abuseRefusals ? 'abusive' : 'limited';
  }
}

const ABUSE_WINDOW_MS = 10_000;
const MIN_ABUSE_REFUSALS = 10;
