/**
 * @module http/prometheus — `GET /api/orgs/:orgId/prometheus`: the organization's fleet for Prometheus and
 * Grafana (viewer; an API token or a session), rendered from memory (domain/fleet-metrics).
 */
import { Router, type Response } from 'express';
import type { AppContext } from '../context.js';
import { ORG_IDLE_MS } from '../domain/fleet-metrics.js';
import { ExpositionWriter } from '../observability/exposition.js';
import { FleetRenderer } from '../observability/fleet-exposition.js';
import { actorOf, param, requireSessionOrApiToken, route } from './middleware.js';

export function createPrometheusRouter(ctx: AppContext): Router {
  const router = Router();
  /** One per organization scraped: each keeps its hosts' label sets between scrapes (dropped when idle). */
  const renderers = new Map<string, { renderer: FleetRenderer; usedAt: number }>();
  function rendererOf(orgId: string): FleetRenderer {
    const now = Date.now();
    for (const [id, entry] of renderers) if (now - entry.usedAt > ORG_IDLE_MS) renderers.delete(id);
    const entry = renderers.get(orgId) ?? { renderer: new FleetRenderer(), usedAt: now };
    entry.usedAt = now;
    renderers.set(orgId, entry);
    return entry.renderer;
  }

  router.get(
    '/orgs/:orgId/prometheus',
    requireSessionOrApiToken(ctx),
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      const hosts = await ctx.domain.fleetMetrics.fleet(actor, orgId);
      const { chunks, release } = rendererOf(orgId).render(hosts);
      // The buffers serve the next scrape once everything was handed to the socket; an aborted response
      // leaves them to the garbage collector (the socket may still hold them).
      res.once('finish', release);
      res.setHeader('Content-Type', ExpositionWriter.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader(
        'Content-Length',
        chunks.reduce((sum, chunk) => sum + chunk.length, 0),
      );
      await writeChunks(res, chunks);
    }),
  );

  return router;
}

/**
 * Writes the encoded chunks one after the other, waiting for the socket to drain (a scrape of a large fleet
 * is tens of megabytes: no ETag over it, no copy into one buffer, no writev of hundreds of queued chunks).
 */
async function writeChunks(res: Response, chunks: readonly Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}
