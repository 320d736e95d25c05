/** Tests for the Redis bus: several buses in one process act as API instances sharing one real Redis. */
import { waitFor } from '@hostwire/protocol/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { ServerToAgent } from '@hostwire/protocol';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, skipWithout } from '../../test-support/services.js';
import { createRedisBus, type RedisBus } from './redis.js';
import { frameFromData, type ControlEvent, type Frame } from './types.js';

const skip = await skipWithout('redis');
const prefix = `hwtest-${randomUUID()}:`;
const INTERVAL: ServerToAgent = { type: 'metrics.interval', intervalMs: 1000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skip)('redis bus', () => {
  let admin: Redis;
  const buses: RedisBus[] = [];
  async function bus(url = REDIS_URL): Promise<RedisBus> {
    const created = await createRedisBus(url, { keyPrefix: prefix });
    buses.push(created);
    return created;
  }
  const subscribers = async (topic: string) => {
    const reply = await admin.pubsub('NUMSUB', `${prefix}topic:${topic}`);
    return Number(reply[1]);
  };
  async function killConnection(name: string): Promise<void> {
    const list = String(await admin.client('LIST'));
    const line = list.split('\n').find((l) => l.includes(` name=${name} `));
    const id = /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
    if (id === undefined) throw new Error(`no Redis client named ${name}`);
    await admin.client('KILL', 'ID', id);
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await admin.quit();
  });

  it('delivers a frame published on one instance once to a remote subscriber and once locally', async () => {
    const [a, b] = [await bus(), await bus()];
    const onA: Frame[] = [];
    const onB: Frame[] = [];
    a.subscribe('host:1', (frame) => onA.push(frame));
    b.subscribe('host:1', (frame) => onB.push(frame));
    await waitFor(async () => (await subscribers('host:1')) === 2);

    const frame = frameFromData(JSON.stringify({ type: 'logs.lines', lines: ['a\nb'] }), 'logs', {
      coalesceKey: 'k',
      streamId: 's-1',
    });
    a.publish('host:1', frame);
    expect(onA).toEqual([frame]);
    await waitFor(() => onB.length === 1);
    await sleep(100);
    expect(onB).toEqual([frame]);
    expect(onA).toHaveLength(1);
    expect(onB[0]?.data).toBe(frame.data);
  });

  it('keeps the Redis subscription until the last local handler of a topic leaves', async () => {
    const b = await bus();
    const first = b.subscribe('host:2', () => undefined);
    const second = b.subscribe('host:2', () => undefined);
    await waitFor(async () => (await subscribers('host:2')) === 1);
    first();
    await sleep(100);
    expect(await subscribers('host:2')).toBe(1);
    second();
    await waitFor(async () => (await subscribers('host:2')) === 0);
    const channels = (await admin.pubsub('CHANNELS', `${prefix}*`)).map(String);
    expect(channels.filter((c) => c.startsWith(`${prefix}topic:`))).toEqual([]);
    expect(channels).toContain(`${prefix}instance:${b.instanceId}`);
  });

  it('routes sendToAgent to the instance holding the agent and returns false for an unclaimed host', async () => {
    const [a, b] = [await bus(), await bus()];
    const received: ServerToAgent[] = [];
    a.claimAgent('h-1', (message) => received.push(message));
    await waitFor(async () => (await admin.exists(`${prefix}agent:h-1`)) === 1);

    expect(await b.isAgentConnected('h-1')).toBe(true);
    expect(await b.sendToAgent('h-1', INTERVAL)).toBe(true);
    await waitFor(() => received.length === 1);
    expect(received).toEqual([INTERVAL]);
    expect(await admin.ttl(`${prefix}agent:h-1`)).toBeGreaterThan(0);

    expect(await b.sendToAgent('h-unclaimed', INTERVAL)).toBe(false);
    expect(await b.isAgentConnected('h-unclaimed')).toBe(false);
    expect(await a.sendToAgent('h-1', INTERVAL)).toBe(true);
    expect(received).toHaveLength(2);
  });

  it('lets a newer claim on another instance take over routing, and the older release leaves it in place', async () => {
    const [a, b, c] = [await bus(), await bus(), await bus()];
    const onA: ServerToAgent[] = [];
    const onB: ServerToAgent[] = [];
    const releaseA = a.claimAgent('h-2', (message) => onA.push(message));
    await waitFor(async () => (await admin.get(`${prefix}agent:h-2`)) === a.instanceId);
    const releaseB = b.claimAgent('h-2', (message) => onB.push(message));
    await waitFor(async () => (await admin.get(`${prefix}agent:h-2`)) === b.instanceId);

    releaseA();
    await sleep(100);
    expect(await admin.get(`${prefix}agent:h-2`)).toBe(b.instanceId);
    expect(await c.sendToAgent('h-2', INTERVAL)).toBe(true);
    await waitFor(() => onB.length === 1);
    expect(onA).toEqual([]);

    releaseB();
    await waitFor(async () => (await admin.exists(`${prefix}agent:h-2`)) === 0);
    expect(await c.sendToAgent('h-2', INTERVAL)).toBe(false);
  });

  it('restores its routing keys when the commands connection comes back (Redis lost them)', async () => {
    const a = await bus();
    a.claimAgent('h-3', () => undefined);
    await waitFor(async () => (await admin.exists(`${prefix}agent:h-3`)) === 1);
    await admin.del(`${prefix}agent:h-3`);
    await killConnection(`hostwire-cmd-${a.instanceId}`);
    await waitFor(async () => (await admin.get(`${prefix}agent:h-3`)) === a.instanceId);
  });

  it('delivers control broadcasts to every instance once, the sender included', async () => {
    const [a, b] = [await bus(), await bus()];
    const onA: ControlEvent[] = [];
    const onB: ControlEvent[] = [];
    a.onControl((event) => onA.push(event));
    b.onControl((event) => onB.push(event));
    const event: ControlEvent = { kind: 'session.revoked', sessionId: 's-1' };
    a.broadcast(event);
    expect(onA).toEqual([event]);
    await waitFor(() => onB.length === 1);
    await sleep(100);
    expect(onA).toEqual([event]);
    expect(onB).toEqual([event]);
  });

  it('reports a gap with the subscribed topics after the subscriber connection is lost, then delivers again', async () => {
    const [a, b] = [await bus(), await bus()];
    const received: string[] = [];
    const gaps: string[][] = [];
    b.onGap((topics) => gaps.push(topics));
    b.subscribe('host:4', (frame) => received.push(frame.data));
    await waitFor(async () => (await subscribers('host:4')) === 1);

    await killConnection(`hostwire-sub-${b.instanceId}`);
    await waitFor(() => !b.isHealthy());
    // Subscribed while disconnected: must be part of the resubscription.
    b.subscribe('host:5', (frame) => received.push(frame.data));
    await waitFor(() => gaps.length === 1);
    expect(gaps[0]?.sort()).toEqual(['host:4', 'host:5']);
    expect(b.isHealthy()).toBe(true);

    a.publish('host:4', frameFromData(JSON.stringify({ type: 'test', n: 4 }), 'event'));
    a.publish('host:5', frameFromData(JSON.stringify({ type: 'test', n: 5 }), 'event'));
    await waitFor(() => received.length === 2);
    expect(received.sort()).toEqual(['{"type":"test","n":4}', '{"type":"test","n":5}']);
    expect(gaps).toHaveLength(1);
  });

  it('stays unhealthy while Redis is unreachable, delivers locally and queues nothing', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const down = await bus('redis://127.0.0.1:1');
    expect(down.isHealthy()).toBe(false);
    let local = 0;
    down.subscribe('host:6', () => (local += 1));

    gc();
    const before = process.memoryUsage().heapUsed;
    const count = 2_000;
    for (let i = 0; i < count; i += 1) {
      down.publish('host:6', {
        data: randomBytes(5_000).toString('hex'),
        class: 'metrics',
        type: 'metrics',
        bytes: 10_000,
        coalesceKey: 'cpu',
      });
    }
    await sleep(50);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(local).toBe(count);
    expect(down.stats().publishFailures).toBe(count);
    expect(grown).toBeLessThan(5_000_000); // the frames were 20 MB
    expect(down.isHealthy()).toBe(false);

    const control: ControlEvent[] = [];
    down.onControl((event) => control.push(event));
    down.broadcast({ kind: 'host.revoked', hostId: 'h' });
    expect(control).toHaveLength(1);
    expect(await down.sendToAgent('h-remote', INTERVAL)).toBe(false);
    expect(await down.isAgentConnected('h-remote')).toBe(false);
    const local2: ServerToAgent[] = [];
    down.claimAgent('h-local', (message) => local2.push(message));
    expect(await down.sendToAgent('h-local', INTERVAL)).toBe(true);
    expect(local2).toEqual([INTERVAL]);
  });

  it('releases its agent keys and leaves no subscription behind on close', async () => {
    const a = await bus();
    a.claimAgent('h-7', () => undefined);
    a.subscribe('host:7', () => undefined);
    await waitFor(
      async () => (await subscribers('host:7')) === 1 && (await admin.exists(`${prefix}agent:h-7`)) === 1,
    );
    await a.close();
    expect(await admin.exists(`${prefix}agent:h-7`)).toBe(0);
    await waitFor(async () => (await admin.pubsub('CHANNELS', `${prefix}*`)).length === 0);
  });
});
