/**
 * @module domain/sessions — first-run setup, sign-in (rate-limited per (account, address) with backoff, and per address), sign-out,
 * and who the signed-in user is. Setting the cookie stays with the route.
 */
import { randomUUID } from 'node:crypto';
import type { Me } from '@hostwire/protocol';
import { hashPassword, NO_PASSWORD, verifyPassword } from '../auth/passwords.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import type { MembershipView } from '../store/repositories/organizations.js';
import type { Repositories } from '../store/index.js';
import type { SessionRow } from '../store/repositories/users.js';
import { unitOfWork, type DomainDeps } from './deps.js';
import { LoginThrottle } from './login-throttle.js';
import { confirmPassword } from './password-check.js';
import { mayCreateOrganizations } from './organizations.js';
import { createSetupCode } from './setup.js';
import { createTwoFactor, type TwoFactor } from './two-factor.js';

/** A started session: the signed token goes into the cookie, which expires with it. */
export interface StartedSession {
  token: string;
  expiresAt: number;
  me: Me;
}

export function createSessions(
  deps: DomainDeps,
  services: { throttle?: LoginThrottle; twoFactor?: TwoFactor } = {},
) {
  const { maxAttempts, windowMs } = deps.config.login;
  const throttle = services.throttle ?? new LoginThrottle({ maxAttempts, windowMs });
  const twoFactor = services.twoFactor ?? createTwoFactor(deps, { throttle });
  const setupCode = createSetupCode(deps.config);

  async function me(userId: string): Promise<Me> {
    const user = await deps.store.users.findById(userId);
    if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
    const memberships = await deps.store.organizations.membershipsOf(userId);
    return {
      user: { id: user.id, email: user.email, instanceAdmin: user.instanceAdmin },
      organizations: memberships.map((m) => ({
        id: m.organizationId,
        name: m.organizationName,
        role: m.role,
      })),
      mayCreateOrganizations: mayCreateOrganizations(deps.config, user),
    };
  }

  async function start(userId: string): Promise<StartedSession> {
    const now = Date.now();
    const sessionId = randomUUID();
    const expiresAt = now + deps.config.sessionTtlMs;
    await deps.store.sessions.insert({ id: sessionId, userId, createdAt: now, expiresAt });
    const token = await deps.tokens.signSession(userId, sessionId, expiresAt);
    return { token, expiresAt, me: await me(userId) };
  }

  /** Records `action` in the audit log of every organization of the user. */
  async function auditEverywhere(
    userId: string | null,
    organizationIds: string[],
    action: string,
    ip: string | null,
    decision: 'allowed' | 'denied' = 'allowed',
  ): Promise<void> {
    for (const organizationId of organizationIds) {
      await deps.store.audit.record({
        organizationId,
        actorType: 'user',
        actorId: userId,
        action,
        decision,
        ip,
      });
    }
  }

  /** Runs `change` (which revokes sessions) in one transaction; the revoked sessions' sockets close after commit. */
  async function endSessions(
    actor: Actor,
    action: string,
    change: (tx: Repositories, now: number) => Promise<string[]>,
  ): Promise<void> {
    const now = Date.now();
    await unitOfWork(deps, async (tx, outbox) => {
      for (const sessionId of await change(tx, now)) outbox.broadcast({ kind: 'session.revoked', sessionId });
    });
    const memberships = await deps.store.organizations.membershipsOf(actor.userId);
    await auditEverywhere(
      actor.userId,
      memberships.map((m) => m.organizationId),
      action,
      actor.ip,
    );
  }

  return {
    me,

    /** The account as its owner sees it: the address and whether it has a password (SSO accounts do not). */
    async account(userId: string): Promise<{ user: { id: string; email: string }; hasPassword: boolean }> {
      const user = await deps.store.users.findById(userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      return { user: { id: user.id, email: user.email }, hasPassword: user.passwordHash !== NO_PASSWORD };
    },

    /** Starts a session for a user who just proved who they are (setup, sign-in, accepted invitation). */
    start,

    /** The session if it is neither revoked nor expired. */
    findActive(sessionId: string, now = Date.now()): Promise<SessionRow | undefined> {
      return deps.store.sessions.findActive(sessionId, now);
    },

    /** The organizations of a user with the user's role in each. */
    memberships(userId: string): Promise<MembershipView[]> {
      return deps.store.organizations.membershipsOf(userId);
    },

    async setupRequired(): Promise<boolean> {
      return (await deps.store.users.count()) === 0;
    },

    /** At start: the link to open for first-run setup (with its one-time code), or undefined when done. */
    async prepareSetup(): Promise<string | undefined> {
      return setupCode.prepare((await deps.store.users.count()) === 0);
    },

    /** Creates the first user and its organization; of two concurrent setups only one succeeds. */
    async setup(
      input: { email: string; password: string; organizationName: string; setupCode?: string },
      ip: string | null,
    ): Promise<StartedSession> {
      if ((await deps.store.users.count()) > 0)
        throw new ApiError('conflict', 'Setup is already done; sign in instead');
      setupCode.check(input.setupCode);
      const now = Date.now();
      const userId = randomUUID();
      const organizationId = randomUUID();
      const passwordHash = await hashPassword(input.password);
      await unitOfWork(deps, async (tx) => {
        await tx.locks.setup();
        if ((await tx.users.count()) > 0)
          throw new ApiError('conflict', 'Setup is already done; sign in instead');
        // The setup user administers the instance (may create organizations under ORG_CREATION=admins).
        await tx.users.insert({
          id: userId,
          email: input.email,
          passwordHash,
          createdAt: now,
          instanceAdmin: true,
        });
        await tx.organizations.insert({ id: organizationId, name: input.organizationName, createdAt: now });
        await tx.organizations.addMember({ organizationId, userId, role: 'owner', createdAt: now });
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: userId,
          action: 'setup',
          targetType: 'organization',
          targetId: organizationId,
          details: { email: input.email },
          ip,
        });
      });
      setupCode.consumed();
      return start(userId);
    },

    /**
     * Signs in with email and password, plus `code` (TOTP or recovery code) when two-factor is on: 401
     * `totp_required` without a valid one. A wrong code counts as a failed sign-in for the throttle.
     */
    async login(
      input: { email: string; password: string; code?: string | undefined },
      ip: string | null,
    ): Promise<StartedSession> {
      const address = ip ?? 'unknown';
      const taken = throttle.attempt(input.email, address);
      if (!taken.ok) {
        throw new ApiError('rate_limited', 'Too many sign-in attempts; try again later', undefined, {
          retryAfterSeconds: taken.retryAfterSeconds,
        });
      }
      const user = await deps.store.users.findByEmail(input.email);
      const valid = await verifyPassword(user?.passwordHash, input.password);
      const organizationIds = user
        ? (await deps.store.organizations.membershipsOf(user.id)).map((m) => m.organizationId)
        : [];
      if (!user || !valid) {
        throttle.failed(input.email, address);
        await auditEverywhere(user?.id ?? null, organizationIds, 'login', ip, 'denied');
        throw new ApiError('unauthorized', 'Wrong email or password');
      }
      if (await twoFactor.required(user.id)) {
        if (input.code === undefined || input.code.trim() === '')
          throw new ApiError(
            'totp_required',
            'Enter the code from your authenticator app or a recovery code',
          );
        if (!(await twoFactor.verify(user.id, input.code))) {
          throttle.failed(input.email, address);
          await auditEverywhere(user.id, organizationIds, 'login.totp', ip, 'denied');
          throw new ApiError('totp_required', 'The code is wrong or was already used');
        }
      }
      throttle.succeeded(input.email, address);
      await auditEverywhere(user.id, organizationIds, 'login', ip);
      return start(user.id);
    },

    /**
     * Changes the password (the current one required, throttled like sign-in) and ends every other
     * session of the user: their requests get 401 and their sockets close with 4001. This one stays.
     */
    async changePassword(
      actor: Actor,
      sessionId: string,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      const user = await deps.store.users.findById(actor.userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      if (user.passwordHash === NO_PASSWORD)
        throw new ApiError('conflict', 'This account signs in through single sign-on and has no password');
      await confirmPassword(throttle, user, input.currentPassword, actor);
      const passwordHash = await hashPassword(input.newPassword);
      await endSessions(actor, 'password.changed', async (tx, now) => {
        await tx.users.setPasswordHash(user.id, passwordHash);
        return tx.sessions.revokeAllOf(user.id, now, sessionId);
      });
    },

    /** Signs the user out everywhere: every session, this one included, and all their sockets. */
    async logoutAll(actor: Actor): Promise<void> {
      await endSessions(actor, 'logout.all', (tx, now) => tx.sessions.revokeAllOf(actor.userId, now));
    },

    /** Ends the session everywhere: its browser sockets on every instance close. */
    async logout(actor: Actor, sessionId: string): Promise<void> {
      await deps.store.sessions.revoke(sessionId, Date.now());
      deps.bus.broadcast({ kind: 'session.revoked', sessionId });
      const memberships = await deps.store.organizations.membershipsOf(actor.userId);
      await auditEverywhere(
        actor.userId,
        memberships.map((m) => m.organizationId),
        'logout',
        actor.ip,
      );
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
