/**
 * @module domain/single-sign-on — OpenID Connect sign-in. Only a linked (issuer, subject) signs in to an
 * existing account: a person links the provider from their signed-in account page (with their password),
 * never by e-mail address alone, so an account planted for someone's address is never handed to them, and
 * they are never handed to it. An address without an account joins through a pending invitation (a new
 * account without a password). An account with TOTP on gives its code after the provider (second step)
 * before it gets a session. Nobody joins without an invitation.
 */
import { NO_PASSWORD } from '../auth/passwords.js';
import { createOidcClient, OidcFailure, type OidcClient, type SecondStep } from '../auth/oidc-client.js';
import { deriveKey } from '../auth/secret-box.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import type { DomainDeps } from './deps.js';
import type { Invitations } from './invitations.js';
import type { LoginThrottle } from './login-throttle.js';
import { confirmPassword } from './password-check.js';
import type { StartedSession } from './sessions.js';
import type { TwoFactor } from './two-factor.js';

/** Where the account page lands after linking. */
const LINKED_RETURN = '/account?sso=linked';

/** A same-site path to land on after sign-in (never another origin, never `//host`). */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return undefined;
  return value;
}

/** How a provider callback ended: a session, a TOTP code still to give, or a link added to an account. */
type SignedIn = { kind: 'signed-in'; returnTo: string } & StartedSession;
export type SsoOutcome =
  SignedIn | { kind: 'second-step'; secondStep: string } | { kind: 'linked'; returnTo: string };

export function createSingleSignOn(
  deps: DomainDeps,
  services: {
    invitations: Invitations;
    startSession: (userId: string) => Promise<StartedSession>;
    twoFactor: TwoFactor;
    throttle: LoginThrottle;
  },
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

  /** One audit row per organization of the user (a person's sign-in concerns each of them). */
  async function auditUser(
    userId: string,
    event: { action: string; decision: 'allowed' | 'denied'; details: Record<string, unknown> },
    ip: string | null,
  ): Promise<void> {
    for (const m of await deps.store.organizations.membershipsOf(userId))
      await deps.store.audit.record({
        organizationId: m.organizationId,
        actorType: 'user',
        actorId: userId,
        ...event,
        ip,
      });
  }

  const auditLogin = (userId: string, issuer: string, ip: string | null) =>
    auditUser(userId, { action: 'login', decision: 'allowed', details: { method: 'oidc', issuer } }, ip);

  /** The account is known and proved (provider, and TOTP when on): join the invitation's organization, sign in. */
  async function finish(step: SecondStep, ip: string | null): Promise<SignedIn> {
    if (step.invitation !== undefined)
      await services.invitations.joinAsLinkedAccount(
        { userId: step.userId, verifiedEmail: step.email, token: step.invitation },
        ip,
      );
    await auditLogin(step.userId, step.issuer, ip);
    return {
      kind: 'signed-in',
      ...(await services.startSession(step.userId)),
      returnTo: step.returnTo ?? '/',
    };
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

    /**
     * Starts linking the provider to the signed-in account: the password first when the account has one
     * (a stolen session cannot add a way in), then the provider; the callback records the link.
     */
    async beginLink(actor: Actor, input: { password?: string | undefined }) {
      const client = enabledClient();
      const user = await deps.store.users.findById(actor.userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      if (user.passwordHash !== NO_PASSWORD) {
        if (input.password === undefined)
          throw new ApiError(
            'bad_request',
            'password: your current password is required to link single sign-on',
          );
        await confirmPassword(services.throttle, user, input.password, actor);
      }
      try {
        return await client.begin({ link: user.id, returnTo: LINKED_RETURN });
      } catch (error) {
        throw toApiError(error);
      }
    },

    /** The provider identities linked to the account (the account page lists them). */
    linkedIdentities(userId: string) {
      return deps.store.identities.ofUser(userId);
    },

    /**
     * Completes what the provider redirected back with. `signedInUserId` is the session of the browser,
     * which a link needs (the same user who started it).
     */
    async complete(
      callbackUrl: URL,
      transactionCookie: string | undefined,
      signedInUserId: string | undefined,
      ip: string | null,
    ): Promise<SsoOutcome> {
      const client = enabledClient();
      let result: Awaited<ReturnType<OidcClient['complete']>>;
      try {
        result = await client.complete(callbackUrl, transactionCookie);
      } catch (error) {
        throw toApiError(error);
      }
      const { identity, transaction } = result;
      const now = Date.now();
      const linked = await deps.store.identities.find(identity.issuer, identity.subject);

      if (transaction.link !== undefined) {
        if (signedInUserId !== transaction.link)
          throw new ApiError('unauthorized', 'Sign in to the account you are linking, then start again');
        if (linked && linked.userId !== transaction.link)
          throw new ApiError(
            'conflict',
            'This provider account is already linked to another Hostwire account',
          );
        if (!linked)
          await deps.store.identities.insert(
            {
              issuer: identity.issuer,
              subject: identity.subject,
              userId: transaction.link,
              email: identity.email?.toLowerCase() ?? '',
            },
            now,
          );
        await auditUser(
          transaction.link,
          { action: 'sso.linked', decision: 'allowed', details: { issuer: identity.issuer } },
          ip,
        );
        return { kind: 'linked', returnTo: LINKED_RETURN };
      }

      if (!identity.email || !identity.emailVerified)
        throw new ApiError(
          'forbidden',
          'Your provider did not confirm an e-mail address for you; Hostwire needs a verified address',
        );
      const email = identity.email.toLowerCase();
      if (!linked) {
        // Never by address alone: an account of this address links only from its own account page.
        if (await deps.store.users.findByEmail(email))
          throw new ApiError(
            'forbidden',
            `Your provider account is not linked to a Hostwire account. If ${email} has one, sign in with its password and link single sign-on on your account page.`,
          );
        const userId = await services.invitations.joinAsNewAccount(
          { email, token: transaction.invitation },
          (tx, id) =>
            tx.identities.insert(
              { issuer: identity.issuer, subject: identity.subject, userId: id, email },
              now,
            ),
          ip,
        );
        await auditLogin(userId, identity.issuer, ip);
        return {
          kind: 'signed-in',
          ...(await services.startSession(userId)),
          returnTo: transaction.returnTo ?? '/',
        };
      }

      await deps.store.identities.touch(identity.issuer, identity.subject, email, now);
      const step: SecondStep = {
        userId: linked.userId,
        email,
        issuer: identity.issuer,
        ...(transaction.invitation !== undefined ? { invitation: transaction.invitation } : {}),
        ...(transaction.returnTo !== undefined ? { returnTo: transaction.returnTo } : {}),
      };
      // Second factors apply whichever way a person signs in.
      if (await services.twoFactor.required(linked.userId))
        return { kind: 'second-step', secondStep: await client.sealSecondStep(step) };
      return finish(step, ip);
    },

    /**
     * The second step of a provider sign-in for an account with TOTP on: a current code or a recovery
     * code, throttled and audited like a password sign-in's code. Then the session.
     */
    async completeSecondStep(sealed: string | undefined, code: string, ip: string | null): Promise<SignedIn> {
      const client = enabledClient();
      const step = await client.openSecondStep(sealed);
      if (!step)
        throw new ApiError(
          'unauthorized',
          'The single sign-on expired or was started elsewhere; sign in again',
        );
      const user = await deps.store.users.findById(step.userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      const address = ip ?? 'unknown';
      const taken = services.throttle.attempt(user.email, address);
      if (!taken.ok)
        throw new ApiError('rate_limited', 'Too many sign-in attempts; try again later', undefined, {
          retryAfterSeconds: taken.retryAfterSeconds,
        });
      if (!(await services.twoFactor.verify(user.id, code))) {
        services.throttle.failed(user.email, address);
        await auditUser(
          user.id,
          { action: 'login.totp', decision: 'denied', details: { method: 'oidc', issuer: step.issuer } },
          ip,
        );
        throw new ApiError('totp_required', 'The code is wrong or was already used');
      }
      services.throttle.succeeded(user.email, address);
      return finish(step, ip);
    },
  };
}

export type SingleSignOn = ReturnType<typeof createSingleSignOn>;
