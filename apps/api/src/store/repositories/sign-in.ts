/** @module store/repositories/sign-in — recovery codes of two-factor sign-in and single sign-on identities. */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export function createRecoveryCodesRepository(db: Kysely<Database>) {
  return {
    /** Replaces every recovery code of a user with new ones (hashes). */
    async replace(userId: string, codeHashes: string[], now: number): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (codeHashes.length === 0) return;
      await db
        .insertInto('recovery_codes')
        .values(
          codeHashes.map((code_hash) => ({ user_id: userId, code_hash, created_at: now, used_at: null })),
        )
        .execute();
    },
    /** Marks an unused code used; false when it is unknown or was used already (atomic). */
    async use(userId: string, codeHash: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async unused(userId: string): Promise<number> {
      const row = await db
        .selectFrom('recovery_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export interface IdentityRow {
  issuer: string;
  subject: string;
  userId: string;
  email: string;
}

export function createIdentitiesRepository(db: Kysely<Database>) {
  return {
    async find(issuer: string, subject: string): Promise<IdentityRow | undefined> {
      const row = await db
        .selectFrom('user_identities')
        .selectAll()
        .where('issuer', '=', issuer)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row && { issuer: row.issuer, subject: row.subject, userId: row.user_id, email: row.email };
    },
    async insert(identity: IdentityRow, now: number): Promise<void> {
      await db
        .insertInto('user_identities')
        .values({
          issuer: identity.issuer,
          subject: identity.subject,
          user_id: identity.userId,
          email: identity.email,
          created_at: now,
          last_login_at: now,
        })
        .execute();
    },
    /** The provider identities linked to a user (what the account page lists). */
    async ofUser(userId: string): Promise<{ issuer: string; email: string; createdAt: number }[]> {
      const rows = await db
        .selectFrom('user_identities')
        .select(['issuer', 'email', 'created_at'])
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .execute();
      return rows.map((r) => ({ issuer: r.issuer, email: r.email, createdAt: Number(r.created_at) }));
    },
    async touch(issuer: string, subject: string, email: string, now: number): Promise<void> {
      await db
        .updateTable('user_identities')
        .set({ last_login_at: now, email })
        .where('issuer', '=', issuer)
        .where('subject', '=', subject)
        .execute();
    },
  };
}
