/** @module store/repositories/organizations — organizations and memberships (who holds which role where). */
import type { Role } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import { apiTokenIdOf } from '../../auth/principals.js';
import type { Database } from '../schema.js';
import { createApiTokensRepository } from './api-tokens.js';

export interface MembershipView {
  organizationId: string;
  organizationName: string;
  role: Role;
}

export interface MemberView {
  userId: string;
  email: string;
  role: Role;
  createdAt: number;
}

export function createOrganizationsRepository(db: Kysely<Database>) {
  const apiTokens = createApiTokensRepository(db);
  const memberRows = (organizationId: string) =>
    db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'memberships.role', 'memberships.created_at'])
      .where('memberships.organization_id', '=', organizationId);
  const toMember = (r: { id: string; email: string; role: string; created_at: number }): MemberView => ({
    userId: r.id,
    email: r.email,
    role: r.role as Role,
    createdAt: r.created_at,
  });
  return {
    async insert(org: { id: string; name: string; createdAt: number }): Promise<void> {
      await db
        .insertInto('organizations')
        .values({ id: org.id, name: org.name, created_at: org.createdAt })
        .execute();
    },
    async addMember(m: {
      organizationId: string;
      userId: string;
      role: Role;
      createdAt: number;
    }): Promise<void> {
      await db
        .insertInto('memberships')
        .values({
          organization_id: m.organizationId,
          user_id: m.userId,
          role: m.role,
          created_at: m.createdAt,
        })
        .execute();
    },
    /** The id of the oldest organization (undefined before first-run setup). */
    async oldestId(): Promise<string | undefined> {
      const row = await db
        .selectFrom('organizations')
        .select('id')
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      return row?.id;
    },
    /** Every organization of a user with the user's role in it, oldest first. */
    async membershipsOf(userId: string): Promise<MembershipView[]> {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
        .select(['memberships.organization_id', 'organizations.name', 'memberships.role'])
        .where('memberships.user_id', '=', userId)
        .orderBy('memberships.created_at')
        .orderBy('organizations.name')
        .execute();
      return rows.map((r) => ({
        organizationId: r.organization_id,
        organizationName: r.name,
        role: r.role as Role,
      }));
    },
    /** A principal's role: a member's role, or an API token's (auth/principals, repositories/api-tokens). */
    async roleOf(userId: string, organizationId: string): Promise<Role | undefined> {
      const tokenId = apiTokenIdOf(userId);
      if (tokenId !== undefined) return apiTokens.roleOf(tokenId, organizationId);
      const row = await db
        .selectFrom('memberships')
        .select('role')
        .where('user_id', '=', userId)
        .where('organization_id', '=', organizationId)
        .executeTakeFirst();
      return row?.role as Role | undefined;
    },
    async members(organizationId: string): Promise<MemberView[]> {
      const rows = await memberRows(organizationId).orderBy('memberships.created_at').execute();
      return rows.map(toMember);
    },
    async member(organizationId: string, userId: string): Promise<MemberView | undefined> {
      const row = await memberRows(organizationId)
        .where('memberships.user_id', '=', userId)
        .executeTakeFirst();
      return row && toMember(row);
    },
    async countOwners(organizationId: string): Promise<number> {
      const row = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organization_id', '=', organizationId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async setRole(organizationId: string, userId: string, role: Role): Promise<void> {
      await db
        .updateTable('memberships')
        .set({ role })
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .execute();
    },
    async removeMember(organizationId: string, userId: string): Promise<void> {
      await db
        .deleteFrom('memberships')
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .execute();
    },
  };
}
