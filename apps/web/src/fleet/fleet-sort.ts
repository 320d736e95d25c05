/** @module fleet-sort — filtering and ordering the fleet table, plus applying live events to the host list. */
import type { Host, ServerToClient } from '@hostwire/protocol';

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

/**
 * The host list after a live event of the `org:` topic. Returns the same array when nothing changed;
 * `needsFetch` names a host whose full record must be fetched (new, or its agent details changed).
 */
export function applyFleetEvent(
  hosts: readonly Host[],
  message: ServerToClient,
  organizationId: string,
): { hosts: readonly Host[]; needsFetch?: string } {
  if (!('organizationId' in message) || message.organizationId !== organizationId) return { hosts };
  switch (message.type) {
    case 'host.status':
      return {
        hosts: hosts.map((h) =>
          h.id === message.hostId
            ? { ...h, status: message.status, lastSeenAt: message.lastSeenAt ?? h.lastSeenAt }
            : h,
        ),
      };
    case 'host.summary':
      return { hosts: hosts.map((h) => (h.id === message.hostId ? { ...h, summary: message.summary } : h)) };
    case 'host.upserted':
      return {
        hosts: hosts.map((h) => (h.id === message.hostId ? { ...h, name: message.name } : h)),
        needsFetch: message.hostId,
      };
    case 'host.removed':
      return { hosts: hosts.filter((h) => h.id !== message.hostId) };
    default:
      return { hosts };
  }
}
