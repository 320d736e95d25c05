/**
 * @module domain/alerts/delivery — the outbox worker. Due deliveries are leased in the store (one instance
 * attempts a delivery at a time; a lease that lapses because its instance died is taken over), sent with
 * a deadline under a global and a per-channel concurrency bound (test sends wait for a slot like every
 * other delivery), and retried with exponential backoff and jitter (first retry within ALERT_RETRY_BASE_MS,
 * at most an hour apart) until ALERT_RETRY_HOURS passed; e-mail over its organization's budget is deferred.
 * Errors are scrubbed of the channel's secrets before they are stored or logged.
 */
import { ApiError } from '../../errors.js';
import { channelSecrets, scrubSecrets } from '../../scrub.js';
import type { DomainDeps } from '../deps.js';
import type { DeliveryRow } from '../../store/repositories/alerts.js';
import type { SendResult, Senders } from './senders.js';
import { channelConfig } from './views.js';

const MAX_RETRY_DELAY_MS = 3600_000;

/** A delivery after an attempt; `retryAfterSeconds` when e-mail waits for its organization's budget. */
export interface Attempted {
  row: DeliveryRow;
  retryAfterSeconds: number | undefined;
}

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

  /** One attempt of a leased row; `retryAfterSeconds` when e-mail was deferred by its organization's budget. */
  async function attempt(row: DeliveryRow): Promise<Attempted> {
    const started = Date.now();
    const channel = await deps.store.alerts.findChannel(row.channel_id);
    const config = channel ? channelConfig(channel) : {};
    const sent: SendResult = channel
      ? await senders.send(channel.type, config, row.id, row.payload, row.organization_id)
      : { ok: false, statusCode: null, error: 'could not deliver: the channel was deleted' };
    const secrets = channelSecrets(config);
    const result = { ...sent, error: sent.error === null ? null : scrubSecrets(sent.error, secrets) };
    const now = Date.now();
    const number = row.attempts + 1;
    let next: Partial<DeliveryRow>;
    if (result.ok) {
      next = { status: 'delivered', delivered_at: now, next_attempt_at: null };
    } else if (result.retryAfterSeconds !== undefined && row.event !== 'test') {
      // Deferred, not failed: the organization's e-mail budget refills.
      const at = now + result.retryAfterSeconds * 1000;
      next =
        at > row.created_at + cfg.retryForMs
          ? { status: 'failed', next_attempt_at: null }
          : { status: 'pending', next_attempt_at: at };
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
    if (!result.ok) {
      log.info(
        { deliveryId: row.id, attempt: number, error: result.error, next: next.status },
        'delivery attempt failed',
      );
      if (sent.detail !== undefined)
        log.debug(
          { deliveryId: row.id, detail: scrubSecrets(sent.detail, secrets) },
          'delivery attempt detail',
        );
    }
    return {
      row: {
        ...row,
        ...next,
        attempts: number,
        last_status_code: result.statusCode,
        last_error: result.error,
        lease_owner: null,
        lease_until: null,
      },
      retryAfterSeconds: result.retryAfterSeconds,
    };
  }

  /** Test sends waiting for a slot (global and per channel); they are served before the store is asked. */
  const waiting: { channelId: string; start: () => void; refuse: (error: ApiError) => void }[] = [];
  const hasSlot = (channelId: string) =>
    total < cfg.deliveryConcurrency && (inFlight.get(channelId) ?? 0) < perChannel;

  function hold(channelId: string): void {
    total += 1;
    inFlight.set(channelId, (inFlight.get(channelId) ?? 0) + 1);
  }
  function release(channelId: string): void {
    total -= 1;
    const left = (inFlight.get(channelId) ?? 1) - 1;
    if (left <= 0) inFlight.delete(channelId);
    else inFlight.set(channelId, left);
    for (let i = 0; i < waiting.length;) {
      const next = waiting[i];
      if (next && hasSlot(next.channelId)) {
        waiting.splice(i, 1);
        next.start();
      } else i += 1;
    }
    wake();
  }

  /** Attempts a leased row in a slot already held (see `hold`); the slot is released when it is done. */
  function run(row: DeliveryRow): Promise<Attempted> {
    const done = attempt(row);
    const settled = done
      .then(
        () => undefined,
        (error: unknown) => log.error({ err: error, deliveryId: row.id }, 'delivery attempt crashed'),
      )
      .finally(() => {
        running.delete(settled);
        release(row.channel_id);
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
        const slots = cfg.deliveryConcurrency - total - waiting.length;
        if (slots <= 0) return;
        const busy = [
          ...new Set([
            ...[...inFlight].filter(([, n]) => n >= perChannel).map(([id]) => id),
            ...waiting.map((w) => w.channelId),
          ]),
        ];
        const now = Date.now();
        const rows = await deps.store.alerts.claimDue(owner, now, now + leaseMs, slots, busy);
        for (const row of rows) {
          // More rows of one channel than its bound: the rest wait for the next tick (lease released).
          if ((inFlight.get(row.channel_id) ?? 0) >= perChannel) {
            await deps.store.alerts.releaseDelivery(row.id, owner).catch(() => undefined);
            continue;
          }
          hold(row.channel_id);
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
    /**
     * Stores a delivery (the test notification) under this instance's lease once a slot of the concurrency
     * bounds is free, attempts it and returns its outcome; 429 when no slot frees within a lease's length.
     */
    attemptNow(row: DeliveryRow): Promise<Attempted> {
      return new Promise<Attempted>((resolve, reject) => {
        const entry = {
          channelId: row.channel_id,
          start: () => {
            clearTimeout(expiry);
            hold(row.channel_id);
            const now = Date.now();
            const leased = { ...row, next_attempt_at: now, lease_owner: owner, lease_until: now + leaseMs };
            deps.store.alerts.insertDelivery(leased).then(
              () => run(leased).then(resolve, reject),
              (error: Error) => {
                release(row.channel_id);
                reject(error);
              },
            );
          },
          refuse: (error: ApiError) => {
            clearTimeout(expiry);
            reject(error);
          },
        };
        const expiry = setTimeout(() => {
          const index = waiting.indexOf(entry);
          if (index !== -1) waiting.splice(index, 1);
          entry.refuse(
            new ApiError(
              'rate_limited',
              'Every delivery slot is busy; try the test again shortly',
              undefined,
              {
                retryAfterSeconds: Math.ceil(leaseMs / 1000),
              },
            ),
          );
        }, leaseMs);
        if (closed) entry.refuse(new ApiError('unavailable', 'The server is shutting down'));
        else if (waiting.length === 0 && hasSlot(row.channel_id)) entry.start();
        else waiting.push(entry);
      });
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      for (const entry of waiting.splice(0))
        entry.refuse(new ApiError('unavailable', 'The server is shutting down'));
      await Promise.all([...running]);
    },
  };
}
