/** @module store/migrations — one ordered list of migrations, written once for SQLite and Postgres. */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

function migrations(dialect: Dialect): Record<string, Migration> {
  // Millisecond timestamps exceed 32 bits: bigint in Postgres (parsed back to number), INTEGER in SQLite.
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '001_foundation': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('organizations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('memberships')
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('role', 'text', (c) =>
            c.notNull().check(sql`role in ('owner','admin','operator','viewer')`),
          )
          .addColumn('created_at', ms, (c) => c.notNull())
          .addPrimaryKeyConstraint('memberships_pk', ['organization_id', 'user_id'])
          .execute();
        await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();
        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('revoked_at', ms)
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
        await db.schema
          .createTable('hosts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('offline'))
          .addColumn('last_seen_at', ms)
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('enrolled_at', ms)
          .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('agent_info', 'text')
          .addColumn('summary', 'text')
          .addColumn('last_seq', ms, (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createIndex('hosts_org').on('hosts').column('organization_id').execute();
        await db.schema
          .createTable('enrollment_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('used_at', ms)
          .execute();
        await db.schema
          .createTable('audit_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('organization_id', 'text')
          .addColumn('actor_type', 'text', (c) => c.notNull())
          .addColumn('actor_id', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target_type', 'text')
          .addColumn('target_id', 'text')
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('details', 'text')
          .addColumn('ip', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('audit_org_id')
          .on('audit_events')
          .columns(['organization_id', 'id'])
          .execute();
      },
    },
    '002_metrics_actions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('metric_samples')
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('seq', ms, (c) => c.notNull())
          .addColumn('ts', ms, (c) => c.notNull())
          .addColumn('values_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('metric_samples_pk', ['host_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('metric_samples_host_ts')
          .on('metric_samples')
          .columns(['host_id', 'ts'])
          .execute();
        await db.schema.createIndex('metric_samples_ts').on('metric_samples').column('ts').execute();
        await db.schema
          .createTable('metric_rollups')
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('resolution', 'text', (c) => c.notNull())
          .addColumn('bucket', ms, (c) => c.notNull())
          .addColumn('values_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('metric_rollups_pk', ['host_id', 'resolution', 'bucket'])
          .execute();
        await db.schema
          .createIndex('metric_rollups_res_bucket')
          .on('metric_rollups')
          .columns(['resolution', 'bucket'])
          .execute();
        await db.schema
          .createTable('actions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('organization_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('params', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('exit_code', 'integer')
          .addColumn('error', 'text')
          .addColumn('output', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('output_bytes', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('output_truncated', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('started_at', ms)
          .addColumn('finished_at', ms)
          .execute();
        await db.schema
          .createIndex('actions_host_created')
          .on('actions')
          .columns(['host_id', 'created_at'])
          .execute();
      },
    },
    '003_domain': {
      async up(db: Kysely<unknown>) {
        // The audit row of an action run, completed by whichever instance receives the result.
        await db.schema.alterTable('actions').addColumn('audit_id', ms).execute();
        // Output as appended chunks instead of one growing column; lists never read it.
        await db.schema
          .alterTable('actions')
          .addColumn('output_chunks', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('action_output')
          .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id').onDelete('cascade'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('action_output_pk', ['action_id', 'seq'])
          .execute();
        await sql`insert into action_output (action_id, seq, data) select id, 0, output from actions where output <> ''`.execute(
          db,
        );
        await sql`update actions set output_chunks = 1, output = '' where output <> ''`.execute(db);
        // Presence: which instance (and which connection of it) holds a host's agent, and until when.
        await db.schema.alterTable('hosts').addColumn('presence_owner', 'text').execute();
        await db.schema.alterTable('hosts').addColumn('presence_expires_at', ms).execute();
        await db.schema
          .createIndex('hosts_presence')
          .on('hosts')
          .columns(['status', 'presence_expires_at'])
          .execute();
      },
    },
    '004_invitations': {
      async up(db: Kysely<unknown>) {
        // People join an organization only by invitation: a single-use link (its token stored as SHA-256).
        await db.schema
          .createTable('invitations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) =>
            c.notNull().check(sql`role in ('owner','admin','operator','viewer')`),
          )
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('invited_by', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('accepted_at', ms)
          .addColumn('accepted_by', 'text')
          .addColumn('revoked_at', ms)
          .execute();
        await db.schema
          .createIndex('invitations_org')
          .on('invitations')
          .columns(['organization_id', 'created_at'])
          .execute();
      },
    },
    '005_alerts': {
      async up(db: Kysely<unknown>) {
        const real = dialect === 'postgres' ? 'double precision' : 'real';
        // Rules and channels of an organization; conditions, host and channel lists as JSON.
        await db.schema
          .createTable('alert_rules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('condition', 'text', (c) => c.notNull())
          .addColumn('for_seconds', 'integer', (c) => c.notNull())
          .addColumn('host_ids', 'text')
          .addColumn('channel_ids', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('alert_rules_org').on('alert_rules').column('organization_id').execute();
        await db.schema
          .createTable('notification_channels')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('notification_channels_org')
          .on('notification_channels')
          .column('organization_id')
          .execute();
        // Alerts outlive their rule and host (history); rule and host names are kept with them.
        await db.schema
          .createTable('alerts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('rule_id', 'text', (c) => c.notNull())
          .addColumn('rule_name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('host_id', 'text', (c) => c.notNull())
          .addColumn('host_name', 'text', (c) => c.notNull())
          .addColumn('container', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending','firing','resolved')`))
          .addColumn('value', real)
          .addColumn('started_at', ms, (c) => c.notNull())
          .addColumn('fired_at', ms)
          .addColumn('resolved_at', ms)
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        // At most one open alert per (rule, host, container): two instances racing cannot open two.
        await db.schema
          .createIndex('alerts_open')
          .on('alerts')
          .columns(['rule_id', 'host_id', 'container'])
          .unique()
          .where(sql.ref('state'), '<>', 'resolved')
          .execute();
        await db.schema
          .createIndex('alerts_org_state')
          .on('alerts')
          .columns(['organization_id', 'state', 'updated_at'])
          .execute();
        await db.schema.createIndex('alerts_host').on('alerts').columns(['host_id', 'state']).execute();
        // The outbox: a delivery is stored with its transition, then attempted until delivered or too old.
        await db.schema
          .createTable('alert_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('channel_id', 'text', (c) =>
            c.notNull().references('notification_channels.id').onDelete('cascade'),
          )
          .addColumn('alert_id', 'text')
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', ms)
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', ms)
          .addColumn('last_status_code', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('delivered_at', ms)
          .execute();
        await db.schema
          .createIndex('alert_deliveries_due')
          .on('alert_deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('alert_deliveries_channel')
          .on('alert_deliveries')
          .columns(['channel_id', 'created_at'])
          .execute();
        await db.schema
          .createTable('alert_delivery_attempts')
          .addColumn('delivery_id', 'text', (c) =>
            c.notNull().references('alert_deliveries.id').onDelete('cascade'),
          )
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('at', ms, (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('error', 'text')
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('alert_delivery_attempts_pk', ['delivery_id', 'attempt'])
          .execute();
        // Named leases: the one instance that sweeps host_offline rules at a time.
        await db.schema
          .createTable('alert_leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
      },
    },
    '006_api_tokens': {
      async up(db: Kysely<unknown>) {
        // Organization API tokens: only the SHA-256 of the token is kept (it has 256 random bits).
        await db.schema
          .createTable('api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) =>
            c.notNull().references('organizations.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) =>
            c.notNull().check(sql`role in ('owner','admin','operator','viewer')`),
          )
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms)
          .addColumn('last_used_at', ms)
          .addColumn('revoked_at', ms)
          .execute();
        await db.schema
          .createIndex('api_tokens_org')
          .on('api_tokens')
          .columns(['organization_id', 'created_at'])
          .execute();
        // The actor's name at the time (an API token's name), so the log reads the same after a revocation.
        await db.schema.alterTable('audit_events').addColumn('actor_name', 'text').execute();
      },
    },
    '007_sign_in': {
      async up(db: Kysely<unknown>) {
        // Two-factor sign-in: the TOTP secret (AES-GCM sealed, see auth/secret-box), set at setup and
        // enabled once a code confirmed it; the last accepted time step, so no code works twice.
        await db.schema.alterTable('users').addColumn('totp_secret', 'text').execute();
        await db.schema.alterTable('users').addColumn('totp_enabled_at', ms).execute();
        await db.schema.alterTable('users').addColumn('totp_last_step', ms).execute();
        // Ten single-use recovery codes per user, stored as SHA-256.
        await db.schema
          .createTable('recovery_codes')
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('used_at', ms)
          .addPrimaryKeyConstraint('recovery_codes_pk', ['user_id', 'code_hash'])
          .execute();
        // Single sign-on: the OpenID provider's (issuer, subject) linked to an account.
        await db.schema
          .createTable('user_identities')
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('last_login_at', ms)
          .addPrimaryKeyConstraint('user_identities_pk', ['issuer', 'subject'])
          .execute();
        await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute();
      },
    },
    '008_containers': {
      async up(db: Kysely<unknown>) {
        // Container series ride with the host's samples: one row per (host, seq) holding every container.
        await db.schema
          .createTable('container_samples')
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('seq', ms, (c) => c.notNull())
          .addColumn('ts', ms, (c) => c.notNull())
          .addColumn('values_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('container_samples_pk', ['host_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('container_samples_host_ts')
          .on('container_samples')
          .columns(['host_id', 'ts'])
          .execute();
        await db.schema.createIndex('container_samples_ts').on('container_samples').column('ts').execute();
        await db.schema
          .createTable('container_rollups')
          .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id').onDelete('cascade'))
          .addColumn('resolution', 'text', (c) => c.notNull())
          .addColumn('bucket', ms, (c) => c.notNull())
          .addColumn('values_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('container_rollups_pk', ['host_id', 'resolution', 'bucket'])
          .execute();
        await db.schema
          .createIndex('container_rollups_res_bucket')
          .on('container_rollups')
          .columns(['resolution', 'bucket'])
          .execute();
        // The newest container list of each host (what another instance or a restarted one serves).
        await db.schema
          .createTable('host_containers')
          .addColumn('host_id', 'text', (c) => c.primaryKey().references('hosts.id').onDelete('cascade'))
          .addColumn('ts', ms, (c) => c.notNull())
          .addColumn('containers_json', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '009_instance_admins': {
      async up(db: Kysely<unknown>) {
        // Instance administrators may create organizations (ORG_CREATION=admins). An existing install keeps
        // one: its first user, the one first-run setup created (setup runs only while there are no users).
        await db.schema
          .alterTable('users')
          .addColumn('instance_admin', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await sql`update users set instance_admin = 1
          where id = (select id from users order by created_at asc, id asc limit 1)`.execute(db);
      },
    },
  };
}

export function createMigrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}
