/**
 * @module domain/alerts/delivery — the outbox worker. Due deliveries are leased in the store (one instance
 * attempts a delivery at a time; a lease that lapses because its instance died is taken over), sent with
 * a deadline under a global and a per-channel concurrency bound, and retried with exponential backoff and
 * jitter (first retry within ALERT_RETRY_BASE_MS, at most an hour apart) until ALERT_RETRY_HOURS passed.
 */
import type { DomainDeps } from '../deps.js';
import type { DeliveryRow } from '../../store/repositories/alerts.js';
import type { Senders } from './senders.js';
import { channelConfig } from './views.js';

const MAX_RETRY_DELAY_MS = 3600_000;

/** The delay before retry number `failures` (1 = the first retry): base·2^(n-1), capped, jittered to 50–100 %. */
export function retryDelay(baseMs: number, failures: number, random: number = Math.random()): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(30, failures - 1));
  return Math.round(ceiling * (0.5 + random * 0.5));
}

export function createDeliveryWorker(deps: DomainDeps, senders: Senders) {
  const log = deps.logger.child({ component: 'alert-delivery' });
  const cfg = deps.config.alerts;
  const owner = deps.bus.instanceId;
  // A lease outlives an attempt's deadline by a margin; an instance that died mid-attempt loses it after that.
  const leaseMs = cfg.deliveryTimeoutMs * 2 + 1_000;
  const perChannel = Math.max(1, Math.ceil(cfg.deliveryConcurrency / 4));
  const inFlight = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let total = 0;
  let ticking = false;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function attempt(row: DeliveryRow): Promise<DeliveryRow> {
    const started = Date.now();
    const channel = await deps.store.alerts.findChannel(row.channel_id);
    const result = channel
      ? await senders.send(channel.type, channelConfig(channel), row.id, row.payload)
      : { ok: false, statusCode: null, error: 'the channel was deleted' };
    const now = Date.now();
    const number = row.attempts + 1;
    let next: Partial<DeliveryRow>;
    if (result.ok) {
      next = { status: 'delivered', delivered_at: now, next_attempt_at: null };
    } else {
      const delay = retryDelay(cfg.retryBaseMs, number);
      // A test is attempted once; an alert is retried until ALERT_RETRY_HOURS after it was stored.
      const giveUp = row.event === 'test' || !channel || now + delay > row.created_at + cfg.retryForMs;
      next = giveUp
        ? { status: 'failed', next_attempt_at: null }
        : { status: 'pending', next_attempt_at: now + delay };
    }
    const attemptRow = {
      attempt: number,
      at: started,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: now - started,
    };
    deps.metrics.alertDeliveries.inc({
      result: next.status === 'delivered' ? 'delivered' : next.status === 'failed' ? 'failed' : 'retry',
    });
    const recorded = await deps.store.transaction((tx) =>
      tx.alerts.recordAttempt(row.id, owner, attemptRow, next),
    );
    if (!recorded) log.warn({ deliveryId: row.id }, 'a delivery lease lapsed during its attempt');
    if (!result.ok)
      log.info(
        { deliveryId: row.id, attempt: number, error: result.error, next: next.status },
        'delivery attempt failed',
      );
    return {
      ...row,
      ...next,
      attempts: number,
      last_status_code: result.statusCode,
      last_error: result.error,
      lease_owner: null,
      lease_until: null,
    };
  }

  function run(row: DeliveryRow): Promise<DeliveryRow> {
    total += 1;
    inFlight.set(row.channel_id, (inFlight.get(row.channel_id) ?? 0) + 1);
    const done = attempt(row);
    const settled = done
      .then(
        () => undefined,
        (error: unknown) => log.error({ err: error, deliveryId: row.id }, 'delivery attempt crashed'),
      )
      .finally(() => {
        total -= 1;
        const left = (inFlight.get(row.channel_id) ?? 1) - 1;
        if (left <= 0) inFlight.delete(row.channel_id);
        else inFlight.set(row.channel_id, left);
        running.delete(settled);
        wake();
      });
    running.add(settled);
    return done;
  }

  async function tick(): Promise<void> {
    if (closed) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        const slots = cfg.deliveryConcurrency - total;
        if (slots <= 0) return;
        const busy = [...inFlight].filter(([, n]) => n >= perChannel).map(([id]) => id);
        const now = Date.now();
        const rows = await deps.store.alerts.claimDue(owner, now, now + leaseMs, slots, busy);
        const started = new Map<string, number>();
        for (const row of rows) {
          // More rows of one channel than its bound: the rest wait for the next tick (lease released).
          const count = (inFlight.get(row.channel_id) ?? 0) + (started.get(row.channel_id) ?? 0);
          if (count >= perChannel) {
            await deps.store.alerts.releaseDelivery(row.id, owner).catch(() => undefined);
            continue;
          }
          started.set(row.channel_id, (started.get(row.channel_id) ?? 0) + 1);
          void run(row);
        }
        if (rows.length === slots) again = true;
      } while (again && !closed);
    } catch (error) {
      log.warn({ err: error }, 'claiming deliveries failed');
    } finally {
      ticking = false;
    }
  }

  function wake(): void {
    if (closed) return;
    setImmediate(() => void tick());
  }

  return {
    start(): void {
      timer = setInterval(() => void tick(), Math.min(1_000, cfg.retryBaseMs));
      timer.unref();
      wake();
    },
    wake,
    /** This instance's lease on a delivery it stores to attempt at once (the test notification). */
    lease(now: number): { lease_owner: string; lease_until: number } {
      return { lease_owner: owner, lease_until: now + leaseMs };
    },
    /** Attempts a delivery stored with `lease()` now and returns its outcome. */
    attemptNow(row: DeliveryRow): Promise<DeliveryRow> {
      return run(row);
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      await Promise.all([...running]);
      senders.close();
    },
  };
}
