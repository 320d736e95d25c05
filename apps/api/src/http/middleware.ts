/** @module http/middleware — session authentication, CSRF origin checks and async route wrapping. */
import type { Request, RequestHandler, Response } from 'express';
import { parse as parseCookie } from 'cookie';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';

export const SESSION_COOKIE = 'session';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthedLocals {
  userId: string;
  sessionId: string;
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
