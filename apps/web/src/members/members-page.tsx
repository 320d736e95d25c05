/** @module members-page — list, invite, re-role and remove the members of an organization (admins and owners). */
import {
  ROLES,
  roleAtLeast,
  type CreatedInvitation,
  type Invitation,
  type Member,
  type Organization,
  type Role,
} from '@hostwire/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ActionsHeader, DangerButtonCell, ErrorText, Loading } from '../components/bits.js';
import { ConfirmDialog } from '../components/dialog.js';
import { RoleField, TextField } from '../components/field.js';
import { useMe } from '../session/session.js';
import { formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';

/** Invites an address with a role; shows the single-use link to pass on (and whether it was e-mailed). */
function InviteForm({
  organizationId,
  canGrantAdmin,
  onInvited,
}: {
  organizationId: string;
  canGrantAdmin: boolean;
  onInvited: (invitation: Invitation) => void;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [copied, setCopied] = useState(false);
  const { busy, error, run } = useTask();
  const roles = ROLES.filter((r) => canGrantAdmin || !roleAtLeast(r, 'admin'));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const result = await api.invite(organizationId, { email: email.trim(), role });
      setCreated(result);
      setCopied(false);
      onInvited(result.invitation);
      setEmail('');
    });
  };
  const copy = async () => {
    if (!created?.inviteUrl) return;
    await navigator.clipboard.writeText(created.inviteUrl).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <form className="card form add-member" data-testid="invite-form" onSubmit={(e) => void submit(e)}>
      <h2>Invite someone</h2>
      <div className="form-row">
        <TextField label="Email" grow type="email" required value={email} onValue={setEmail} />
        <RoleField roles={roles} value={role} onValue={setRole} />
      </div>
      <small className="hint">
        They get a link that works once for 7 days, where they choose their own password (or, with an account
        already, accept while signed in).
      </small>
      <ErrorText message={error} />
      <div className="row-end">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Inviting…' : 'Create invitation'}
        </button>
      </div>
      {created ? (
        <div className="banner banner-info" role="status" data-testid="invite-created">
          {created.inviteUrl ? (
            <>
              <p>Send this link to {created.invitation.email} (it is shown only now):</p>
              <p className="row">
                <code className="grow" data-testid="invite-link">
                  {created.inviteUrl}
                </code>{' '}
                <button type="button" className="button small" onClick={() => void copy()}>
                  {copied ? 'Copied' : 'Copy link'}
                </button>
              </p>
            </>
          ) : created.emailed ? (
            <p>
              The invitation was e-mailed to {created.invitation.email}. The link goes to that address only.
            </p>
          ) : (
            <p>
              The e-mail to {created.invitation.email} could not be sent. Invite the address again to retry (a
              new invitation replaces this one).
            </p>
          )}
        </div>
      ) : null}
    </form>
  );
}

/** Pending invitations, each revocable. */
function PendingInvitations({
  invitations,
  onRevoke,
}: {
  invitations: readonly Invitation[];
  onRevoke: (invitation: Invitation) => void;
}) {
  if (invitations.length === 0) return null;
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Pending invitations</h2>
      <table className="table" data-testid="invitations-table">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Expires</th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {invitations.map((invitation) => (
            <tr key={invitation.id} data-testid={`invitation-row-${invitation.id}`}>
              <td data-label="Email">{invitation.email}</td>
              <td data-label="Role">{invitation.role}</td>
              <td data-label="Expires">{formatDateTime(invitation.expiresAt)}</td>
              <DangerButtonCell
                label="Revoke"
                onClick={() => onRevoke(invitation)}
                testId={`invitation-revoke-${invitation.id}`}
              />
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The members page of `organization`. */
export function MembersPage({ organization }: { organization: Organization }) {
  const me = useMe();
  const [members, setMembers] = useState<readonly Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [invitations, setInvitations] = useState<readonly Invitation[]>([]);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const allowed = roleAtLeast(organization.role, 'admin');

  const load = useCallback(async () => {
    try {
      const [memberList, invitationList] = await Promise.all([
        api.members(organization.id),
        api.invitations(organization.id),
      ]);
      setMembers(memberList.members);
      setInvitations(invitationList.invitations);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [organization.id]);

  useEffect(() => {
    if (allowed) void load();
  }, [allowed, load]);

  if (!allowed) return <ErrorText message="Only admins and owners manage members." />;

  const changeRole = async (member: Member, role: Role) => {
    setError(null);
    try {
      const updated = (await api.changeRole(organization.id, member.userId, role)).member;
      setMembers((list) => list?.map((m) => (m.userId === member.userId ? updated : m)) ?? list);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const remove = async (member: Member) => {
    setError(null);
    try {
      await api.removeMember(organization.id, member.userId);
      setMembers((list) => list?.filter((m) => m.userId !== member.userId) ?? list);
      setRemoving(null);
    } catch (e) {
      setRemoving(null);
      setError(errorMessage(e));
    }
  };

  const revoke = async (invitation: Invitation) => {
    setError(null);
    try {
      await api.revokeInvitation(invitation.id);
      setInvitations((list) => list.filter((i) => i.id !== invitation.id));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRevoking(null);
    }
  };

  return (
    <section aria-labelledby="members-title">
      <div className="page-head">
        <h1 id="members-title">Members of {organization.name}</h1>
      </div>
      <ErrorText message={error} testId="members-error" />
      {members === null ? (
        <Loading />
      ) : (
        <table className="table" data-testid="members-table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Member since</th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {members.map((member) => (
              <tr key={member.userId} data-testid={`member-row-${member.userId}`}>
                <td data-label="Email">
                  {member.email}{' '}
                  {member.userId === me.user.id ? <span className="muted small">(you)</span> : null}
                </td>
                <td data-label="Role">
                  <label>
                    <span className="visually-hidden">Role of {member.email}</span>
                    <select
                      value={member.role}
                      onChange={(e) => void changeRole(member, e.target.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </label>
                </td>
                <td data-label="Member since">{formatDateTime(member.createdAt)}</td>
                <DangerButtonCell
                  label="Remove"
                  onClick={() => setRemoving(member)}
                  testId={`member-remove-${member.userId}`}
                />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.email}?`}
          confirmLabel="Remove member"
          danger
          onConfirm={() => void remove(removing)}
          onCancel={() => setRemoving(null)}
          confirmTestId="member-remove-confirm"
        >
          <p>
            {removing.email} loses access to {organization.name} at once; their open pages and live
            connections end.
          </p>
        </ConfirmDialog>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the invitation of ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          danger
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(null)}
          confirmTestId="invitation-revoke-confirm"
        >
          <p>The link stops working at once; you can invite {revoking.email} again later.</p>
        </ConfirmDialog>
      ) : null}
      <PendingInvitations invitations={invitations} onRevoke={setRevoking} />
      <InviteForm
        organizationId={organization.id}
        canGrantAdmin={organization.role === 'owner'}
        onInvited={(invitation) =>
          setInvitations((list) => [invitation, ...list.filter((i) => i.email !== invitation.email)])
        }
      />
    </section>
  );
}
