// Tests of the fleet table logic: filter and sort order.
import type { Host } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { filterAndSort } from './fleet-sort.js';

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
