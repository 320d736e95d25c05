// A database written by the previous release (migrations 001–002, its rows as that release wrote them)
// opens in this one with nothing lost: the new migrations move old data, never drop it.
import { mkdtempSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from './index.js';
import { createMigrationProvider } from './migrations.js';
import type { DatabaseTarget } from './database.js';
import { POSTGRES_URL, skipWithout } from '../test-support/services.js';

/** The migrations the previous release shipped (commit 7336456); every later one must only add. */
const PREVIOUS_RELEASE_MIGRATIONS = ['001_foundation', '002_metrics_actions'];

const skipPostgres = await skipWithout('postgres');
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function sqliteTarget(): DatabaseTarget {
  return { kind: 'sqlite', file: path.join(mkdtempSync(path.join(tmpdir(), 'hw-upgrade-')), 'hostwire.db') };
}

async function postgresTarget(): Promise<DatabaseTarget> {
  const name = `hostwire_upgrade_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
  });
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return { kind: 'postgres', url: url.toString() };
}

function rawDatabase(target: DatabaseTarget): Kysely<unknown> {
  if (target.kind === 'sqlite') {
    return new Kysely({ dialect: new SqliteDialect({ database: new SQLite(target.file) }) });
  }
  return new Kysely({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url }) }),
  });
}

/** Builds the previous release's schema and fills it the way that release wrote its rows. */
async function writePreviousRelease(target: DatabaseTarget): Promise<void> {
  const db = rawDatabase(target);
  try {
    const migrator = new Migrator({ db, provider: createMigrationProvider(target.kind) });
    const { error, results } = await migrator.migrateTo(PREVIOUS_RELEASE_MIGRATIONS.at(-1) ?? '');
    expect(error).toBeUndefined();
    expect(results?.map((r) => r.migrationName)).toEqual(PREVIOUS_RELEASE_MIGRATIONS);
    const t = 1_700_000_000_000;
    await sql`insert into users (id, email, password_hash, created_at) values ('u1', 'owner@example.com', 'argon2-hash', ${t})`.execute(
      db,
    );
    await sql`insert into users (id, email, password_hash, created_at) values ('u2', 'member@example.com', 'argon2-hash', ${t + 60_000})`.execute(
      db,
    );
    await sql`insert into organizations (id, name, created_at) values ('o1', 'Acme', ${t})`.execute(db);
    await sql`insert into memberships (organization_id, user_id, role, created_at) values ('o1', 'u1', 'owner', ${t})`.execute(
      db,
    );
    await sql`insert into hosts (id, organization_id, name, status, last_seen_at, created_at, enrolled_at, token_version, last_seq)
      values ('h1', 'o1', 'web-1', 'online', ${t + 5000}, ${t}, ${t + 1000}, 2, 3)`.execute(db);
    for (const seq of [1, 2, 3]) {
      await sql`insert into metric_samples (host_id, seq, ts, values_json) values ('h1', ${seq}, ${t + seq * 1000}, ${JSON.stringify({ cpu: seq })})`.execute(
        db,
      );
    }
    await sql`insert into actions (id, host_id, organization_id, user_id, action, params, status, exit_code, output, output_bytes, created_at, started_at, finished_at)
      values ('a1', 'h1', 'o1', 'u1', 'restart-nginx', '{}', 'succeeded', 0, 'line one\nline two\n', 18, ${t}, ${t + 10}, ${t + 20})`.execute(
      db,
    );
    await sql`insert into actions (id, host_id, organization_id, user_id, action, params, status, created_at)
      values ('a2', 'h1', 'o1', 'u1', 'uptime', '{}', 'queued', ${t + 30})`.execute(db);
    await sql`insert into audit_events (organization_id, actor_type, actor_id, action, target_type, target_id, decision, details, created_at)
      values ('o1', 'user', 'u1', 'action.run', 'host', 'h1', 'allowed', '{"action":"restart-nginx"}', ${t})`.execute(
      db,
    );
  } finally {
    await db.destroy();
  }
}

const dialects: [string, () => DatabaseTarget | Promise<DatabaseTarget>, boolean][] = [
  ['SQLite', sqliteTarget, false],
  ['PostgreSQL', postgresTarget, skipPostgres],
];

for (const [name, makeTarget, skip] of dialects) {
  describe.skipIf(skip)(`upgrade from the previous release on ${name}`, () => {
    it('opens its database with every user, organization, host, sample, action output and audit row kept', async () => {
      const target = await makeTarget();
      await writePreviousRelease(target);

      const store: Store = await createStore(target);
      cleanups.push(() => store.close());

      expect((await store.users.findByEmail('owner@example.com'))?.id).toBe('u1');
      // Migration 009: the first user (the one setup created) stays an instance administrator, no one else.
      expect((await store.users.findById('u1'))?.instanceAdmin).toBe(true);
      expect((await store.users.findById('u2'))?.instanceAdmin).toBe(false);
      const host = await store.hosts.findById('h1');
      expect(host).toMatchObject({ name: 'web-1', organizationId: 'o1', tokenVersion: 2 });
      expect(await store.metrics.seqs('h1')).toEqual([1, 2, 3]);

      // Migration 003 moved the one growing output column into chunk rows, byte for byte.
      const finished = await store.actions.findById('a1');
      expect(finished).toMatchObject({ status: 'succeeded', exitCode: 0, output: 'line one\nline two\n' });
      expect((await store.actions.findById('a2'))?.output).toBe('');
      expect((await store.actions.listByHost('h1', 10)).map((a) => a.id).sort()).toEqual(['a1', 'a2']);

      const audit = await store.audit.list('o1', { limit: 10 });
      expect(audit).toEqual([expect.objectContaining({ action: 'action.run', targetId: 'h1' })]);

      // The tables the new release added are there and empty.
      expect(await store.invitations.pending('o1', Date.now())).toEqual([]);
    });
  });
}
