/**
 * @module domain/api-tokens — organization API tokens for scripts, CI and Prometheus. An admin creates one
 * with a role no higher than their own and an optional expiry; the token (`hwt_` + 32 random bytes,
 * base64url) is shown once and only its SHA-256 is stored. `Authorization: Bearer hwt_…` then acts as the
 * token's principal (auth/principals) with the lower of the token's role and its creator's current one;
 * revoked, expired or orphaned (creator left) tokens are refused. Use is recorded as `lastUsedAt` at most
 * once a minute per token and instance, never as a write per request.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { roleAtLeast, type ApiToken, type Role } from '@hostwire/protocol';
import { requirePerson } from '../auth/access.js';
import { apiTokenPrincipal } from '../auth/principals.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import type { ApiTokenRow } from '../store/repositories/api-tokens.js';
import { unitOfWork, type DomainDeps } from './deps.js';
import { lockedRole } from './organizations.js';

export const API_TOKEN_PREFIX = 'hwt_';
/** `hwt_` + 32 random bytes in base64url. */
const TOKEN_FORMAT = /^hwt_[A-Za-z0-9_-]{43}$/;
/** `lastUsedAt` is written at most this often per token (and instance). */
export const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 24 * 3600_000;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** The caller a valid bearer token stands for. */
export interface ApiTokenCaller {
  /** The principal id routes use as `Actor.userId`. */
  principalId: string;
  tokenId: string;
  organizationId: string;
  name: string;
}

function publicToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    createdBy: row.createdBy,
  };
}

/** API tokens cannot manage API tokens: a leaked token must not be able to mint or keep itself. */
function requireUser(actor: Actor): void {
  requirePerson(actor.userId, 'manage API tokens');
}

export function createApiTokens(deps: DomainDeps) {
  /** When this instance last wrote each token's `last_used_at` (bounded: entries older than the window go). */
  const touched = new Map<string, number>();

  function recordUse(tokenId: string, now: number): void {
    const last = touched.get(tokenId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    if (touched.size > 10_000) {
      for (const [id, at] of touched) if (now - at >= LAST_USED_RESOLUTION_MS) touched.delete(id);
    }
    touched.set(tokenId, now);
    deps.store.apiTokens
      .touch(tokenId, now, LAST_USED_RESOLUTION_MS)
      .catch((error: unknown) => deps.logger.warn({ err: error, tokenId }, 'recording token use failed'));
  }

  return {
    /** Creates a token (admin; its role at most the creator's); the token is in the answer only. */
    async create(
      actor: Actor,
      organizationId: string,
      input: { name: string; role: Role; expiresInDays?: number | undefined },
    ): Promise<{ apiToken: ApiToken; token: string }> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'admin');
      requireUser(actor);
      const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const id = randomUUID();
      const now = Date.now();
      const expiresAt = input.expiresInDays === undefined ? null : now + input.expiresInDays * DAY_MS;
      await unitOfWork(deps, async (tx) => {
        const creatorRole = await lockedRole(tx, actor, organizationId, 'admin');
        if (!roleAtLeast(creatorRole, input.role))
          throw new ApiError('forbidden', `A token's role cannot be above yours (${creatorRole})`);
        await tx.apiTokens.insert({
          id,
          organizationId,
          name: input.name,
          role: input.role,
          tokenHash: hashToken(token),
          createdBy: actor.userId,
          createdAt: now,
          expiresAt,
        });
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'api_token.created',
          targetType: 'api_token',
          targetId: id,
          details: { name: input.name, role: input.role, expiresAt },
          ip: actor.ip,
        });
      });
      const row = await deps.store.apiTokens.findById(id);
      if (!row) throw new ApiError('internal', 'The token vanished after it was created');
      return { apiToken: publicToken(row), token };
    },

    /** The organization's unrevoked tokens, expired ones included (admin). */
    async list(actor: Actor, organizationId: string): Promise<ApiToken[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'admin');
      requireUser(actor);
      return (await deps.store.apiTokens.listActive(organizationId)).map(publicToken);
    },

    /** Revokes a token at once, on every instance (each request reads it); any admin may revoke any token. */
    async revoke(actor: Actor, tokenId: string): Promise<void> {
      const row = await deps.store.apiTokens.findById(tokenId);
      await deps.access.requireOrgRole(actor.userId, row?.organizationId ?? '', 'admin');
      requireUser(actor);
      if (!row || row.revokedAt !== null) throw new ApiError('not_found', 'API token not found');
      await unitOfWork(deps, async (tx) => {
        await lockedRole(tx, actor, row.organizationId, 'admin');
        if (!(await tx.apiTokens.revoke(tokenId, Date.now())))
          throw new ApiError('not_found', 'API token not found');
        await tx.audit.record({
          organizationId: row.organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'api_token.revoked',
          targetType: 'api_token',
          targetId: tokenId,
          details: { name: row.name, role: row.role },
          ip: actor.ip,
        });
      });
    },

    /** The caller a bearer token stands for; 401 for an unknown, revoked, expired or orphaned token. */
    async authenticate(token: string): Promise<ApiTokenCaller> {
      if (!TOKEN_FORMAT.test(token)) throw new ApiError('unauthorized', 'Invalid API token');
      const found = await deps.store.apiTokens.findByHash(hashToken(token));
      if (!found) throw new ApiError('unauthorized', 'Invalid API token');
      if (found.revokedAt !== null) throw new ApiError('unauthorized', 'This API token was revoked');
      const now = Date.now();
      if (found.expiresAt !== null && found.expiresAt <= now)
        throw new ApiError('unauthorized', 'This API token expired');
      if (found.creatorRole === undefined)
        throw new ApiError('unauthorized', 'The member who created this API token left the organization');
      recordUse(found.id, now);
      return {
        principalId: apiTokenPrincipal(found.id),
        tokenId: found.id,
        organizationId: found.organizationId,
        name: found.name,
      };
    },
  };
}

export type ApiTokens = ReturnType<typeof createApiTokens>;
