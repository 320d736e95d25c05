/** @module store/repositories/invitations — pending, accepted and revoked invitations to organizations. */
import type { Role } from '@hostwire/protocol';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface InvitationRow {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
}

export function createInvitationsRepository(db: Kysely<Database>) {
  const toRow = (r: Database['invitations']): InvitationRow => ({
    id: r.id,
    organizationId: r.organization_id,
    email: r.email,
    role: r.role as Role,
    invitedBy: r.invited_by,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    acceptedAt: r.accepted_at === null ? null : Number(r.accepted_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  });
  /** Invitations that can still be accepted at `now`, newest first. */
  const selectPending = (now: number) =>
    db
      .selectFrom('invitations')
      .selectAll()
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc');
  return {
    async insert(
      row: Omit<InvitationRow, 'acceptedAt' | 'revokedAt'> & { tokenHash: string },
    ): Promise<void> {
      await db
        .insertInto('invitations')
        .values({
          id: row.id,
          organization_id: row.organizationId,
          email: row.email,
          role: row.role,
          token_hash: row.tokenHash,
          invited_by: row.invitedBy,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
          accepted_at: null,
          accepted_by: null,
          revoked_at: null,
        })
        .execute();
    },

    /** The name of the organization an invitation is for. */
    async organizationName(organizationId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('organizations')
        .select('name')
        .where('id', '=', organizationId)
        .executeTakeFirst();
      return row?.name;
    },

    async findById(id: string): Promise<InvitationRow | undefined> {
      const row = await db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },

    async findByTokenHash(tokenHash: string): Promise<InvitationRow | undefined> {
      const row = await db
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toRow(row);
    },

    /** Invitations of an organization that can still be accepted, newest first. */
    async pending(organizationId: string, now: number): Promise<InvitationRow[]> {
      const rows = await selectPending(now).where('organization_id', '=', organizationId).execute();
      return rows.map(toRow);
    },

    /** Pending invitations of one address across organizations, newest first (single sign-on). */
    async pendingForEmail(email: string, now: number): Promise<InvitationRow[]> {
      const rows = await selectPending(now).where('email', '=', email).execute();
      return rows.map(toRow);
    },

    /** Revokes the pending invitations of `email` in the organization (a new one replaces them). */
    async revokePendingFor(organizationId: string, email: string, now: number): Promise<void> {
      await db
        .updateTable('invitations')
        .set({ revoked_at: now })
        .where('organization_id', '=', organizationId)
        .where('email', '=', email)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
    },

    /** Revokes one invitation if still pending; false when it was already used, revoked or expired. */
    async revoke(id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('invitations')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Marks the invitation used, once: false when it was already used, revoked or has expired. */
    async markAccepted(id: string, userId: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('invitations')
        .set({ accepted_at: now, accepted_by: userId })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
