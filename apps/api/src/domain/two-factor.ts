/**
 * @module domain/two-factor — TOTP two-factor sign-in (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step): setup,
 * enabling with the password and a first code (ending the user's other sessions), ten single-use recovery
 * codes (stored as SHA-256), verifying a sign-in code (each time step accepted once), and disabling with
 * password + code. Secrets are sealed at rest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { NO_PASSWORD } from '../auth/passwords.js';
import { createSecretBox, deriveKey } from '../auth/secret-box.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import { unitOfWork, type DomainDeps } from './deps.js';
import type { LoginThrottle } from './login-throttle.js';
import { confirmPassword } from './password-check.js';

export const RECOVERY_CODE_COUNT = 10;
const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
/** Codes of the previous and next step are accepted too (clock drift), each step at most once. */
const WINDOW = 1;
const ISSUER = 'Hostwire';
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export interface TwoFactorStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

/** Recovery codes are compared without case, spaces or dashes. */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

const hashRecoveryCode = (code: string) =>
  createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex');

/** `xxxxx-xxxxx`: 10 characters of a 31-letter alphabet (about 50 bits), unambiguous to read aloud. */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length] ?? 'a');
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

export function createTwoFactor(deps: DomainDeps, services: { throttle: LoginThrottle }) {
  const box = createSecretBox(deriveKey(deps.config.secrets.sessionJwt, 'totp-secret'));

  async function userOf(userId: string) {
    const user = await deps.store.users.findById(userId);
    if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
    const twoFactor = await deps.store.users.twoFactor(userId);
    return { user, twoFactor: twoFactor ?? { sealedSecret: null, enabledAt: null, lastStep: null } };
  }

  /** Checks a TOTP code against the sealed secret and records its step; false if wrong or already used. */
  async function acceptTotp(userId: string, sealed: string, code: string, now: number): Promise<boolean> {
    const base32 = box.open(sealed, userId);
    if (base32 === undefined) {
      deps.logger.warn(
        { userId },
        'a TOTP secret does not open with the current SESSION_JWT_SECRET; the user must use a recovery code',
      );
      return false;
    }
    const secret = Secret.fromBase32(base32);
    const delta = TOTP.validate({ token: code, secret, ...TOTP_PARAMS, timestamp: now, window: WINDOW });
    if (delta === null) return false;
    const step = TOTP.counter({ period: TOTP_PARAMS.period, timestamp: now }) + delta;
    return deps.store.users.useTotpStep(userId, step);
  }

  /**
   * A sign-in code: a current TOTP code (6 digits) whose step was not used yet, or an unused recovery
   * code (then used up). False for anything else.
   */
  async function verify(userId: string, code: string, now = Date.now()): Promise<boolean> {
    const twoFactor = await deps.store.users.twoFactor(userId);
    if (!twoFactor?.sealedSecret || twoFactor.enabledAt === null) return false;
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) return acceptTotp(userId, twoFactor.sealedSecret, trimmed, now);
    if (normalizeRecoveryCode(trimmed).length !== 10) return false;
    return deps.store.recoveryCodes.use(userId, hashRecoveryCode(trimmed), now);
  }

  async function audit(actor: Actor, action: string): Promise<void> {
    const memberships = await deps.store.organizations.membershipsOf(actor.userId);
    for (const m of memberships)
      await deps.store.audit.record({
        organizationId: m.organizationId,
        actorType: 'user',
        actorId: actor.userId,
        action,
        decision: 'allowed',
        ip: actor.ip,
      });
  }

  return {
    async status(userId: string): Promise<TwoFactorStatus> {
      const { twoFactor } = await userOf(userId);
      const enabled = twoFactor.enabledAt !== null;
      return { enabled, recoveryCodesLeft: enabled ? await deps.store.recoveryCodes.unused(userId) : 0 };
    },

    /** True when signing in as this user needs a code. */
    async required(userId: string): Promise<boolean> {
      return ((await deps.store.users.twoFactor(userId))?.enabledAt ?? null) !== null;
    },

    verify,

    /** Starts (or restarts) enrollment: a new secret, pending until `enable` confirms a code from it. */
    async setup(actor: Actor): Promise<{ secret: string; otpauthUrl: string }> {
      const { user, twoFactor } = await userOf(actor.userId);
      if (user.passwordHash === NO_PASSWORD)
        throw new ApiError(
          'conflict',
          "This account signs in through single sign-on: its second factor is the provider's",
        );
      if (twoFactor.enabledAt !== null)
        throw new ApiError('conflict', 'Two-factor sign-in is already on; turn it off first');
      const secret = new Secret({ size: 20 });
      if (!(await deps.store.users.setPendingTotp(user.id, box.seal(secret.base32, user.id))))
        throw new ApiError('conflict', 'Two-factor sign-in is already on; turn it off first');
      const totp = new TOTP({ issuer: ISSUER, label: user.email, secret, ...TOTP_PARAMS });
      return { secret: secret.base32, otpauthUrl: totp.toString() };
    },

    /**
     * Turns two-factor on with the current password and a first code from the pending secret; returns the
     * recovery codes (once). Ends every other session of the user (their sockets close with 4001), as a
     * password change does: whoever else was signed in must sign in again, now with a code.
     */
    async enable(
      actor: Actor,
      sessionId: string,
      input: { code: string; password: string },
    ): Promise<{ recoveryCodes: string[] }> {
      const { user, twoFactor } = await userOf(actor.userId);
      if (twoFactor.enabledAt !== null) throw new ApiError('conflict', 'Two-factor sign-in is already on');
      if (!twoFactor.sealedSecret)
        throw new ApiError('conflict', 'Start the two-factor setup first (POST /api/auth/totp/setup)');
      await confirmPassword(services.throttle, user, input.password, actor);
      const code = input.code.trim();
      if (
        !/^\d{6}$/.test(code) ||
        !(await acceptTotp(actor.userId, twoFactor.sealedSecret, code, Date.now()))
      )
        throw new ApiError(
          'bad_request',
          'The code is wrong or expired; enter the current code from your app',
        );
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      const now = Date.now();
      await unitOfWork(deps, async (tx, outbox) => {
        if (!(await tx.users.enableTotp(actor.userId, now)))
          throw new ApiError('conflict', 'Two-factor sign-in is already on');
        await tx.recoveryCodes.replace(actor.userId, recoveryCodes.map(hashRecoveryCode), now);
        for (const revoked of await tx.sessions.revokeAllOf(actor.userId, now, sessionId))
          outbox.broadcast({ kind: 'session.revoked', sessionId: revoked });
      });
      await audit(actor, 'totp.enabled');
      return { recoveryCodes };
    },

    /** Turns two-factor off: needs the password and a current code (or a recovery code). */
    async disable(actor: Actor, input: { password: string; code: string }): Promise<void> {
      const { user, twoFactor } = await userOf(actor.userId);
      if (twoFactor.enabledAt === null) throw new ApiError('conflict', 'Two-factor sign-in is not on');
      await confirmPassword(services.throttle, user, input.password, actor);
      if (!(await verify(user.id, input.code))) {
        services.throttle.failed(user.email, actor.ip ?? 'unknown');
        throw new ApiError('forbidden', 'The code is wrong or was already used');
      }
      await unitOfWork(deps, async (tx) => {
        await tx.users.clearTotp(user.id);
        await tx.recoveryCodes.replace(user.id, [], Date.now());
      });
      await audit(actor, 'totp.disabled');
    },
  };
}

export type TwoFactor = ReturnType<typeof createTwoFactor>;
