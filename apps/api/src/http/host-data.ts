/** @module http/host-data — metrics history and actions of a host over REST (same checks as the socket). */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, param, requireSessionOrApiToken, route } from './middleware.js';
import { ListQuery, MetricsQuery, RunActionBody } from './schemas.js';

export function createHostDataRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSessionOrApiToken(ctx);

  router.get(
    '/hosts/:hostId/metrics',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const hostId = param(req.params.hostId);
      await ctx.access.requireHost(actor.userId, hostId, 'viewer');
      const q = parseOrThrow(MetricsQuery, req.query);
      res.json(await ctx.domain.hosts.history(actor, hostId, q));
    }),
  );

  router.get(
    '/hosts/:hostId/actions',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const hostId = param(req.params.hostId);
      await ctx.access.requireHost(actor.userId, hostId, 'viewer');
      const q = parseOrThrow(ListQuery, req.query);
      res.json({ actions: await ctx.domain.actions.list(actor, hostId, q.limit) });
    }),
  );

  router.post(
    '/hosts/:hostId/actions',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      // Authorization before validation: a non-member gets 404 whatever the body holds.
      await ctx.domain.actions.authorizeRun(actor, param(req.params.hostId), req.body);
      const body = parseOrThrow(RunActionBody, req.body);
      const action = await ctx.domain.actions.run(actor, param(req.params.hostId), body.action, body.params);
      res.status(201).json({ action });
    }),
  );

  router.get(
    '/actions/:actionId',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      res.json({ action: await ctx.domain.actions.get(actor, param(req.params.actionId)) });
    }),
  );

  router.post(
    '/actions/:actionId/cancel',
    session,
    route(async (req, res) => {
      const action = await ctx.domain.actions.cancel(actorOf(req, res), param(req.params.actionId));
      res.status(202).json({ action });
    }),
  );

  return router;
}
