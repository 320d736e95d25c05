/**
 * @module http/api-tokens — creating, listing and revoking an organization's API tokens (rules:
 * domain/api-tokens). Managed by signed-in admins only: a token can neither mint nor revoke tokens.
 */
import { Role } from '@hostwire/protocol';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, param, requireSession, route } from './middleware.js';
import { Name } from './schemas.js';

export const CreateApiTokenBody = z.strictObject({
  name: Name,
  role: Role,
  /** Days until the token stops working; absent = it never expires (revoke it instead). */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

export function createApiTokensRouter(ctx: AppContext): Router {
  const router = Router();
  const session = requireSession(ctx);
  const apiTokens = ctx.domain.apiTokens;

  router.get(
    '/orgs/:orgId/api-tokens',
    session,
    route(async (req, res) => {
      res.json({ apiTokens: await apiTokens.list(actorOf(req, res), param(req.params.orgId)) });
    }),
  );

  router.post(
    '/orgs/:orgId/api-tokens',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      // Authorization before validation: a non-member learns nothing from a bad body.
      await ctx.access.requireOrgRole(actor.userId, orgId, 'admin');
      const body = parseOrThrow(CreateApiTokenBody, req.body);
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json(await apiTokens.create(actor, orgId, body));
    }),
  );

  router.delete(
    '/api-tokens/:id',
    session,
    route(async (req, res) => {
      await apiTokens.revoke(actorOf(req, res), param(req.params.id));
      res.status(204).end();
    }),
  );

  return router;
}
