/** @module store/repositories/api-tokens — organization API tokens (hashed), their use and revocation. */
import { roleAtLeast, type Role } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ApiTokenRow {
  id: string;
  organizationId: string;
  name: string;
  role: Role;
  createdBy: { id: string; email: string } | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What a presented token resolves to: the token and its creator's current role in its organization. */
export interface ApiTokenCredential {
  id: string;
  organizationId: string;
  name: string;
  role: Role;
  expiresAt: number | null;
  revokedAt: number | null;
  /** The creator's role now (undefined once the creator left the organization). */
  creatorRole: Role | undefined;
}

/** The lower of two roles. */
function lowerRole(a: Role, b: Role): Role {
  return roleAtLeast(a, b) ? b : a;
}

export function createApiTokensRepository(db: Kysely<Database>) {
  const listed = () =>
    db
      .selectFrom('api_tokens')
      .leftJoin('users', 'users.id', 'api_tokens.created_by')
      .select([
        'api_tokens.id',
        'api_tokens.organization_id',
        'api_tokens.name',
        'api_tokens.role',
        'api_tokens.created_by',
        'users.email',
        'api_tokens.created_at',
        'api_tokens.expires_at',
        'api_tokens.last_used_at',
        'api_tokens.revoked_at',
      ]);
  type Listed = Awaited<ReturnType<ReturnType<typeof listed>['executeTakeFirstOrThrow']>>;
  const toRow = (r: Listed): ApiTokenRow => ({
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    role: r.role as Role,
    createdBy: r.created_by && r.email ? { id: r.created_by, email: r.email } : null,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  });

  return {
    async insert(row: {
      id: string;
      organizationId: string;
      name: string;
      role: Role;
      tokenHash: string;
      createdBy: string;
      createdAt: number;
      expiresAt: number | null;
    }): Promise<void> {
      await db
        .insertInto('api_tokens')
        .values({
          id: row.id,
          organization_id: row.organizationId,
          name: row.name,
          role: row.role,
          token_hash: row.tokenHash,
          created_by: row.createdBy,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
    },

    /** The organization's tokens that were not revoked, newest first (expired ones included). */
    async listActive(organizationId: string): Promise<ApiTokenRow[]> {
      const rows = await listed()
        .where('api_tokens.organization_id', '=', organizationId)
        .where('api_tokens.revoked_at', 'is', null)
        .orderBy('api_tokens.created_at', 'desc')
        .orderBy('api_tokens.id')
        .execute();
      return rows.map(toRow);
    },

    async findById(id: string): Promise<ApiTokenRow | undefined> {
      const row = await listed().where('api_tokens.id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },

    /** The token whose SHA-256 is `tokenHash`, with its creator's current role (one indexed read). */
    async findByHash(tokenHash: string): Promise<ApiTokenCredential | undefined> {
      const row = await db
        .selectFrom('api_tokens')
        .leftJoin('memberships', (join) =>
          join
            .onRef('memberships.organization_id', '=', 'api_tokens.organization_id')
            .onRef('memberships.user_id', '=', 'api_tokens.created_by'),
        )
        .select([
          'api_tokens.id',
          'api_tokens.organization_id',
          'api_tokens.name',
          'api_tokens.role',
          'api_tokens.expires_at',
          'api_tokens.revoked_at',
          'memberships.role as creator_role',
        ])
        .where('api_tokens.token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        id: row.id,
        organizationId: row.organization_id,
        name: row.name,
        role: row.role as Role,
        expiresAt: row.expires_at === null ? null : Number(row.expires_at),
        revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
        creatorRole: (row.creator_role ?? undefined) as Role | undefined,
      };
    },

    /**
     * The role a token acts with in `organizationId`: its own role, never above its creator's current one;
     * undefined when the token is of another organization, revoked, expired or its creator left.
     */
    async roleOf(tokenId: string, organizationId: string, now = Date.now()): Promise<Role | undefined> {
      const row = await db
        .selectFrom('api_tokens')
        .innerJoin('memberships', (join) =>
          join
            .onRef('memberships.organization_id', '=', 'api_tokens.organization_id')
            .onRef('memberships.user_id', '=', 'api_tokens.created_by'),
        )
        .select(['api_tokens.role', 'api_tokens.expires_at', 'memberships.role as creator_role'])
        .where('api_tokens.id', '=', tokenId)
        .where('api_tokens.organization_id', '=', organizationId)
        .where('api_tokens.revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row || (row.expires_at !== null && Number(row.expires_at) <= now)) return undefined;
      return lowerRole(row.role as Role, row.creator_role as Role);
    },

    /** Marks the token used at `at`, unless a use within `minIntervalMs` was already recorded. */
    async touch(id: string, at: number, minIntervalMs: number): Promise<void> {
      await db
        .updateTable('api_tokens')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', at - minIntervalMs)]))
        .execute();
    },

    /** Revokes a token; false when it was already revoked. */
    async revoke(id: string, at: number): Promise<boolean> {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
