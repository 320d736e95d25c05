/** @module http/health — liveness, readiness (store and bus) and Prometheus metrics. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { route } from './middleware.js';

/** Whether `Authorization: Bearer <token>` carries `expected` (compared in constant time). */
function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]), digest(expected));
}

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
    route(async (req, res) => {
      const token = ctx.config.metricsToken;
      if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="hostwire-metrics"');
        throw new ApiError('unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
      res.setHeader('Content-Type', ctx.metrics.registry.contentType);
      res.send(await ctx.metrics.registry.metrics());
    }),
  );
  return router;
}
