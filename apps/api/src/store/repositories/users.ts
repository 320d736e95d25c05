/** @module store/repositories/users — users and their sessions. */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface UserRow {
  id: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  /** May create organizations under ORG_CREATION=admins; the setup user is one. */
  instanceAdmin: boolean;
}

export function createUsersRepository(db: Kysely<Database>) {
  const toUser = (row: Database['users']): UserRow => ({
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    instanceAdmin: Number(row.instance_admin) === 1,
  });
  return {
    async count(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Inserts a user; an instance administrator only when `instanceAdmin` says so (first-run setup). */
    async insert(user: Omit<UserRow, 'instanceAdmin'> & { instanceAdmin?: boolean }): Promise<void> {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email,
          password_hash: user.passwordHash,
          created_at: user.createdAt,
          instance_admin: user.instanceAdmin === true ? 1 : 0,
        })
        .execute();
    },
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      return row && toUser(row);
    },
    async findById(id: string): Promise<UserRow | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },
    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },
    /** The user's TOTP state (the secret still sealed). */
    async twoFactor(id: string): Promise<TwoFactorRow | undefined> {
      const row = await db
        .selectFrom('users')
        .select(['totp_secret', 'totp_enabled_at', 'totp_last_step'])
        .where('id', '=', id)
        .executeTakeFirst();
      return (
        row && {
          sealedSecret: row.totp_secret,
          enabledAt: row.totp_enabled_at === null ? null : Number(row.totp_enabled_at),
          lastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
        }
      );
    },
    /** Stores a new, not yet enabled TOTP secret (replacing a pending one; never an enabled one). */
    async setPendingTotp(id: string, sealedSecret: string): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ totp_secret: sealedSecret, totp_enabled_at: null, totp_last_step: null })
        .where('id', '=', id)
        .where('totp_enabled_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async enableTotp(id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ totp_enabled_at: now })
        .where('id', '=', id)
        .where('totp_secret', 'is not', null)
        .where('totp_enabled_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async clearTotp(id: string): Promise<void> {
      await db
        .updateTable('users')
        .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
        .where('id', '=', id)
        .execute();
    },
    /**
     * Records `step` as the last accepted TOTP time step, only if it is later than the one stored: of two
     * requests with the same code only one gets true (a single conditional UPDATE, atomic on both databases).
     */
    async useTotpStep(id: string, step: number): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export interface TwoFactorRow {
  sealedSecret: string | null;
  enabledAt: number | null;
  lastStep: number | null;
}

export interface SessionRow {
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export function createSessionsRepository(db: Kysely<Database>) {
  return {
    async insert(session: Omit<SessionRow, 'revokedAt'>): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
          revoked_at: null,
        })
        .execute();
    },
    async findActive(id: string, now: number): Promise<SessionRow | undefined> {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          userId: row.user_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          revokedAt: row.revoked_at,
        }
      );
    },
    /** Revokes every live session of a user but `exceptId`; returns the ids revoked (to close their sockets). */
    async revokeAllOf(userId: string, now: number, exceptId?: string): Promise<string[]> {
      let query = db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now);
      if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
      const ids = (await query.execute()).map((row) => row.id);
      if (ids.length > 0)
        await db
          .updateTable('sessions')
          .set({ revoked_at: now })
          .where('id', 'in', ids)
          .where('revoked_at', 'is', null)
          .execute();
      return ids;
    },
    async revoke(id: string, now: number): Promise<void> {
      await db
        .updateTable('sessions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async pruneExpired(now: number): Promise<void> {
      await db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    },
  };
}
