/** Tests for the Redis ticket store: two stores on one real Redis act as two API instances. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { waitFor } from '@hostwire/protocol/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, skipWithout } from '../test-support/services.js';
import { createRedisTicketStore } from './tickets-redis.js';
import type { TicketStore } from './tickets.js';

const skip = await skipWithout('redis');
const keyPrefix = `hwtest-${randomUUID()}:`;
const owner = { userId: 'u-1', sessionId: 's-1' };

describe.skipIf(skip)('redis ticket store', () => {
  let a: TicketStore;
  let b: TicketStore;
  let admin: Redis;
  beforeAll(() => {
    a = createRedisTicketStore(REDIS_URL, 30_000, { keyPrefix });
    b = createRedisTicketStore(REDIS_URL, 30_000, { keyPrefix });
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), admin.quit()]);
  });

  it('redeems a ticket issued on one instance on another, once', async () => {
    const before = Date.now();
    const { ticket, expiresAt } = await a.issue(owner);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30_000);
    const ttl = await admin.pttl(`${keyPrefix}ticket:${ticket}`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    expect(await b.consume(ticket)).toEqual(owner);
    expect(await a.consume(ticket)).toBeUndefined();
    expect(await b.consume(ticket)).toBeUndefined();
  });

  it('gives exactly one owner when two instances consume the same ticket at once', async () => {
    const tickets = await Promise.all(Array.from({ length: 50 }, () => a.issue(owner)));
    for (const { ticket } of tickets) {
      const results = await Promise.all([a.consume(ticket), b.consume(ticket)]);
      expect(results.filter((r) => r !== undefined)).toEqual([owner]);
    }
  });

  it('refuses an expired ticket', async () => {
    const short = createRedisTicketStore(REDIS_URL, 100, { keyPrefix });
    try {
      const { ticket } = await short.issue(owner);
      expect(await admin.pttl(`${keyPrefix}ticket:${ticket}`)).toBeGreaterThan(0);
      // Redis itself expires the key (PX); nothing else removes it.
      await waitFor(async () => (await admin.exists(`${keyPrefix}ticket:${ticket}`)) === 0, 3000, 'expiry');
      expect(await b.consume(ticket)).toBeUndefined();
    } finally {
      await short.close();
    }
  });

  it('refuses unknown, empty and oversized tickets', async () => {
    expect(await a.consume('no-such-ticket')).toBeUndefined();
    expect(await a.consume('')).toBeUndefined();
    expect(await a.consume('x'.repeat(10_000))).toBeUndefined();
  });

  it('rejects issue and consume promptly while Redis is unreachable', async () => {
    const down = createRedisTicketStore('redis://127.0.0.1:1', 30_000, { keyPrefix });
    try {
      const started = Date.now();
      await expect(down.issue(owner)).rejects.toThrow();
      await expect(down.consume('a'.repeat(43))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await down.close();
    }
  });
});
