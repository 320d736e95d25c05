/** @module auth/tickets-redis — WebSocket tickets in Redis, so any instance can redeem one issued by another, once. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TICKET_TTL_MS, type TicketOwner, type TicketStore } from './tickets.js';

// A ticket is 32 random bytes in base64url (43 characters); anything much longer is not worth a round trip.
const MAX_TICKET_LENGTH = 128;

function parseOwner(value: string): TicketOwner | undefined {
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { userId, sessionId } = parsed as Record<string, unknown>;
  return typeof userId === 'string' && typeof sessionId === 'string' ? { userId, sessionId } : undefined;
}

/**
 * A TicketStore shared by every instance: `SET … PX ttl` on issue, `GETDEL` on consume (atomic, so two
 * instances redeeming the same ticket at once give exactly one owner). While Redis is unreachable both
 * calls reject within a few seconds instead of queueing.
 */
export function createRedisTicketStore(
  url: string,
  ttlMs = TICKET_TTL_MS,
  options: { keyPrefix?: string } = {},
): TicketStore {
  const prefix = `${options.keyPrefix ?? 'hostwire:'}ticket:`;
  const redis = new Redis(url, {
    connectionName: 'hostwire-tickets',
    // A few requests may wait for a reconnect; none waits longer than one retry or the command timeout.
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 3_000) + Math.floor(Math.random() * 100),
  });
  // Failures surface as rejected issue/consume calls; the event only needs a listener.
  redis.on('error', () => undefined);

  return {
    async issue(owner) {
      const ticket = randomBytes(32).toString('base64url');
      const expiresAt = Date.now() + ttlMs;
      const value = JSON.stringify({ userId: owner.userId, sessionId: owner.sessionId });
      await redis.set(prefix + ticket, value, 'PX', ttlMs);
      return { ticket, expiresAt };
    },
    async consume(ticket) {
      if (ticket.length === 0 || ticket.length > MAX_TICKET_LENGTH) return undefined;
      const value = await redis.getdel(prefix + ticket);
      return value === null ? undefined : parseOwner(value);
    },
    async close() {
      if (redis.status !== 'ready') return redis.disconnect();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
