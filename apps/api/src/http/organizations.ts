/** @module http/organizations — organizations, their members and roles, and their audit log. */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { roleAtLeast, type Role } from '@hostwire/protocol';
import { hashPassword } from '../auth/passwords.js';
import type { AppContext } from '../context.js';
import { ApiError, parseOrThrow } from '../errors.js';
import { authed, clientIp, requireSession, route } from './middleware.js';
import { AddMemberBody, AuditQuery, CreateOrgBody, UpdateMemberBody } from './schemas.js';

/** Admins manage operators and viewers; only owners grant, change or remove owner and admin roles. */
function assertMayManage(actorRole: Role, ...roles: Role[]): void {
  for (const role of roles) {
    if (roleAtLeast(role, 'admin') && actorRole !== 'owner')
      throw new ApiError('forbidden', 'Only an owner may manage owners and admins');
  }
}

export function createOrganizationsRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSession(ctx);
  const param = (value: unknown): string => (typeof value === 'string' ? value : '');

  /** Refuses to demote or remove (newRole undefined) the last owner of an organization. */
  async function assertKeepsAnOwner(
    orgId: string,
    currentRole: Role,
    newRole: Role | undefined,
  ): Promise<void> {
    if (currentRole !== 'owner' || newRole === 'owner') return;
    if ((await ctx.store.organizations.countOwners(orgId)) <= 1) {
      throw new ApiError('conflict', 'An organization keeps at least one owner');
    }
  }

  router.post(
    '/',
    session,
    route(async (req, res) => {
      const { userId } = authed(res);
      const body = parseOrThrow(CreateOrgBody, req.body);
      const now = Date.now();
      const id = randomUUID();
      await ctx.store.db.transaction().execute(async (tx) => {
        await ctx.store.organizations.insert({ id, name: body.name, createdAt: now }, tx);
        await ctx.store.organizations.addMember(
          { organizationId: id, userId, role: 'owner', createdAt: now },
          tx,
        );
      });
      await ctx.store.audit.record({
        organizationId: id,
        actorType: 'user',
        actorId: userId,
        action: 'organization.created',
        targetType: 'organization',
        targetId: id,
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'user.memberships-changed', userId });
      res.status(201).json({ organization: { id, name: body.name, role: 'owner' } });
    }),
  );

  router.get(
    '/:orgId/members',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(authed(res).userId, orgId, 'viewer');
      res.json({ members: await ctx.store.organizations.members(orgId) });
    }),
  );

  router.post(
    '/:orgId/members',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      const { userId } = authed(res);
      const actorRole = await ctx.access.requireOrgRole(userId, orgId, 'admin');
      const body = parseOrThrow(AddMemberBody, req.body);
      assertMayManage(actorRole, body.role);
      const now = Date.now();
      let user = await ctx.store.users.findByEmail(body.email);
      if (!user) {
        if (!body.password)
          throw new ApiError('bad_request', 'No user has this email; give an initial password to create one');
        user = {
          id: randomUUID(),
          email: body.email,
          passwordHash: await hashPassword(body.password),
          createdAt: now,
        };
        await ctx.store.users.insert(user);
      }
      if (await ctx.store.organizations.roleOf(user.id, orgId))
        throw new ApiError('conflict', 'This user is already a member');
      await ctx.store.organizations.addMember({
        organizationId: orgId,
        userId: user.id,
        role: body.role,
        createdAt: now,
      });
      await ctx.store.audit.record({
        organizationId: orgId,
        actorType: 'user',
        actorId: userId,
        action: 'member.added',
        targetType: 'user',
        targetId: user.id,
        details: { email: user.email, role: body.role },
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'user.memberships-changed', userId: user.id });
      res.status(201).json({ member: await ctx.store.organizations.member(orgId, user.id) });
    }),
  );

  router.patch(
    '/:orgId/members/:userId',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      const targetId = param(req.params.userId);
      const { userId } = authed(res);
      const actorRole = await ctx.access.requireOrgRole(userId, orgId, 'admin');
      const body = parseOrThrow(UpdateMemberBody, req.body);
      const target = await ctx.store.organizations.member(orgId, targetId);
      if (!target) throw new ApiError('not_found', 'Member not found');
      assertMayManage(actorRole, target.role, body.role);
      await assertKeepsAnOwner(orgId, target.role, body.role);
      await ctx.store.organizations.setRole(orgId, targetId, body.role);
      await ctx.store.audit.record({
        organizationId: orgId,
        actorType: 'user',
        actorId: userId,
        action: 'member.role_changed',
        targetType: 'user',
        targetId,
        details: { from: target.role, to: body.role },
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'user.memberships-changed', userId: targetId });
      res.json({ member: await ctx.store.organizations.member(orgId, targetId) });
    }),
  );

  router.delete(
    '/:orgId/members/:userId',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      const targetId = param(req.params.userId);
      const { userId } = authed(res);
      const actorRole = await ctx.access.requireOrgRole(
        userId,
        orgId,
        targetId === userId ? 'viewer' : 'admin',
      );
      const target = await ctx.store.organizations.member(orgId, targetId);
      if (!target) throw new ApiError('not_found', 'Member not found');
      if (targetId !== userId) assertMayManage(actorRole, target.role);
      await assertKeepsAnOwner(orgId, target.role, undefined);
      await ctx.store.organizations.removeMember(orgId, targetId);
      await ctx.store.audit.record({
        organizationId: orgId,
        actorType: 'user',
        actorId: userId,
        action: 'member.removed',
        targetType: 'user',
        targetId,
        details: { email: target.email, role: target.role },
        ip: clientIp(req),
      });
      ctx.bus.broadcast({ kind: 'user.memberships-changed', userId: targetId });
      res.status(204).end();
    }),
  );

  router.get(
    '/:orgId/audit',
    session,
    route(async (req, res) => {
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(authed(res).userId, orgId, 'viewer');
      const query = parseOrThrow(AuditQuery, req.query);
      res.json({ events: await ctx.store.audit.list(orgId, query) });
    }),
  );

  return router;
}
