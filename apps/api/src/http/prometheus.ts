/**
 * @module http/prometheus — `GET /api/orgs/:orgId/prometheus`: the organization's fleet for Prometheus and
 * Grafana (viewer; an API token or a session), rendered from memory (domain/fleet-metrics).
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { ExpositionWriter } from '../observability/exposition.js';
import { renderFleetMetrics } from '../observability/fleet-exposition.js';
import { authed, clientIp, requireSessionOrApiToken, route } from './middleware.js';

export function createPrometheusRouter(ctx: AppContext): Router {
  const router = Router();
  const param = (value: unknown): string => (typeof value === 'string' ? value : '');

  router.get(
    '/orgs/:orgId/prometheus',
    requireSessionOrApiToken(ctx),
    route(async (req, res) => {
      const actor = { userId: authed(res).userId, ip: clientIp(req) };
      const hosts = await ctx.domain.fleetMetrics.fleet(actor, param(req.params.orgId));
      res.setHeader('Content-Type', ExpositionWriter.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.send(renderFleetMetrics(hosts));
    }),
  );

  return router;
}
