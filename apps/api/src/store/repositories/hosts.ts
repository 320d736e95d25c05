/** @module store/repositories/hosts — hosts, their status, agent details, and enrollment tokens. */
import { AgentInfo, HostSummary, type Host, type HostStatus } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { Database, HostsTable } from '../schema.js';

export interface HostRow extends Host {
  tokenVersion: number;
  lastSeq: number;
}

function parseJson<T>(
  text: string | null,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
): T | null {
  if (text === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function toHost(row: HostsTable): HostRow {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    status: row.status as HostStatus,
    lastSeenAt: row.last_seen_at,
    createdAt: row.created_at,
    enrolledAt: row.enrolled_at,
    agent: parseJson(row.agent_info, AgentInfo),
    summary: parseJson(row.summary, HostSummary),
    tokenVersion: row.token_version,
    lastSeq: row.last_seq,
  };
}

/** The public view of a host (no token version). */
export function publicHost(host: HostRow): Host {
  const { tokenVersion: _tokenVersion, lastSeq: _lastSeq, ...rest } = host;
  return rest;
}

export function createHostsRepository(db: Kysely<Database>) {
  return {
    async insert(host: {
      id: string;
      organizationId: string;
      name: string;
      createdAt: number;
    }): Promise<void> {
      await db
        .insertInto('hosts')
        .values({
          id: host.id,
          organization_id: host.organizationId,
          name: host.name,
          status: 'offline',
          last_seen_at: null,
          created_at: host.createdAt,
          enrolled_at: null,
          token_version: 0,
          agent_info: null,
          summary: null,
          last_seq: 0,
          presence_owner: null,
          presence_expires_at: null,
        })
        .execute();
    },
    async findById(id: string): Promise<HostRow | undefined> {
      const row = await db.selectFrom('hosts').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toHost(row);
    },
    async listByOrganization(organizationId: string): Promise<HostRow[]> {
      const rows = await db
        .selectFrom('hosts')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('name')
        .execute();
      return rows.map(toHost);
    },
    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('hosts').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Bumps the token version so every agent token issued before stops verifying. */
    async bumpTokenVersion(id: string): Promise<number | undefined> {
      await db
        .updateTable('hosts')
        .set((eb) => ({ token_version: eb('token_version', '+', 1) }))
        .where('id', '=', id)
        .execute();
      const row = await db
        .selectFrom('hosts')
        .select('token_version')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.token_version;
    },
    async markEnrolled(id: string, at: number): Promise<void> {
      await db.updateTable('hosts').set({ enrolled_at: at }).where('id', '=', id).execute();
    },
    /** Marks the host online, held by `owner` until `expiresAt`; false when the host no longer exists. */
    async claimPresence(id: string, owner: string, now: number, expiresAt: number): Promise<boolean> {
      const result = await db
        .updateTable('hosts')
        .set({ status: 'online', last_seen_at: now, presence_owner: owner, presence_expires_at: expiresAt })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Extends the leases of the hosts `owners` still hold; returns how many it extended. */
    async renewPresence(owners: string[], now: number, expiresAt: number): Promise<number> {
      if (owners.length === 0) return 0;
      const result = await db
        .updateTable('hosts')
        .set({ last_seen_at: now, presence_expires_at: expiresAt })
        .where('presence_owner', 'in', owners)
        .where('status', '=', 'online')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    /** Who holds each of the hosts (null: nobody); deleted hosts are absent. */
    async presenceOwners(ids: string[]): Promise<Map<string, string | null>> {
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('hosts')
        .select(['id', 'presence_owner'])
        .where('id', 'in', ids)
        .execute();
      return new Map(rows.map((r) => [r.id, r.presence_owner]));
    },
    /** Marks the host offline if `owner` still holds it; false when someone else does (or nobody). */
    async releasePresence(id: string, owner: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('hosts')
        .set({ status: 'offline', last_seen_at: now, presence_owner: null, presence_expires_at: null })
        .where('id', '=', id)
        .where('presence_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /**
     * Marks offline every online host whose lease ended before `now` (or that has none: rows written
     * before leases existed) and returns them; of several instances sweeping at once, each host goes to one.
     */
    async expirePresence(
      now: number,
    ): Promise<{ id: string; organizationId: string; lastSeenAt: number | null }[]> {
      const rows = await db
        .updateTable('hosts')
        .set({ status: 'offline', presence_owner: null, presence_expires_at: null })
        .where('status', '=', 'online')
        .where((eb) => eb.or([eb('presence_expires_at', '<', now), eb('presence_expires_at', 'is', null)]))
        .returning(['id', 'organization_id', 'last_seen_at'])
        .execute();
      return rows.map((r) => ({ id: r.id, organizationId: r.organization_id, lastSeenAt: r.last_seen_at }));
    },
    async setAgentInfo(id: string, info: AgentInfo): Promise<void> {
      await db
        .updateTable('hosts')
        .set({ agent_info: JSON.stringify(info) })
        .where('id', '=', id)
        .execute();
    },
    /** Marks every host offline (used at startup of a single instance: nothing is connected yet). */
    async markAllOffline(at: number): Promise<void> {
      await db
        .updateTable('hosts')
        .set({ status: 'offline', last_seen_at: at, presence_owner: null, presence_expires_at: null })
        .where('status', '=', 'online')
        .execute();
    },
  };
}

export function createEnrollmentTokensRepository(db: Kysely<Database>) {
  return {
    async insert(t: {
      tokenHash: string;
      hostId: string;
      createdAt: number;
      expiresAt: number;
    }): Promise<void> {
      await db
        .insertInto('enrollment_tokens')
        .values({
          token_hash: t.tokenHash,
          host_id: t.hostId,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          used_at: null,
        })
        .execute();
    },
    /**
     * Marks an unused, unexpired token used and returns its host id, atomically: of two concurrent
     * enrollments with one token exactly one wins.
     */
    async consume(tokenHash: string, now: number): Promise<string | undefined> {
      const result = await db
        .updateTable('enrollment_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      const row = await db
        .selectFrom('enrollment_tokens')
        .select('host_id')
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row?.host_id;
    },
    async revokeForHost(hostId: string, now: number): Promise<void> {
      await db
        .updateTable('enrollment_tokens')
        .set({ used_at: now })
        .where('host_id', '=', hostId)
        .where('used_at', 'is', null)
        .execute();
    },
  };
}
