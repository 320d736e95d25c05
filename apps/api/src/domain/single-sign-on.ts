/**
 * @module domain/single-sign-on — OpenID Connect sign-in. The provider's verified e-mail address decides:
 * a known (issuer, subject) or an account with that address signs in (and is linked); otherwise a pending
 * invitation for the address creates the account (without a password) and joins the organization. Nobody
 * joins without an invitation. Two-factor: the provider's own MFA counts, Hostwire asks for no TOTP code.
 */
import { createOidcClient, OidcFailure, type OidcClient } from '../auth/oidc-client.js';
import { deriveKey } from '../auth/secret-box.js';
import { ApiError } from '../errors.js';
import type { DomainDeps } from './deps.js';
import type { Invitations } from './invitations.js';
import type { StartedSession } from './sessions.js';

/** A same-site path to land on after sign-in (never another origin, never `//host`). */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return undefined;
  return value;
}

export function createSingleSignOn(
  deps: DomainDeps,
  services: { invitations: Invitations; startSession: (userId: string) => Promise<StartedSession> },
) {
  const settings = deps.config.oidc;
  const oidc: OidcClient | undefined = settings
    ? createOidcClient(settings, deriveKey(deps.config.secrets.sessionJwt, 'oidc-transaction'))
    : undefined;

  function enabledClient(): OidcClient {
    if (!oidc) throw new ApiError('not_found', 'Single sign-on is not configured on this server');
    return oidc;
  }

  /** OidcFailure → ApiError: what the person sees (the cause stays in the server log). */
  function toApiError(error: unknown): unknown {
    if (!(error instanceof OidcFailure)) return error;
    deps.logger.warn({ err: error.cause ?? error, kind: error.kind }, `single sign-on: ${error.message}`);
    switch (error.kind) {
      case 'unreachable':
        return new ApiError('unavailable', error.message, undefined, { cause: error, retryAfterSeconds: 5 });
      case 'transaction':
        return new ApiError('bad_request', error.message, undefined, { cause: error });
      case 'denied':
      case 'invalid':
        return new ApiError('unauthorized', error.message, undefined, { cause: error });
    }
  }

  return {
    /** What the login page shows: whether SSO is on and the button's name. */
    describe(): { enabled: boolean; name: string | null } {
      return { enabled: oidc !== undefined, name: settings?.name ?? null };
    },

    /** Starts a sign-in at the provider; `invitation` is accepted on return, `returnTo` is where to land. */
    async begin(intent: { invitation?: string | undefined; returnTo?: string | undefined }) {
      const client = enabledClient();
      try {
        return await client.begin({ invitation: intent.invitation, returnTo: safeReturnTo(intent.returnTo) });
      } catch (error) {
        throw toApiError(error);
      }
    },

    /** Completes the sign-in the provider redirected back with; returns the session and where to land. */
    async complete(
      callbackUrl: URL,
      transactionCookie: string | undefined,
      ip: string | null,
    ): Promise<StartedSession & { returnTo: string }> {
      const client = enabledClient();
      let result: Awaited<ReturnType<OidcClient['complete']>>;
      try {
        result = await client.complete(callbackUrl, transactionCookie);
      } catch (error) {
        throw toApiError(error);
      }
      const { identity, transaction } = result;
      if (!identity.email || !identity.emailVerified)
        throw new ApiError(
          'forbidden',
          'Your provider did not confirm an e-mail address for you; Hostwire needs a verified address',
        );
      const email = identity.email.toLowerCase();
      const now = Date.now();
      const linked = await deps.store.identities.find(identity.issuer, identity.subject);
      let userId: string;
      if (linked && transaction.invitation === undefined) {
        userId = linked.userId;
        await deps.store.identities.touch(identity.issuer, identity.subject, email, now);
      } else {
        userId = await services.invitations.joinWithVerifiedEmail(
          { email, token: transaction.invitation },
          async (tx, id) => {
            if (linked) {
              if (linked.userId !== id)
                throw new ApiError('conflict', 'Your provider account is linked to another Hostwire account');
              return;
            }
            await tx.identities.insert(
              { issuer: identity.issuer, subject: identity.subject, userId: id, email },
              now,
            );
          },
          ip,
        );
      }
      const memberships = await deps.store.organizations.membershipsOf(userId);
      for (const m of memberships)
        await deps.store.audit.record({
          organizationId: m.organizationId,
          actorType: 'user',
          actorId: userId,
          action: 'login',
          decision: 'allowed',
          details: { method: 'oidc', issuer: identity.issuer },
          ip,
        });
      return { ...(await services.startSession(userId)), returnTo: transaction.returnTo ?? '/' };
    },
  };
}

export type SingleSignOn = ReturnType<typeof createSingleSignOn>;
