/**
 * @module http/single-sign-on — OpenID Connect routes (rules: domain/single-sign-on): `GET /api/auth/config`
 * (is SSO on, the button's name), `GET /api/auth/oidc/start` (redirect to the provider with a transaction
 * cookie), `POST /api/auth/oidc/link` (a signed-in user starts linking the provider to their account),
 * `GET /api/auth/oidc/callback` (session cookie and redirect, the TOTP second step, or a plain error page)
 * and `POST /api/auth/oidc/code` (the second step: the account's TOTP code, then the session).
 */
import { Router, type Request, type Response } from 'express';
import { parse as parseCookie } from 'cookie';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { OIDC_SECOND_STEP_TTL_SECONDS, OIDC_TRANSACTION_TTL_SECONDS } from '../auth/oidc-client.js';
import { parseOrThrow, toApiError } from '../errors.js';
import {
  actorOf,
  checkOrigin,
  clientIp,
  optionalSession,
  requireSession,
  route,
  setSessionCookie,
} from './middleware.js';
import { TotpCode } from './schemas.js';

/** Holds the sealed transaction (state, nonce, PKCE verifier) between start and callback. */
export const OIDC_COOKIE = 'hostwire_oidc';
/** Holds a verified provider sign-in that waits for the account's TOTP code. */
export const OIDC_SECOND_STEP_COOKIE = 'hostwire_oidc_2fa';
/** Where the browser gives that code. */
const SECOND_STEP_PAGE = '/login?sso=code';
const OIDC_PATH = '/api/auth/oidc';

const StartQuery = z.object({
  invitation: z
    .string()
    .regex(/^[A-Za-z0-9_-]{10,200}$/)
    .optional(),
  returnTo: z.string().max(512).optional(),
});
const LinkBody = z.strictObject({ password: z.string().min(1).max(1024).optional() });
const SecondStepBody = z.strictObject({ code: TotpCode });

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

  router.post(
    '/oidc/link',
    requireSession(ctx),
    route(async (req, res) => {
      const body = parseOrThrow(LinkBody, req.body ?? {});
      const { url, transaction } = await sso.beginLink(actorOf(req, res), body);
      res.cookie(OIDC_COOKIE, transaction, {
        ...transactionCookie,
        maxAge: OIDC_TRANSACTION_TTL_SECONDS * 1000,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json({ url });
    }),
  );

  router.post(
    '/oidc/code',
    route(async (req, res) => {
      checkOrigin(ctx, req, true);
      const { code } = parseOrThrow(SecondStepBody, req.body);
      const sealed = parseCookie(req.headers.cookie ?? '')[OIDC_SECOND_STEP_COOKIE];
      const started = await sso.completeSecondStep(sealed, code, clientIp(req));
      res.clearCookie(OIDC_SECOND_STEP_COOKIE, transactionCookie);
      setSessionCookie(ctx, res, started);
      res.setHeader('Cache-Control', 'no-store');
      res.json({ me: started.me, returnTo: started.returnTo });
    }),
  );

  router.get('/oidc/callback', (req: Request, res: Response) => {
    const sealed = parseCookie(req.headers.cookie ?? '')[OIDC_COOKIE];
    // The callback URL as the provider was told it: PUBLIC_URL + this path + the response parameters.
    const callbackUrl = new URL(req.originalUrl, ctx.config.publicUrl);
    res.clearCookie(OIDC_COOKIE, transactionCookie);
    res.setHeader('Cache-Control', 'no-store');
    optionalSession(ctx, req, res)
      .then((signedIn) => sso.complete(callbackUrl, sealed, signedIn?.userId, clientIp(req)))
      .then(
        (outcome) => {
          if (outcome.kind === 'second-step') {
            res.cookie(OIDC_SECOND_STEP_COOKIE, outcome.secondStep, {
              ...transactionCookie,
              maxAge: OIDC_SECOND_STEP_TTL_SECONDS * 1000,
            });
            res.redirect(302, SECOND_STEP_PAGE);
            return;
          }
          if (outcome.kind === 'signed-in') setSessionCookie(ctx, res, outcome);
          res.redirect(302, outcome.returnTo);
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
