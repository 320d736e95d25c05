/** @module http/organizations — organizations, their members and roles, and their audit log (rules: domain/organizations). */
import { Router } from 'express';
import { requirePerson } from '../auth/access.js';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, param, requireSession, requireSessionOrApiToken, route } from './middleware.js';
import { AuditQuery, CreateOrgBody, InviteBody, UpdateMemberBody } from './schemas.js';

export function createOrganizationsRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSession(ctx);
  // The organization's own routes also take its API tokens; creating an organization, inviting people and
  // changing members need a person (auth/access requirePerson).
  const member = requireSessionOrApiToken(ctx);
  const organizations = ctx.domain.organizations;

  router.post(
    '/',
    session,
    route(async (req, res) => {
      const body = parseOrThrow(CreateOrgBody, req.body);
      res.status(201).json({ organization: await organizations.create(actorOf(req, res), body.name) });
    }),
  );

  router.get(
    '/:orgId/members',
    member,
    route(async (req, res) => {
      res.json({ members: await organizations.members(actorOf(req, res), param(req.params.orgId)) });
    }),
  );

  // People join by invitation: adding a member invites the address (no account is created, no password).
  for (const path of ['/:orgId/invitations', '/:orgId/members']) {
    router.post(
      path,
      member,
      route(async (req, res) => {
        const actor = actorOf(req, res);
        const orgId = param(req.params.orgId);
        await ctx.access.requireOrgRole(actor.userId, orgId, 'admin');
        requirePerson(actor.userId, 'invite people');
        const body = parseOrThrow(InviteBody, req.body);
        res.status(201).json(await ctx.domain.invitations.create(actor, orgId, body));
      }),
    );
  }

  router.get(
    '/:orgId/invitations',
    member,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      res.json({ invitations: await ctx.domain.invitations.list(actor, param(req.params.orgId)) });
    }),
  );

  router.patch(
    '/:orgId/members/:userId',
    member,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(actor.userId, orgId, 'admin');
      requirePerson(actor.userId, 'change members');
      const body = parseOrThrow(UpdateMemberBody, req.body);
      res.json({ member: await organizations.changeRole(actor, orgId, param(req.params.userId), body.role) });
    }),
  );

  router.delete(
    '/:orgId/members/:userId',
    member,
    route(async (req, res) => {
      await organizations.removeMember(actorOf(req, res), param(req.params.orgId), param(req.params.userId));
      res.status(204).end();
    }),
  );

  router.get(
    '/:orgId/audit',
    member,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(actor.userId, orgId, 'viewer');
      const query = parseOrThrow(AuditQuery, req.query);
      res.json({ events: await organizations.auditLog(actor, orgId, query) });
    }),
  );

  return router;
}
