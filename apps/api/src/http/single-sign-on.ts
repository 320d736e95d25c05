/**
 * @module http/single-sign-on — OpenID Connect routes (rules: domain/single-sign-on): `GET /api/auth/config`
 * (is SSO on, the button's name), `GET /api/auth/oidc/start` (redirect to the provider with a transaction
 * cookie) and `GET /api/auth/oidc/callback` (session cookie and redirect, or a plain error page).
 */
import { Router, type Request, type Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { OIDC_TRANSACTION_TTL_SECONDS } from '../auth/oidc-client.js';
import { parseOrThrow, toApiError } from '../errors.js';
import { clientIp, route, SESSION_COOKIE } from './middleware.js';

/** Holds the sealed transaction (state, nonce, PKCE verifier) between start and callback. */
export const OIDC_COOKIE = 'hostwire_oidc';
const OIDC_PATH = '/api/auth/oidc';

const StartQuery = z.object({
  invitation: z
    .string()
    .regex(/^[A-Za-z0-9_-]{10,200}$/)
    .optional(),
  returnTo: z.string().max(512).optional(),
});

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A minimal page for a browser that landed on the callback: what went wrong and a way back. */
function errorPage(title: string, message: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} · Hostwire</title></head>`,
    '<body><main>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p data-testid="sso-error">${escapeHtml(message)}</p>`,
    '<p><a href="/login">Back to sign-in</a></p>',
    '</main></body></html>',
  ].join('\n');
}

export function createSingleSignOnRouter(ctx: AppContext): Router {
  const router = Router();
  const sso = ctx.domain.singleSignOn;
  const transactionCookie = {
    httpOnly: true,
    // Lax: the provider's redirect back is a top-level GET navigation, which carries it.
    sameSite: 'lax',
    secure: ctx.config.secureCookies,
    path: OIDC_PATH,
  } as const;

  router.get('/config', (_req, res) => {
    res.json({ sso: sso.describe() });
  });

  router.get(
    '/oidc/start',
    route(async (req, res) => {
      const query = parseOrThrow(StartQuery, req.query);
      const { url, transaction } = await sso.begin(query);
      res.cookie(OIDC_COOKIE, transaction, {
        ...transactionCookie,
        maxAge: OIDC_TRANSACTION_TTL_SECONDS * 1000,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(302, url);
    }),
  );

  router.get('/oidc/callback', (req: Request, res: Response) => {
    const sealed = parseCookie(req.headers.cookie ?? '')[OIDC_COOKIE];
    // The callback URL as the provider was told it: PUBLIC_URL + this path + the response parameters.
    const callbackUrl = new URL(req.originalUrl, ctx.config.publicUrl);
    res.clearCookie(OIDC_COOKIE, transactionCookie);
    res.setHeader('Cache-Control', 'no-store');
    sso.complete(callbackUrl, sealed, clientIp(req)).then(
      (started) => {
        res.cookie(SESSION_COOKIE, started.token, {
          httpOnly: true,
          sameSite: 'lax',
          secure: ctx.config.secureCookies,
          path: '/',
          expires: new Date(started.expiresAt),
        });
        res.redirect(302, started.returnTo);
      },
      (cause: unknown) => {
        const error = toApiError(cause);
        if (error.status >= 500) ctx.logger.error({ err: cause }, 'single sign-on callback failed');
        if (error.retryAfterSeconds !== undefined)
          res.setHeader('Retry-After', String(error.retryAfterSeconds));
        res.status(error.status);
        if (req.accepts(['html', 'json']) === 'json') {
          res.json({ error: error.toJSON() });
          return;
        }
        res.type('html').send(errorPage('Single sign-on did not work', error.message));
      },
    );
  });

  return router;
}
