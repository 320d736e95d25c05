/** @module http/auth — first-run setup, login (rate-limited), logout, `me` and WebSocket tickets. */
import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import type { Me } from '@hostwire/protocol';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { AppContext } from '../context.js';
import { LoginThrottle } from '../domain/login-throttle.js';
import { ApiError, parseOrThrow } from '../errors.js';
import { authed, checkOrigin, clientIp, requireSession, route, SESSION_COOKIE } from './middleware.js';
import { LoginBody, SetupBody } from './schemas.js';

export async function loadMe(ctx: AppContext, userId: string): Promise<Me> {
  const user = await ctx.store.users.findById(userId);
  if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
  const memberships = await ctx.store.organizations.membershipsOf(userId);
  return {
    user: { id: user.id, email: user.email },
    organizations: memberships.map((m) => ({ id: m.organizationId, name: m.organizationName, role: m.role })),
  };
}

export function createAuthRouter(ctx: AppContext): Router {
  const router = Router();
  const { maxAttempts, windowMs } = ctx.config.login;
  const throttle = new LoginThrottle({ maxAttempts, windowMs });

  async function startSession(res: Response, userId: string): Promise<void> {
    const now = Date.now();
    const sessionId = randomUUID();
    const expiresAt = now + ctx.config.sessionTtlMs;
    await ctx.store.sessions.insert({ id: sessionId, userId, createdAt: now, expiresAt });
    const token = await ctx.tokens.signSession(userId, sessionId, expiresAt);
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.config.secureCookies,
      path: '/',
      expires: new Date(expiresAt),
    });
  }

  router.get(
    '/setup',
    route(async (_req, res) => {
      res.json({ setupRequired: (await ctx.store.users.count()) === 0 });
    }),
  );

  router.post(
    '/setup',
    route(async (req, res) => {
      checkOrigin(ctx, req, false);
      const body = parseOrThrow(SetupBody, req.body);
      if ((await ctx.store.users.count()) > 0)
        throw new ApiError('conflict', 'Setup is already done; sign in instead');
      const now = Date.now();
      const userId = randomUUID();
      const organizationId = randomUUID();
      const passwordHash = await hashPassword(body.password);
      await ctx.store.db.transaction().execute(async (tx) => {
        // Re-checked inside the transaction: of two concurrent setups only one creates the first user.
        const existing = await tx.selectFrom('users').select('id').limit(1).executeTakeFirst();
        if (existing) throw new ApiError('conflict', 'Setup is already done; sign in instead');
        await tx
          .insertInto('users')
          .values({ id: userId, email: body.email, password_hash: passwordHash, created_at: now })
          .execute();
        await ctx.store.organizations.insert(
          { id: organizationId, name: body.organizationName, createdAt: now },
          tx,
        );
        await ctx.store.organizations.addMember(
          { organizationId, userId, role: 'owner', createdAt: now },
          tx,
        );
      });
      await ctx.store.audit.record({
        organizationId,
        actorType: 'user',
        actorId: userId,
        action: 'setup',
        targetType: 'organization',
        targetId: organizationId,
        details: { email: body.email },
        ip: clientIp(req),
      });
      await startSession(res, userId);
      res.status(201).json(await loadMe(ctx, userId));
    }),
  );

  router.post(
    '/login',
    route(async (req, res) => {
      checkOrigin(ctx, req, false);
      const body = parseOrThrow(LoginBody, req.body);
      const ip = clientIp(req);
      const taken = throttle.attempt(body.email, ip ?? 'unknown');
      if (!taken.ok) {
        throw new ApiError('rate_limited', 'Too many sign-in attempts; try again later', undefined, {
          retryAfterSeconds: taken.retryAfterSeconds,
        });
      }
      const user = await ctx.store.users.findByEmail(body.email);
      const valid = await verifyPassword(user?.passwordHash, body.password);
      const memberships = user ? await ctx.store.organizations.membershipsOf(user.id) : [];
      if (!user || !valid) {
        throttle.failed(body.email, ip ?? 'unknown');
        for (const m of memberships) {
          await ctx.store.audit.record({
            organizationId: m.organizationId,
            actorType: 'user',
            actorId: user?.id ?? null,
            action: 'login',
            decision: 'denied',
            ip,
          });
        }
        throw new ApiError('unauthorized', 'Wrong email or password');
      }
      throttle.succeeded(body.email, ip ?? 'unknown');
      for (const m of memberships) {
        await ctx.store.audit.record({
          organizationId: m.organizationId,
          actorType: 'user',
          actorId: user.id,
          action: 'login',
          ip,
        });
      }
      await startSession(res, user.id);
      res.json(await loadMe(ctx, user.id));
    }),
  );

  router.post(
    '/logout',
    requireSession(ctx),
    route(async (req, res) => {
      const { userId, sessionId } = authed(res);
      await ctx.store.sessions.revoke(sessionId, Date.now());
      ctx.bus.broadcast({ kind: 'session.revoked', sessionId });
      for (const m of await ctx.store.organizations.membershipsOf(userId)) {
        await ctx.store.audit.record({
          organizationId: m.organizationId,
          actorType: 'user',
          actorId: userId,
          action: 'logout',
          ip: clientIp(req),
        });
      }
      res.clearCookie(SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: ctx.config.secureCookies,
      });
      res.status(204).end();
    }),
  );

  router.get(
    '/me',
    requireSession(ctx),
    route(async (_req, res) => {
      res.json(await loadMe(ctx, authed(res).userId));
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
