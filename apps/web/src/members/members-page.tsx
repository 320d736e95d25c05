/** @module members-page — list, add, re-role and remove the members of an organization (admins and owners). */
import { ROLES, roleAtLeast, type Member, type Organization, type Role } from '@hostwire/protocol';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ErrorText, Loading } from '../components/bits.js';
import { ConfirmDialog } from '../components/dialog.js';
import { useMe } from '../session/session.js';
import { formatDateTime } from '../util/format.js';
import { useTask } from '../util/hooks.js';

function AddMemberForm({
  organizationId,
  onAdded,
}: {
  organizationId: string;
  onAdded: (m: Member) => void;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const { member } = await api.addMember(organizationId, {
        email: email.trim(),
        role,
        password: password || undefined,
      });
      onAdded(member);
      setEmail('');
      setPassword('');
    });
  };
  return (
    <form className="card form add-member" data-testid="add-member-form" onSubmit={(e) => void submit(e)}>
      <h2>Add a member</h2>
      <div className="form-row">
        <label className="field grow">
          <span>Email</span>
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow">
          <span>Initial password (new users)</span>
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
      </div>
      <small className="hint">An existing user is added as is; a new user gets the initial password.</small>
      <ErrorText message={error} />
      <div className="row-end">
        <button type="submit" className="button primary" disabled={busy}>
          Add member
        </button>
      </div>
    </form>
  );
}

/** The members page of `organization`. */
export function MembersPage({ organization }: { organization: Organization }) {
  const me = useMe();
  const [members, setMembers] = useState<readonly Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const allowed = roleAtLeast(organization.role, 'admin');

  const load = useCallback(async () => {
    try {
      setMembers((await api.members(organization.id)).members);
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
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
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
                <td className="num">
                  <button
                    type="button"
                    className="button small ghost danger-text"
                    onClick={() => setRemoving(member)}
                    data-testid={`member-remove-${member.userId}`}
                  >
                    Remove
                  </button>
                </td>
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
      <AddMemberForm
        organizationId={organization.id}
        onAdded={(m) => setMembers((list) => [...(list ?? []), m])}
      />
    </section>
  );
}
