/** @module http/invitations — revoking an invitation, and the invitee's side: read it, accept it (rules: domain/invitations). */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import {
  actorOf,
  checkOrigin,
  clientIp,
  optionalSession,
  param,
  requireSessionOrApiToken,
  route,
  setSessionCookie,
} from './middleware.js';
import { AcceptInvitationBody } from './schemas.js';

export function createInvitationsRouter(ctx: AppContext): Router {
  const router = Router();
  const invitations = ctx.domain.invitations;

  router.delete(
    '/invitations/:id',
    requireSessionOrApiToken(ctx),
    route(async (req, res) => {
      await invitations.revoke(actorOf(req, res), param(req.params.id));
      res.status(204).end();
    }),
  );

  router.get(
    '/invitations/by-token/:token',
    route(async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await invitations.describe(param(req.params.token)));
    }),
  );

  router.post(
    '/invitations/by-token/:token/accept',
    route(async (req, res) => {
      checkOrigin(ctx, req, false);
      const body = parseOrThrow(AcceptInvitationBody, req.body ?? {});
      const signedIn = await optionalSession(ctx, req, res);
      const started = await invitations.accept(param(req.params.token), body, signedIn, clientIp(req));
      setSessionCookie(ctx, res, started);
      res.json(started.me);
    }),
  );

  return router;
}
