/** @module http/hosts — hosts of an organization, enrollment, deletion and token rotation (rules: domain/hosts). */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, clientIp, param, requireSessionOrApiToken, route } from './middleware.js';
import { CreateHostBody, EnrollBody } from './schemas.js';

export function createHostsRouter(ctx: AppContext): Router {
  const router = Router();
  const hosts = ctx.domain.hosts;

  router.post(
    '/agent/enroll',
    route(async (req, res) => {
      const { enrollmentToken, ...details } = parseOrThrow(EnrollBody, req.body);
      res.status(201).json(await hosts.enroll(enrollmentToken, details, clientIp(req)));
    }),
  );

  const session = requireSessionOrApiToken(ctx);

  router.get(
    '/orgs/:orgId/hosts',
    session,
    route(async (req, res) => {
      res.json({ hosts: await hosts.list(actorOf(req, res), param(req.params.orgId)) });
    }),
  );

  router.post(
    '/orgs/:orgId/hosts',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(actor.userId, orgId, 'admin');
      const body = parseOrThrow(CreateHostBody, req.body);
      res.status(201).json(await hosts.create(orgId, body.name, actor));
    }),
  );

  router.get(
    '/hosts/:hostId',
    session,
    route(async (req, res) => {
      res.json({ host: await hosts.get(actorOf(req, res), param(req.params.hostId)) });
    }),
  );

  router.delete(
    '/hosts/:hostId',
    session,
    route(async (req, res) => {
      await hosts.remove(actorOf(req, res), param(req.params.hostId));
      res.status(204).end();
    }),
  );

  router.post(
    '/hosts/:hostId/rotate-token',
    session,
    route(async (req, res) => {
      res.status(201).json(await hosts.rotateToken(actorOf(req, res), param(req.params.hostId)));
    }),
  );

  return router;
}
