/** @module http/health — liveness, readiness (store and bus) and Prometheus metrics. */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { route } from './middleware.js';

export function createHealthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(
    '/readyz',
    route(async (_req, res) => {
      const { store, bus } = await ctx.domain.health.check();
      const ready = store && bus && !ctx.lifecycle.shuttingDown;
      res.status(ready ? 200 : 503).json({
        status: ready ? 'ready' : 'unavailable',
        store,
        bus,
        shuttingDown: ctx.lifecycle.shuttingDown,
      });
    }),
  );
  router.get(
    '/metrics',
    route(async (_req, res) => {
      res.setHeader('Content-Type', ctx.metrics.registry.contentType);
      res.send(await ctx.metrics.registry.metrics());
    }),
  );
  return router;
}
