/**
 * @module domain/organizations — organizations, their members and roles, and their audit log. Holds the
 * rules: who may grant which role, and that an organization always keeps an owner (checked and written in
 * one transaction with the organization's row locked, so two owners leaving at once cannot both succeed).
 */
import { randomUUID } from 'node:crypto';
import { roleAtLeast, type AuditEvent, type Role } from '@hostwire/protocol';
import { requirePerson } from '../auth/access.js';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Actor } from '../context.js';
import type { AuditFilter } from '../store/repositories/audit.js';
import type { MemberView } from '../store/repositories/organizations.js';
import type { Repositories } from '../store/index.js';
import { unitOfWork, type DomainDeps } from './deps.js';

/** Admins manage operators and viewers; only owners grant, change or remove owner and admin roles. */
export function assertMayManage(actorRole: Role, ...roles: Role[]): void {
  for (const role of roles) {
    if (roleAtLeast(role, 'admin') && actorRole !== 'owner')
      throw new ApiError('forbidden', 'Only an owner may manage owners and admins');
  }
}

/** Refuses to demote or remove (newRole undefined) the last owner; the caller holds the organization's lock. */
async function assertKeepsAnOwner(
  tx: Repositories,
  organizationId: string,
  currentRole: Role,
  newRole: Role | undefined,
): Promise<void> {
  if (currentRole !== 'owner' || newRole === 'owner') return;
  if ((await tx.organizations.countOwners(organizationId)) <= 1)
    throw new ApiError('conflict', 'An organization keeps at least one owner');
}

/** The acting member's role, read under the organization's lock; same 404/403 rules as `access`. */
export async function lockedRole(
  tx: Repositories,
  actor: Actor,
  organizationId: string,
  minimum: Role,
): Promise<Role> {
  const role = (await tx.locks.organization(organizationId))
    ? await tx.organizations.roleOf(actor.userId, organizationId)
    : undefined;
  if (!role) throw new ApiError('not_found', 'Organization not found');
  if (!roleAtLeast(role, minimum)) throw new ApiError('forbidden', `This needs the ${minimum} role or above`);
  return role;
}

/** Whether `user` may create an organization: an instance administrator, or anyone under ORG_CREATION=anyone. */
export function mayCreateOrganizations(
  config: Pick<Config, 'organizationCreation'>,
  user: { instanceAdmin: boolean },
): boolean {
  return config.organizationCreation === 'anyone' || user.instanceAdmin;
}

export function createOrganizations(deps: DomainDeps) {
  return {
    /** Creates an organization owned by the actor (a signed-in person; see `mayCreateOrganizations`). */
    async create(actor: Actor, name: string): Promise<{ id: string; name: string; role: Role }> {
      const user = await deps.store.users.findById(actor.userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      if (!mayCreateOrganizations(deps.config, user))
        throw new ApiError(
          'instance_admin_only',
          'Only an instance administrator may create organizations on this server (ORG_CREATION=admins); ask one to invite you',
        );
      const now = Date.now();
      const id = randomUUID();
      await unitOfWork(deps, async (tx, outbox) => {
        await tx.organizations.insert({ id, name, createdAt: now });
        await tx.organizations.addMember({
          organizationId: id,
          userId: actor.userId,
          role: 'owner',
          createdAt: now,
        });
        await tx.audit.record({
          organizationId: id,
          actorType: 'user',
          actorId: actor.userId,
          action: 'organization.created',
          targetType: 'organization',
          targetId: id,
          ip: actor.ip,
        });
        outbox.broadcast({ kind: 'user.memberships-changed', userId: actor.userId });
      });
      return { id, name, role: 'owner' };
    },

    async members(actor: Actor, organizationId: string): Promise<MemberView[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      return deps.store.organizations.members(organizationId);
    },

    async changeRole(
      actor: Actor,
      organizationId: string,
      targetId: string,
      role: Role,
    ): Promise<MemberView> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'admin');
      requirePerson(actor.userId, 'change members');
      return unitOfWork(deps, async (tx, outbox) => {
        const actorRole = await lockedRole(tx, actor, organizationId, 'admin');
        const target = await tx.organizations.member(organizationId, targetId);
        if (!target) throw new ApiError('not_found', 'Member not found');
        assertMayManage(actorRole, target.role, role);
        await assertKeepsAnOwner(tx, organizationId, target.role, role);
        await tx.organizations.setRole(organizationId, targetId, role);
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'member.role_changed',
          targetType: 'user',
          targetId,
          details: { from: target.role, to: role },
          ip: actor.ip,
        });
        outbox.broadcast({ kind: 'user.memberships-changed', userId: targetId });
        return { ...target, role };
      });
    },

    /** Removes a member; anyone may leave, admins remove others (owners only owners and admins). */
    async removeMember(actor: Actor, organizationId: string, targetId: string): Promise<void> {
      const self = targetId === actor.userId;
      await deps.access.requireOrgRole(actor.userId, organizationId, self ? 'viewer' : 'admin');
      requirePerson(actor.userId, 'remove members');
      await unitOfWork(deps, async (tx, outbox) => {
        const actorRole = await lockedRole(tx, actor, organizationId, self ? 'viewer' : 'admin');
        const target = await tx.organizations.member(organizationId, targetId);
        if (!target) throw new ApiError('not_found', 'Member not found');
        if (!self) assertMayManage(actorRole, target.role);
        await assertKeepsAnOwner(tx, organizationId, target.role, undefined);
        await tx.organizations.removeMember(organizationId, targetId);
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'member.removed',
          targetType: 'user',
          targetId,
          details: { email: target.email, role: target.role },
          ip: actor.ip,
        });
        outbox.broadcast({ kind: 'user.memberships-changed', userId: targetId });
      });
    },

    async auditLog(
      actor: Actor,
      organizationId: string,
      query: AuditFilter & { limit: number },
    ): Promise<AuditEvent[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      return deps.store.audit.list(organizationId, query);
    },
  };
}

export type Organizations = ReturnType<typeof createOrganizations>;
