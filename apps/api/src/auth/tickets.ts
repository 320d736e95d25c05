/** @module auth/tickets — short-lived, single-use WebSocket tickets bound to a user and session. */
import { randomBytes } from 'node:crypto';

export const TICKET_TTL_MS = 30_000;

export interface TicketOwner {
  userId: string;
  sessionId: string;
}

/** Where tickets live: in memory for one instance; a shared store (Redis) for several. */
export interface TicketStore {
  issue(owner: TicketOwner): Promise<{ ticket: string; expiresAt: number }>;
  /** Returns the owner and deletes the ticket in one step; undefined when unknown, used or expired. */
  consume(ticket: string): Promise<TicketOwner | undefined>;
  close(): Promise<void>;
}

export function createMemoryTicketStore(ttlMs = TICKET_TTL_MS, now: () => number = Date.now): TicketStore {
  const tickets = new Map<string, TicketOwner & { expiresAt: number }>();
  const sweep = setInterval(
    () => {
      const t = now();
      for (const [key, value] of tickets) if (value.expiresAt <= t) tickets.delete(key);
    },
    Math.max(1000, ttlMs),
  );
  sweep.unref();
  return {
    issue(owner) {
      const ticket = randomBytes(32).toString('base64url');
      const expiresAt = now() + ttlMs;
      tickets.set(ticket, { ...owner, expiresAt });
      return Promise.resolve({ ticket, expiresAt });
    },
    consume(ticket) {
      const entry = tickets.get(ticket);
      tickets.delete(ticket);
      if (!entry || entry.expiresAt <= now()) return Promise.resolve(undefined);
      return Promise.resolve({ userId: entry.userId, sessionId: entry.sessionId });
    },
    close() {
      clearInterval(sweep);
      tickets.clear();
      return Promise.resolve();
    },
  };
}
