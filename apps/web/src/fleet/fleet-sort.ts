/** @module fleet-sort — filtering and ordering the fleet table. */
import type { Host } from '@hostwire/protocol';

/** Sortable columns of the fleet table. */
export const SORT_KEYS = ['name', 'status', 'cpu', 'memory', 'disk', 'lastSeen'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** A column and its direction. */
export interface SortOrder {
  key: SortKey;
  descending: boolean;
}

function sortValue(host: Host, key: SortKey): string | number {
  switch (key) {
    case 'name':
      return host.name.toLowerCase();
    case 'status':
      return host.status === 'online' ? 0 : 1;
    case 'cpu':
      return host.summary?.cpu ?? -1;
    case 'memory':
      return host.summary?.memory ?? -1;
    case 'disk':
      return host.summary?.disk ?? -1;
    case 'lastSeen':
      return host.lastSeenAt ?? -1;
  }
}

/** Hosts whose name, hostname, OS or status contain `filter` (case-insensitive), in the given order. */
export function filterAndSort(hosts: readonly Host[], filter: string, order: SortOrder): Host[] {
  const needle = filter.trim().toLowerCase();
  const kept = needle
    ? hosts.filter((h) =>
        [h.name, h.status, h.agent?.hostname ?? '', h.agent?.os.platform ?? '', h.id].some((text) =>
          text.toLowerCase().includes(needle),
        ),
      )
    : [...hosts];
  const sign = order.descending ? -1 : 1;
  return kept.sort((a, b) => {
    const x = sortValue(a, order.key);
    const y = sortValue(b, order.key);
    if (x < y) return -sign;
    if (x > y) return sign;
    return a.name.localeCompare(b.name);
  });
}
