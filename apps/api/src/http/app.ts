/** @module http/app — the Express application: security headers, JSON bodies, routers, web UI, errors. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { AppContext } from '../context.js';
import { createAgentDownloadsRouter } from './agent-downloads.js';
import { createApiTokensRouter } from './api-tokens.js';
import { createAlertsRouter } from './alerts.js';
import { createAuthRouter, createTicketRouter } from './auth.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { createContainersRouter } from './containers.js';
import { createHealthRouter } from './health.js';
import { createHostDataRouter } from './host-data.js';
import { createHostsRouter } from './hosts.js';
import { createInvitationsRouter } from './invitations.js';
import { createOrganizationsRouter } from './organizations.js';
import { createSingleSignOnRouter } from './single-sign-on.js';
import { createPrometheusRouter } from './prometheus.js';
import { serveWebUi } from './web-ui.js';

/** apps/web/dist, seen from apps/api/dist/http/app.js (or src/http/app.ts under tests). */
const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  const csp = contentSecurityPolicy(ctx.config.publicUrl);
  const https = ctx.config.publicUrl.startsWith('https://');
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', csp);
    if (https) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  });
  app.use(createHealthRouter(ctx));
  app.use(createAgentDownloadsRouter(ctx));
  app.use('/api', express.json({ limit: '256kb' }));
  app.use('/api/auth', createAuthRouter(ctx));
  app.use('/api/auth', createSingleSignOnRouter(ctx));
  app.use('/api/ws-ticket', createTicketRouter(ctx));
  app.use('/api/orgs', createOrganizationsRouter(ctx));
  app.use('/api', createInvitationsRouter(ctx));
  app.use('/api', createHostsRouter(ctx));
  app.use('/api', createHostDataRouter(ctx));
  app.use('/api', createApiTokensRouter(ctx));
  app.use('/api', createPrometheusRouter(ctx));
  app.use('/api', createContainersRouter(ctx));
  app.use('/api', createAlertsRouter(ctx));
  app.use('/api', notFoundHandler());
  serveWebUi(app, ctx.config.webDistDir ?? DEFAULT_WEB_DIST);
  app.use(notFoundHandler());
  app.use(errorHandler(ctx.logger));
  return app;
}

/**
 * What the UI needs and nothing more: its own scripts, styles and API, the WebSocket of PUBLIC_URL,
 * the inline SVG favicon (data:), no plugins, no <base>, no framing.
 */
export function contentSecurityPolicy(publicUrl: string): string {
  const socketOrigin = new URL(publicUrl).origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${socketOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
