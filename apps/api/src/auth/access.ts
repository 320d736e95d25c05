/** @module auth/access — who may do what: organization roles and host ownership, checked on every request. */
import { roleAtLeast, type Role } from '@hostwire/protocol';
import { ApiError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { HostRow } from '../store/repositories/hosts.js';
import { apiTokenIdOf } from './principals.js';

/**
 * Refuses an API token where only a person may act: inviting, changing or removing members, managing
 * invitations and API tokens. A leaked token must not be able to create people (who would then outlive
 * its revocation) or keep itself alive. Call it after the role check, so a non-member still gets 404.
 */
export function requirePerson(principalId: string, what: string): void {
  if (apiTokenIdOf(principalId) !== undefined)
    throw new ApiError('token_not_allowed', `API tokens cannot ${what}: sign in as a member to do it`);
}

export function createAccess(store: Store) {
  /** The caller's role in an organization; not a member → 404 (no existence leak), too low → 403. */
  async function requireOrgRole(userId: string, organizationId: string, minimum: Role): Promise<Role> {
    const role = await store.organizations.roleOf(userId, organizationId);
    if (!role) throw new ApiError('not_found', 'Organization not found');
    if (!roleAtLeast(role, minimum))
      throw new ApiError('forbidden', `This needs the ${minimum} role or above`);
    return role;
  }

  /** A host the caller may see, with the caller's role in its organization; same 404/403 rules. */
  async function requireHost(
    userId: string,
    hostId: string,
    minimum: Role,
  ): Promise<{ host: HostRow; role: Role }> {
    const host = await store.hosts.findById(hostId);
    const role = host && (await store.organizations.roleOf(userId, host.organizationId));
    if (!host || !role) throw new ApiError('not_found', 'Host not found');
    if (!roleAtLeast(role, minimum))
      throw new ApiError('forbidden', `This needs the ${minimum} role or above`);
    return { host, role };
  }

  return { requireOrgRole, requireHost };
}

export type Access = ReturnType<typeof createAccess>;

/** Over a socket, "not yours" and "not allowed" are both `forbidden`: nothing about other tenants leaks. */
export function asSocketError(error: unknown): unknown {
  return error instanceof ApiError && error.code === 'not_found'
    ? new ApiError('forbidden', 'Not allowed')
    : error;
}
