/** @module store — opens the database and hands out one repository per table group. */
import { openDatabase, type DatabaseTarget } from './database.js';
import { createAuditRepository } from './repositories/audit.js';
import { createEnrollmentTokensRepository, createHostsRepository } from './repositories/hosts.js';
import { createOrganizationsRepository } from './repositories/organizations.js';
import { createSessionsRepository, createUsersRepository } from './repositories/users.js';
import { createMetricsRepository } from './repositories/metrics.js';
import { createActionsRepository } from './repositories/actions.js';

export async function createStore(target: DatabaseTarget) {
  const database = await openDatabase(target);
  const { db } = database;
  return {
    db,
    dialect: database.dialect,
    users: createUsersRepository(db),
    sessions: createSessionsRepository(db),
    organizations: createOrganizationsRepository(db),
    hosts: createHostsRepository(db),
    enrollmentTokens: createEnrollmentTokensRepository(db),
    audit: createAuditRepository(db),
    metrics: createMetricsRepository(db),
    actions: createActionsRepository(db),
    ping: () => database.ping(),
    close: () => database.close(),
  };
}

export type Store = Awaited<ReturnType<typeof createStore>>;
