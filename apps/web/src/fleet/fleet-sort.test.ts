// Tests of the fleet table logic: filter, sort order and live events applied to the host list.
import type { Host } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { applyFleetEvent, filterAndSort } from './fleet-sort.js';

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
    summary: cpu === null ? null : { ts: 1, cpu, memory: 10, disk: 20, load1: 0.1 },
  };
}

const fleet = [host('a', 'web-1', 80), host('b', 'db-1', 20, 'offline'), host('c', 'Web-2', null)];

describe('filterAndSort', () => {
  it('sorts by a figure, hosts without figures last when ascending', () => {
    expect(filterAndSort(fleet, '', { key: 'cpu', descending: true }).map((h) => h.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(filterAndSort(fleet, '', { key: 'cpu', descending: false }).map((h) => h.id)).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it('sorts names case-insensitively and online before offline', () => {
    expect(filterAndSort(fleet, '', { key: 'name', descending: false }).map((h) => h.name)).toEqual([
      'db-1',
      'web-1',
      'Web-2',
    ]);
    expect(filterAndSort(fleet, '', { key: 'status', descending: false }).map((h) => h.id)).toEqual([
      'a',
      'c',
      'b',
    ]);
  });

  it('filters by name or status, ignoring case', () => {
    expect(filterAndSort(fleet, 'WEB', { key: 'name', descending: false }).map((h) => h.id)).toEqual([
      'a',
      'c',
    ]);
    expect(filterAndSort(fleet, 'offline', { key: 'name', descending: false }).map((h) => h.id)).toEqual([
      'b',
    ]);
  });
});

describe('applyFleetEvent', () => {
  it('updates status and summary of the named host only', () => {
    const after = applyFleetEvent(
      fleet,
      { type: 'host.status', organizationId: 'o1', hostId: 'b', status: 'online', lastSeenAt: 5000 },
      'o1',
    ).hosts;
    expect(after.find((h) => h.id === 'b')).toMatchObject({ status: 'online', lastSeenAt: 5000 });
    expect(after.find((h) => h.id === 'a')).toBe(fleet[0]);
    const summary = { ts: 9, cpu: 1, memory: 2, disk: 3, load1: 4 };
    const next = applyFleetEvent(
      after,
      { type: 'host.summary', organizationId: 'o1', hostId: 'c', summary },
      'o1',
    );
    expect(next.hosts.find((h) => h.id === 'c')?.summary).toEqual(summary);
  });

  it('asks to fetch an upserted host and drops a removed one', () => {
    const upserted = applyFleetEvent(
      fleet,
      { type: 'host.upserted', organizationId: 'o1', hostId: 'z', name: 'new' },
      'o1',
    );
    expect(upserted.needsFetch).toBe('z');
    const removed = applyFleetEvent(fleet, { type: 'host.removed', organizationId: 'o1', hostId: 'a' }, 'o1');
    expect(removed.hosts.map((h) => h.id)).toEqual(['b', 'c']);
  });

  it('ignores events of another organization', () => {
    const result = applyFleetEvent(fleet, { type: 'host.removed', organizationId: 'o2', hostId: 'a' }, 'o1');
    expect(result.hosts).toBe(fleet);
  });
});
