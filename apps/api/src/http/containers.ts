/** @module http/containers — a host's containers: the newest state of each, and one container's history. */
import { ContainerName } from '@hostwire/protocol';
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, param, requireSessionOrApiToken, route } from './middleware.js';
import { MetricsQuery } from './schemas.js';

export function createContainersRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSessionOrApiToken(ctx);

  router.get(
    '/hosts/:hostId/containers',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      res.json({ containers: await ctx.domain.containers.list(actor, param(req.params.hostId)) });
    }),
  );

  router.get(
    '/hosts/:hostId/containers/:name/metrics',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const hostId = param(req.params.hostId);
      // Authorization before validation: a non-member gets 404 whatever the query holds.
      await ctx.access.requireHost(actor.userId, hostId, 'viewer');
      const name = parseOrThrow(ContainerName, param(req.params.name));
      const q = parseOrThrow(MetricsQuery, req.query);
      res.json(await ctx.domain.containers.history(actor, hostId, name, q));
    }),
  );

  return router;
}
