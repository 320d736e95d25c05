/**
 * @module http/middleware — session and API-token authentication, CSRF origin checks and async route
 * wrapping. Routes behind `requireSession` are for signed-in people only; the organization's routes use
 * `requireSessionOrApiToken`, where `Authorization: Bearer hwt_…` acts as the token (no cookie, no Origin).
 */
import type { Request, RequestHandler, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import type { Actor, AppContext } from '../context.js';
import type { StartedSession } from '../domain/sessions.js';
import { ApiError } from '../errors.js';

export const SESSION_COOKIE = 'session';

/** Sets the session cookie of a session just started (sign-in, setup, invitation, single sign-on). */
export function setSessionCookie(ctx: AppContext, res: Response, started: StartedSession): void {
  res.cookie(SESSION_COOKIE, started.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.secureCookies,
    path: '/',
    expires: new Date(started.expiresAt),
  });
}
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthedLocals {
  /** The signed-in user; behind `requireSessionOrApiToken`, an API token's principal id (auth/principals). */
  userId: string;
  /** Set by `requireSession` (and by a cookie behind `requireSessionOrApiToken`), never for an API token. */
  sessionId: string;
}

/** The caller behind `requireSessionOrApiToken`: a user (with its session) or an API token. */
export interface CallerLocals {
  userId: string;
  sessionId?: string;
  /** Set when an API token authenticated the request. */
  apiTokenId?: string;
}

/** Wraps an async handler so a rejection reaches the error middleware. */
export function route(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}

/** The authenticated user of a request (set by requireSession). */
export function authed(res: Response): AuthedLocals {
  return res.locals as AuthedLocals;
}

export function clientIp(req: Request): string | null {
  return req.ip ?? null;
}

/** Who acts in a request behind `requireSession`/`requireSessionOrApiToken`, and from where (for the audit log). */
export function actorOf(req: Request, res: Response): Actor {
  return { userId: authed(res).userId, ip: clientIp(req) };
}

/** A route parameter as a string ('' when absent). */
export function param(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Refuses cross-site requests: an unsafe method with a disallowed (or, when `required`, missing) Origin. */
export function checkOrigin(ctx: AppContext, req: Request, required: boolean): void {
  if (!UNSAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin === undefined) {
    if (required)
      throw new ApiError(
        'origin_not_allowed',
        'Requests authenticated by cookie must send an allowed Origin header',
      );
    return;
  }
  if (!ctx.config.allowedOrigins.has(origin))
    throw new ApiError('origin_not_allowed', `Origin ${origin} is not allowed`);
}

/** Requires a valid, unrevoked session cookie; state-changing requests must also come from an allowed Origin. */
export function requireSession(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    authenticateSession(ctx, req, res).then(() => next(), next);
  };
}

/** The token of an `Authorization: Bearer …` header (undefined without one). */
function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The organization's routes: a session cookie (with the Origin check), or an API token as
 * `Authorization: Bearer hwt_…` (no cookie, no Origin: a browser never sends it on its own). A token acts
 * with its own role through the same access checks as a member; its organization's routes only.
 */
export function requireSessionOrApiToken(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    if (token === undefined) {
      authenticateSession(ctx, req, res).then(() => next(), next);
      return;
    }
    ctx.domain.apiTokens.authenticate(token).then(
      (found) => {
        const locals: CallerLocals = { userId: found.principalId, apiTokenId: found.tokenId };
        Object.assign(res.locals, locals);
        next();
      },
      (error: unknown) => {
        res.setHeader('WWW-Authenticate', 'Bearer realm="hostwire", error="invalid_token"');
        next(error);
      },
    );
  };
}

/** The signed-in user of a request that also works anonymously (undefined without a valid session). */
export async function optionalSession(
  ctx: AppContext,
  req: Request,
  res: Response,
): Promise<{ userId: string } | undefined> {
  if (!parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]) return undefined;
  try {
    await authenticateSession(ctx, req, res);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthorized') return undefined;
    throw error;
  }
  return { userId: authed(res).userId };
}

async function authenticateSession(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const token = parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
  if (!token && bearerToken(req) !== undefined)
    throw new ApiError('token_not_allowed', 'API tokens cannot be used here: this needs a signed-in member');
  if (!token) throw new ApiError('unauthorized', 'Sign in first');
  const verified = await ctx.tokens.verifySession(token);
  if (!verified.ok) {
    throw new ApiError(
      'unauthorized',
      verified.reason === 'expired' ? 'The session expired; sign in again' : 'Invalid session',
    );
  }
  const session = await ctx.domain.sessions.findActive(verified.claims.sessionId);
  if (!session || session.userId !== verified.claims.userId)
    throw new ApiError('unauthorized', 'The session has ended; sign in again');
  checkOrigin(ctx, req, true);
  const locals: AuthedLocals = { userId: session.userId, sessionId: session.id };
  Object.assign(res.locals, locals);
}
