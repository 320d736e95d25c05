/**
 * @module http/auth — first-run setup, login, logout, `me`, password change, sign-out everywhere, two-factor
 * management and WebSocket tickets (rules: domain/sessions, domain/two-factor).
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { ApiError, parseOrThrow } from '../errors.js';
import {
  actorOf,
  authed,
  checkOrigin,
  clientIp,
  requireSession,
  route,
  SESSION_COOKIE,
  setSessionCookie,
} from './middleware.js';
import { ChangePasswordBody, DisableTotpBody, EnableTotpBody, LoginBody, SetupBody } from './schemas.js';

export function createAuthRouter(ctx: AppContext): Router {
  const router = Router();
  const sessions = ctx.domain.sessions;
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.secureCookies,
    path: '/',
  } as const;

  router.get(
    '/setup',
    route(async (_req, res) => {
      res.json({ setupRequired: await sessions.setupRequired() });
    }),
  );

  router.post(
    '/setup',
    route(async (req, res) => {
      checkOrigin(ctx, req, false);
      const body = parseOrThrow(SetupBody, req.body);
      const started = await sessions.setup(body, clientIp(req));
      setSessionCookie(ctx, res, started);
      res.status(201).json(started.me);
    }),
  );

  router.post(
    '/login',
    route(async (req, res) => {
      checkOrigin(ctx, req, false);
      const body = parseOrThrow(LoginBody, req.body);
      const started = await sessions.login(body, clientIp(req));
      setSessionCookie(ctx, res, started);
      res.json(started.me);
    }),
  );

  router.post(
    '/logout',
    requireSession(ctx),
    route(async (req, res) => {
      const { userId, sessionId } = authed(res);
      await sessions.logout({ userId, ip: clientIp(req) }, sessionId);
      res.clearCookie(SESSION_COOKIE, cookieOptions);
      res.status(204).end();
    }),
  );

  router.post(
    '/logout-all',
    requireSession(ctx),
    route(async (req, res) => {
      const { userId } = authed(res);
      await sessions.logoutAll({ userId, ip: clientIp(req) });
      res.clearCookie(SESSION_COOKIE, cookieOptions);
      res.status(204).end();
    }),
  );

  router.post(
    '/password',
    requireSession(ctx),
    route(async (req, res) => {
      const { userId, sessionId } = authed(res);
      const body = parseOrThrow(ChangePasswordBody, req.body);
      await sessions.changePassword({ userId, ip: clientIp(req) }, sessionId, body);
      res.status(204).end();
    }),
  );

  /** What the account page shows: whether a password is set, the two-factor state, linked SSO identities. */
  router.get(
    '/account',
    requireSession(ctx),
    route(async (_req, res) => {
      const { userId } = authed(res);
      res.json({
        ...(await sessions.account(userId)),
        twoFactor: await ctx.domain.twoFactor.status(userId),
        identities: await ctx.domain.singleSignOn.linkedIdentities(userId),
      });
    }),
  );

  router.post(
    '/totp/setup',
    requireSession(ctx),
    route(async (req, res) => {
      res.json(await ctx.domain.twoFactor.setup(actorOf(req, res)));
    }),
  );

  router.post(
    '/totp/enable',
    requireSession(ctx),
    route(async (req, res) => {
      const body = parseOrThrow(EnableTotpBody, req.body);
      res.json(await ctx.domain.twoFactor.enable(actorOf(req, res), authed(res).sessionId, body));
    }),
  );

  router.post(
    '/totp/disable',
    requireSession(ctx),
    route(async (req, res) => {
      const body = parseOrThrow(DisableTotpBody, req.body);
      await ctx.domain.twoFactor.disable(actorOf(req, res), body);
      res.status(204).end();
    }),
  );

  router.get(
    '/me',
    requireSession(ctx),
    route(async (_req, res) => {
      res.json(await sessions.me(authed(res).userId));
    }),
  );

  return router;
}

export function createTicketRouter(ctx: AppContext): Router {
  const router = Router();
  router.post(
    '/',
    requireSession(ctx),
    route(async (_req, res) => {
      const { userId, sessionId } = authed(res);
      const issued = await ctx.tickets.issue({ userId, sessionId }).catch((cause: unknown) => {
        throw new ApiError('unavailable', 'Tickets cannot be issued right now; try again', undefined, {
          cause,
          retryAfterSeconds: 2,
        });
      });
      res.status(201).json(issued);
    }),
  );
  return router;
}
