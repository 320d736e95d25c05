/**
 * @module domain/invitations — how people join an organization: an admin invites an e-mail address with a
 * role; the invitee opens the single-use link (7 days) and sets their own password, or, with an existing
 * account, accepts while signed in as that address. Nobody sets another person's password, and no answer
 * tells whether an address has an account.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Me, Role } from '@hostwire/protocol';
import { requirePerson } from '../auth/access.js';
import { hashPassword, NO_PASSWORD } from '../auth/passwords.js';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import type { Repositories } from '../store/index.js';
import type { InvitationRow } from '../store/repositories/invitations.js';
import { unitOfWork, type DomainDeps } from './deps.js';
import { quoted, type Mailer } from './mailer.js';
import { assertMayManage, lockedRole } from './organizations.js';
import type { StartedSession } from './sessions.js';

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  createdAt: number;
  expiresAt: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Makes `userId` a member with the role of `invitation` (already marked accepted) and audits it. */
async function joinByInvitation(
  tx: Repositories,
  invitation: InvitationRow,
  userId: string,
  now: number,
  ip: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await tx.organizations.addMember({
    organizationId: invitation.organizationId,
    userId,
    role: invitation.role,
    createdAt: now,
  });
  await tx.audit.record({
    organizationId: invitation.organizationId,
    actorType: 'user',
    actorId: userId,
    action: 'invitation.accepted',
    targetType: 'invitation',
    targetId: invitation.id,
    details,
    ip,
  });
}
const gone = () =>
  new ApiError('not_found', 'This invitation link is invalid, was already used, revoked or expired');

export function createInvitations(
  deps: DomainDeps,
  services: { mailer: Mailer; startSession: (userId: string) => Promise<StartedSession> },
) {
  const inviteUrl = (token: string) => `${deps.config.publicUrl}/invite/${token}`;

  /** A pending invitation by its token, or 404 for anything else (unknown, used, revoked, expired). */
  async function pendingByToken(token: string) {
    const invitation = await deps.store.invitations.findByTokenHash(hashToken(token));
    if (!invitation || invitation.acceptedAt !== null || invitation.revokedAt !== null) throw gone();
    if (invitation.expiresAt <= Date.now()) throw gone();
    return invitation;
  }

  return {
    /**
     * Invites `email` with `role` (a person: admin; owner for owner and admin); a new invitation replaces
     * a pending one. The answer carries `inviteUrl` only when the server sends no e-mail (SMTP_URL unset).
     */
    async create(
      actor: Actor,
      organizationId: string,
      input: { email: string; role: Role },
    ): Promise<{ invitation: InvitationView; inviteUrl?: string; emailed: boolean }> {
      const actorRole = await deps.access.requireOrgRole(actor.userId, organizationId, 'admin');
      requirePerson(actor.userId, 'invite people');
      assertMayManage(actorRole, input.role);
      const email = input.email.toLowerCase();
      const token = randomBytes(32).toString('base64url');
      const now = Date.now();
      const invitation: InvitationView = {
        id: randomUUID(),
        email,
        role: input.role,
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
      };
      // Charged before anything is stored: over the organization's e-mail budget → 429, no invitation.
      const permit = services.mailer.enabled ? services.mailer.reserve(organizationId, 1) : undefined;
      const organizationName = await unitOfWork(deps, async (tx) => {
        assertMayManage(await lockedRole(tx, actor, organizationId, 'admin'), input.role);
        const existing = await tx.users.findByEmail(email);
        if (existing && (await tx.organizations.roleOf(existing.id, organizationId)))
          throw new ApiError('conflict', 'This address already belongs to a member');
        await tx.invitations.revokePendingFor(organizationId, email, now);
        await tx.invitations.insert({
          ...invitation,
          organizationId,
          invitedBy: actor.userId,
          tokenHash: hashToken(token),
        });
        await tx.audit.record({
          organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'invitation.created',
          targetType: 'invitation',
          targetId: invitation.id,
          details: { email, role: input.role },
          ip: actor.ip,
        });
        return (await tx.invitations.organizationName(organizationId)) ?? '';
      });
      const url = inviteUrl(token);
      // The organization's name is free text: kept out of the subject, quoted in the body.
      const emailed = permit
        ? (
            await services.mailer.send(
              {
                organizationId,
                to: [email],
                subject: 'Hostwire: invitation to join an organization',
                text: [
                  `You are invited to join the organization ${quoted(organizationName)} on Hostwire as ${input.role}.`,
                  '',
                  'Open this link to accept (it works once and expires in 7 days):',
                  url,
                  '',
                  'If you did not expect this invitation, ignore this message.',
                ].join('\n'),
              },
              permit,
            )
          ).ok
        : false;
      // With e-mail on, the link goes to the address only: an inviter who got it could accept it for an
      // address they do not own and set its password. Without e-mail, handing it over is the inviter's job.
      return services.mailer.enabled ? { invitation, emailed } : { invitation, inviteUrl: url, emailed };
    },

    /** Pending invitations of an organization (admin). */
    async list(actor: Actor, organizationId: string): Promise<InvitationView[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'admin');
      const rows = await deps.store.invitations.pending(organizationId, Date.now());
      return rows.map(({ id, email, role, createdAt, expiresAt }) => ({
        id,
        email,
        role,
        createdAt,
        expiresAt,
      }));
    },

    /** Revokes a pending invitation (admin of its organization; owner for owner and admin invitations). */
    async revoke(actor: Actor, invitationId: string): Promise<void> {
      const invitation = await deps.store.invitations.findById(invitationId);
      if (!invitation) throw new ApiError('not_found', 'Invitation not found');
      const actorRole = await deps.access.requireOrgRole(actor.userId, invitation.organizationId, 'admin');
      requirePerson(actor.userId, 'manage invitations');
      assertMayManage(actorRole, invitation.role);
      await unitOfWork(deps, async (tx) => {
        await lockedRole(tx, actor, invitation.organizationId, 'admin');
        if (!(await tx.invitations.revoke(invitationId, Date.now())))
          throw new ApiError('conflict', 'The invitation was already used or revoked');
        await tx.audit.record({
          organizationId: invitation.organizationId,
          actorType: 'user',
          actorId: actor.userId,
          action: 'invitation.revoked',
          targetType: 'invitation',
          targetId: invitationId,
          details: { email: invitation.email, role: invitation.role },
          ip: actor.ip,
        });
      });
    },

    /** What the accept page shows: the organization, the invited address and the role. */
    async describe(token: string): Promise<{ organization: { name: string }; email: string; role: Role }> {
      const invitation = await pendingByToken(token);
      const name = (await deps.store.invitations.organizationName(invitation.organizationId)) ?? '';
      return { organization: { name }, email: invitation.email, role: invitation.role };
    },

    /**
     * Accepts an invitation in one transaction: the link is marked used (once), the account is created
     * with the invitee's own password when the address has none, and the membership is added. An address
     * that has an account must be signed in as that account, and gives no password. The person who
     * created the invitation can never accept it. Every answer that comes before a new account would be
     * created is the same whether or not the address has an account, and a password given is always
     * hashed, so the timing does not tell either (docs/api.md "Invitations").
     */
    async accept(
      token: string,
      input: { password?: string | undefined },
      signedIn: { userId: string } | undefined,
      ip: string | null,
    ): Promise<StartedSession & { me: Me }> {
      const invitation = await pendingByToken(token);
      if (signedIn && invitation.invitedBy === signedIn.userId)
        throw new ApiError(
          'forbidden',
          'You created this invitation: only the person it was sent to can accept it',
        );
      const existing = await deps.store.users.findByEmail(invitation.email);
      if (signedIn) {
        if (signedIn.userId !== existing?.id)
          throw new ApiError(
            'forbidden',
            `This invitation is for ${invitation.email}: sign in as that address, or sign out to accept it with a new account`,
          );
        if (input.password !== undefined)
          throw new ApiError('bad_request', 'You are signed in: accept without a password');
      } else if (input.password === undefined) {
        throw new ApiError(
          'bad_request',
          `Choose a password for a new account, or sign in as ${invitation.email} first`,
        );
      }
      // Hashing is slow: done before the transaction, for every password given (same cost either way).
      const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
      if (!signedIn && existing)
        throw new ApiError(
          'unauthorized',
          `Sign in as ${invitation.email} first, then open the link again to accept`,
        );
      const now = Date.now();
      const userId = await unitOfWork(deps, async (tx, outbox) => {
        if (!(await tx.locks.organization(invitation.organizationId))) throw gone();
        let user = await tx.users.findByEmail(invitation.email);
        if (!user) {
          if (!passwordHash) throw gone();
          user = {
            id: randomUUID(),
            email: invitation.email,
            passwordHash,
            createdAt: now,
            instanceAdmin: false,
          };
          await tx.users.insert(user);
        } else if (user.id !== existing?.id) {
          // The address got an account between the checks above and this transaction.
          throw new ApiError('conflict', 'This address now has an account: sign in and open the link again');
        }
        if (!(await tx.invitations.markAccepted(invitation.id, user.id, now))) throw gone();
        if (await tx.organizations.roleOf(user.id, invitation.organizationId))
          throw new ApiError('conflict', 'You are already a member of this organization');
        await joinByInvitation(tx, invitation, user.id, now, ip, {
          email: invitation.email,
          role: invitation.role,
          newAccount: !existing,
        });
        outbox.broadcast({ kind: 'user.memberships-changed', userId: user.id });
        return user.id;
      });
      return services.startSession(userId);
    },

    /**
     * Single sign-on, a new account: the provider verified `email`, which has no Hostwire account. The
     * account is created without a password and joins the organization of `token` when given, else every
     * organization with a pending invitation for the address. Without an invitation nobody gets in (403).
     * `link` runs in the same transaction (it records the provider identity). Returns the user id.
     */
    async joinAsNewAccount(
      input: { email: string; token?: string | undefined },
      link: (tx: Repositories, userId: string) => Promise<void>,
      ip: string | null,
    ): Promise<string> {
      const email = input.email.toLowerCase();
      const now = Date.now();
      const chosen = input.token === undefined ? undefined : await pendingByToken(input.token);
      if (chosen && chosen.email !== email)
        throw new ApiError(
          'forbidden',
          `This invitation is for ${chosen.email}, but your provider signed you in as ${email}`,
        );
      return unitOfWork(deps, async (tx, outbox) => {
        if (await tx.users.findByEmail(email))
          // An account appeared since the caller looked: it links only from its own account page.
          throw new ApiError(
            'conflict',
            'This address now has an account: sign in to it and link from there',
          );
        const invitations = chosen ? [chosen] : await tx.invitations.pendingForEmail(email, now);
        if (invitations.length === 0)
          throw new ApiError(
            'forbidden',
            `There is no Hostwire account or pending invitation for ${email}. Ask an administrator of your organization to invite this address.`,
          );
        const userId = randomUUID();
        await tx.users.insert({ id: userId, email, passwordHash: NO_PASSWORD, createdAt: now });
        const joined = new Set<string>();
        for (const invitation of invitations) {
          if (joined.has(invitation.organizationId)) continue;
          if (!(await tx.locks.organization(invitation.organizationId))) continue;
          if (!(await tx.invitations.markAccepted(invitation.id, userId, now))) continue;
          await joinByInvitation(tx, invitation, userId, now, ip, {
            email,
            role: invitation.role,
            singleSignOn: true,
          });
          joined.add(invitation.organizationId);
        }
        if (joined.size === 0) throw gone();
        outbox.broadcast({ kind: 'user.memberships-changed', userId });
        await link(tx, userId);
        return userId;
      });
    },

    /**
     * Single sign-on, an account already linked to the provider identity, with an invitation link: joins
     * its organization when the invitation is for the account's address or for the address the provider
     * verified. Never the invitation's creator.
     */
    async joinAsLinkedAccount(
      input: { userId: string; verifiedEmail: string; token: string },
      ip: string | null,
    ): Promise<void> {
      const invitation = await pendingByToken(input.token);
      const user = await deps.store.users.findById(input.userId);
      if (!user) throw new ApiError('unauthorized', 'The user no longer exists');
      if (invitation.invitedBy === user.id)
        throw new ApiError(
          'forbidden',
          'You created this invitation: only the person it was sent to can accept it',
        );
      if (invitation.email !== user.email && invitation.email !== input.verifiedEmail.toLowerCase())
        throw new ApiError(
          'forbidden',
          `This invitation is for ${invitation.email}, but you signed in as ${user.email}`,
        );
      const now = Date.now();
      await unitOfWork(deps, async (tx, outbox) => {
        if (!(await tx.locks.organization(invitation.organizationId))) throw gone();
        if (await tx.organizations.roleOf(user.id, invitation.organizationId)) return;
        if (!(await tx.invitations.markAccepted(invitation.id, user.id, now))) throw gone();
        await joinByInvitation(tx, invitation, user.id, now, ip, {
          email: invitation.email,
          role: invitation.role,
          singleSignOn: true,
        });
        outbox.broadcast({ kind: 'user.memberships-changed', userId: user.id });
      });
    },
  };
}

export type Invitations = ReturnType<typeof createInvitations>;
