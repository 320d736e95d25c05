/**
 * @module store — opens the database and hands out one repository per table group, plus `transaction(fn)`:
 * the repositories bound to one transaction. Nothing outside the store sees the query builder.
 */
import { sql, type Kysely } from 'kysely';
import { openDatabase, type DatabaseTarget } from './database.js';
import type { Dialect } from './migrations.js';
import { createApiTokensRepository } from './repositories/api-tokens.js';
import { createAlertsRepository } from './repositories/alerts.js';
import { createAuditRepository } from './repositories/audit.js';
import { createEnrollmentTokensRepository, createHostsRepository } from './repositories/hosts.js';
import { createInvitationsRepository } from './repositories/invitations.js';
import { createLatestSamplesRepository } from './repositories/latest-samples.js';
import { createLocksRepository } from './repositories/locks.js';
import { createOrganizationsRepository } from './repositories/organizations.js';
import { createSessionsRepository, createUsersRepository } from './repositories/users.js';
import { createContainerMetricsRepository } from './repositories/container-metrics.js';
import { createMetricsRepository } from './repositories/metrics.js';
import { createActionsRepository } from './repositories/actions.js';
import { createIdentitiesRepository, createRecoveryCodesRepository } from './repositories/sign-in.js';
import type { Database } from './schema.js';

/** Every repository, bound to the pool or to one transaction. */
function createRepositories(db: Kysely<Database>, dialect: Dialect) {
  return {
    users: createUsersRepository(db),
    sessions: createSessionsRepository(db),
    organizations: createOrganizationsRepository(db),
    hosts: createHostsRepository(db),
    enrollmentTokens: createEnrollmentTokensRepository(db),
    audit: createAuditRepository(db),
    metrics: createMetricsRepository(db, dialect),
    containers: createContainerMetricsRepository(db),
    actions: createActionsRepository(db),
    invitations: createInvitationsRepository(db),
    apiTokens: createApiTokensRepository(db),
    latestSamples: createLatestSamplesRepository(db),
    locks: createLocksRepository(db, dialect),
    recoveryCodes: createRecoveryCodesRepository(db),
    identities: createIdentitiesRepository(db),
    alerts: createAlertsRepository(db),
  };
}

/** The repositories inside one transaction (`metrics.ingest` and `actions.appendOutput` open their own). */
export type Repositories = ReturnType<typeof createRepositories>;

export async function createStore(target: DatabaseTarget) {
  const database = await openDatabase(target);
  const { db, dialect } = database;
  return {
    dialect,
    ...createRepositories(db, dialect),
    /**
     * Runs `fn` in one transaction and returns its result; a throw rolls everything back. On SQLite the
     * transaction starts with `BEGIN IMMEDIATE` (it holds the write lock from its first statement, so a
     * read-then-write rule cannot interleave with another writer); on PostgreSQL it is READ COMMITTED and
     * the rule takes row locks first (`tx.locks`).
     */
    async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
      if (dialect === 'postgres') {
        return db.transaction().execute((tx) => fn(createRepositories(tx, dialect)));
      }
      return db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const result = await fn(createRepositories(connection, dialect));
          await sql`commit`.execute(connection);
          return result;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      });
    },
    ping: () => database.ping(),
    close: () => database.close(),
  };
}

export type Store = Awaited<ReturnType<typeof createStore>>;
