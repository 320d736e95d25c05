/**
 * @module domain — the rules of Hostwire, one module per concept. HTTP routes and WebSocket handlers parse,
 * call these and serialize; only the domain reads and writes the store and publishes on the bus.
 */
import { createActions } from './actions.js';
import { createAgentRelease } from './agent-release.js';
import { createApiTokens } from './api-tokens.js';
import { createContainers } from './containers.js';
import { createAlerts } from './alerts/index.js';
import type { DomainDeps } from './deps.js';
import { createFleetMetrics } from './fleet-metrics.js';
import { createHealth } from './health.js';
import { createHosts } from './hosts.js';
import { createInvitations } from './invitations.js';
import { createMailer } from './mailer.js';
import { createOrganizations } from './organizations.js';
import { createPresence } from './presence.js';
import { LoginThrottle } from './login-throttle.js';
import { createSessions } from './sessions.js';
import { createSingleSignOn } from './single-sign-on.js';
import { createTwoFactor } from './two-factor.js';

export function createDomain(deps: DomainDeps) {
  const mailer = createMailer(deps.config, deps.logger);
  const alerts = createAlerts(deps, { mailer });
  const presence = createPresence(deps, (...args) => alerts.hostStatus(...args));
  // One throttle for everything that checks a password or a second factor.
  const throttle = new LoginThrottle(deps.config.login);
  const twoFactor = createTwoFactor(deps, { throttle });
  const sessions = createSessions(deps, { throttle, twoFactor });
  const invitations = createInvitations(deps, { mailer, startSession: sessions.start });
  const agentRelease = createAgentRelease(deps.config);
  return {
    organizations: createOrganizations(deps),
    agentRelease,
    hosts: createHosts(deps, { agentRelease }),
    presence,
    sessions,
    twoFactor,
    invitations,
    singleSignOn: createSingleSignOn(deps, {
      invitations,
      startSession: sessions.start,
      twoFactor,
      throttle,
    }),
    actions: createActions(deps, presence),
    health: createHealth(deps),
    apiTokens: createApiTokens(deps),
    fleetMetrics: createFleetMetrics(deps),
    containers: createContainers(deps),
    alerts,
  };
}

export type Domain = ReturnType<typeof createDomain>;
export type { DomainDeps } from './deps.js';
