// Tests of the fleet store: live events on a Map, one snapshot per frame, sample times, reconnect memory.
import type { Host } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { FleetStore } from './fleet-store.js';

function host(id: string, name: string, cpu: number | null, status: Host['status'] = 'online'): Host {
  return {
    id,
    organizationId: 'o1',
    name,
    status,
    lastSeenAt: 1000,
    createdAt: 1,
    enrolledAt: 1,
    agent: null,
    summary: cpu === null ? null : { ts: 500, cpu, memory: 10, disk: 20, load1: 0.1 },
  };
}

/** A store whose frames run when the test says so. */
function storeWithFrames(now = () => 10_000) {
  const frames: (() => void)[] = [];
  const store = new FleetStore('o1', now, (callback) => {
    frames.push(callback);
    return () => frames.splice(frames.indexOf(callback), 1);
  });
  const runFrame = () => frames.splice(0).forEach((f) => f());
  return { store, frames, runFrame };
}

const fleet = [host('a', 'web-1', 80), host('b', 'db-1', 20, 'offline'), host('c', 'Web-2', null)];

describe('FleetStore', () => {
  it('publishes one snapshot per frame however many events arrived', () => {
    const { store, frames, runFrame } = storeWithFrames();
    let notified = 0;
    store.subscribe(() => notified++);
    store.load(fleet);
    for (let i = 0; i < 500; i++) {
      store.apply({
        type: 'host.summary',
        organizationId: 'o1',
        hostId: 'a',
        summary: { ts: i, cpu: i % 100, memory: 1, disk: 1, load1: 0 },
      });
    }
    expect(frames).toHaveLength(1);
    expect(store.getSnapshot().hosts).toBeNull();
    runFrame();
    expect(notified).toBe(1);
    expect(store.getSnapshot().hosts?.find((h) => h.id === 'a')?.summary?.cpu).toBe(99);
  });

  it('updates status and summary of the named host only, and keeps the others as they were', () => {
    const { store, runFrame } = storeWithFrames();
    store.load(fleet);
    store.apply({
      type: 'host.status',
      organizationId: 'o1',
      hostId: 'b',
      status: 'online',
      lastSeenAt: 5000,
    });
    const summary = { ts: 9, cpu: 1, memory: 2, disk: 3, load1: 4 };
    store.apply({ type: 'host.summary', organizationId: 'o1', hostId: 'c', summary });
    runFrame();
    const hosts = store.getSnapshot().hosts ?? [];
    expect(hosts.find((h) => h.id === 'b')).toMatchObject({ status: 'online', lastSeenAt: 5000 });
    expect(hosts.find((h) => h.id === 'c')?.summary).toEqual(summary);
    expect(hosts.find((h) => h.id === 'a')).toBe(fleet[0]);
  });

  it('dates a listed summary by its own timestamp and a live one by its arrival', () => {
    let now = 10_000;
    const { store, runFrame } = storeWithFrames(() => now);
    store.load(fleet);
    runFrame();
    expect(store.getSnapshot().sampleAt.get('a')).toBe(500);
    expect(store.getSnapshot().sampleAt.has('c')).toBe(false);
    now = 12_000;
    store.apply({
      type: 'host.summary',
      organizationId: 'o1',
      hostId: 'c',
      // An agent clock far ahead of the browser's must not make the sample look fresh forever.
      summary: { ts: 99_999_999, cpu: 1, memory: 2, disk: 3, load1: 4 },
    });
    runFrame();
    expect(store.getSnapshot().sampleAt.get('c')).toBe(12_000);
  });

  it('asks to fetch an upserted or unknown host and drops a removed one', () => {
    const { store, runFrame } = storeWithFrames();
    store.load(fleet);
    expect(store.apply({ type: 'host.upserted', organizationId: 'o1', hostId: 'z', name: 'new' })).toBe('z');
    store.apply({ type: 'host.removed', organizationId: 'o1', hostId: 'a' });
    runFrame();
    expect(store.getSnapshot().hosts?.map((h) => h.id)).toEqual(['b', 'c']);
  });

  it('ignores events of another organization', () => {
    const { store, frames } = storeWithFrames();
    store.apply({ type: 'host.removed', organizationId: 'o2', hostId: 'a' });
    expect(frames).toHaveLength(0);
  });

  it('remembers which hosts were online when the connection was lost', () => {
    const { store, runFrame } = storeWithFrames();
    store.load(fleet);
    store.connectionLost();
    runFrame();
    expect([...store.getSnapshot().onlineAtLoss].sort()).toEqual(['a', 'c']);
  });
});
