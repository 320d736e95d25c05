/**
 * @module domain — the rules of Hostwire, one module per concept. HTTP routes and WebSocket handlers parse,
 * call these and serialize; only the domain reads and writes the store and publishes on the bus.
 */
import type { DomainDeps } from './deps.js';
import { createHosts } from './hosts.js';
import { createOrganizations } from './organizations.js';
import { createSessions } from './sessions.js';

export function createDomain(deps: DomainDeps) {
  return {
    organizations: createOrganizations(deps),
    hosts: createHosts(deps),
    sessions: createSessions(deps),
  };
}

export type Domain = ReturnType<typeof createDomain>;
export type { DomainDeps } from './deps.js';
