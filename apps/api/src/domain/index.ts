/**
 * @module domain — the rules of Hostwire, one module per concept. HTTP routes and WebSocket handlers parse,
 * call these and serialize; only the domain reads and writes the store and publishes on the bus.
 */
import { createActions } from './actions.js';
import { createAlerts } from './alerts/index.js';
import type { DomainDeps } from './deps.js';
import { createHealth } from './health.js';
import { createHosts } from './hosts.js';
import { createInvitations } from './invitations.js';
import { createMailer } from './mailer.js';
import { createOrganizations } from './organizations.js';
import { createPresence } from './presence.js';
import { createSessions } from './sessions.js';

export function createDomain(deps: DomainDeps) {
  const alerts = createAlerts(deps);
  const presence = createPresence(deps, (...args) => alerts.hostStatus(...args));
  const sessions = createSessions(deps);
  const mailer = createMailer(deps.config, deps.logger);
  return {
    organizations: createOrganizations(deps),
    hosts: createHosts(deps),
    presence,
    sessions,
    invitations: createInvitations(deps, { mailer, startSession: sessions.start }),
    actions: createActions(deps, presence),
    health: createHealth(deps),
    alerts,
  };
}

export type Domain = ReturnType<typeof createDomain>;
export type { DomainDeps } from './deps.js';
