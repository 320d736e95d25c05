/** @module domain/login-throttle — how often sign-in may be tried, per (account, client address) and per address. */
import { createRateLimiter, type RateLimiter } from '../auth/rate-limiter.js';

/** Failures from one address on one account before each further try must wait (doubling). */
const FREE_FAILURES = 3;
const MAX_BACKOFF_MS = 60_000;

export type ThrottleAnswer = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Sign-in attempts are limited per (account, address) — `maxAttempts` per window, with a doubling
 * wait after FREE_FAILURES consecutive failures — and per address (five times that, over all accounts).
 * Someone failing from another address therefore never locks the owner out, while guessing stays
 * slow from any one address. A success clears its (account, address) record.
 */
export class LoginThrottle {
  private readonly perAccountAddress: RateLimiter;
  private readonly perAddress: RateLimiter;
  private readonly failures = new Map<string, { count: number; lastAt: number }>();

  constructor(private readonly options: { maxAttempts: number; windowMs: number; now?: () => number }) {
    const { maxAttempts, windowMs } = options;
    this.perAccountAddress = createRateLimiter({ capacity: maxAttempts, windowMs, now: options.now });
    this.perAddress = createRateLimiter({ capacity: maxAttempts * 5, windowMs, now: options.now });
  }

  /** Takes one attempt for (email, ip), or says how long to wait. */
  attempt(email: string, ip: string): ThrottleAnswer {
    const key = this.key(email, ip);
    const now = this.now();
    const failed = this.failures.get(key);
    if (failed && now - failed.lastAt > this.options.windowMs) this.failures.delete(key);
    else if (failed && failed.count >= FREE_FAILURES) {
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failed.count - FREE_FAILURES));
      const left = failed.lastAt + wait - now;
      if (left > 0) return { ok: false, retryAfterSeconds: Math.ceil(left / 1000) };
    }
    const byAddress = this.perAddress.take(`ip:${ip}`);
    if (!byAddress.ok) return byAddress;
    return this.perAccountAddress.take(key);
  }

  /** A wrong password (or unknown email) from this address. */
  failed(email: string, ip: string): void {
    const key = this.key(email, ip);
    const entry = this.failures.get(key) ?? { count: 0, lastAt: 0 };
    entry.count += 1;
    entry.lastAt = this.now();
    this.failures.set(key, entry);
    if (this.failures.size > 100_000) this.sweep();
  }

  /** A successful sign-in: this (account, address) starts afresh. */
  succeeded(email: string, ip: string): void {
    const key = this.key(email, ip);
    this.failures.delete(key);
    this.perAccountAddress.reset(key);
  }

  private key(email: string, ip: string): string {
    return `${email.toLowerCase()}\n${ip}`;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.failures)
      if (now - entry.lastAt > this.options.windowMs) this.failures.delete(key);
  }
}
