/** @module misc-pages — the not-found page and the page for a user without any organization. */
import { useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { Link } from '../router/router.js';
import { useMe, useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';

/** Unknown path. */
export function NotFoundPage() {
  return (
    <div className="card narrow">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the fleet</Link>
      </p>
    </div>
  );
}

/**
 * A signed-in user who belongs to no organization: may create one when the server allows it (an instance
 * administrator, or everyone under ORG_CREATION=anyone); otherwise only waits for an invitation.
 */
export function NoOrganizationPage() {
  const me = useMe();
  if (!me.mayCreateOrganizations)
    return (
      <div className="card narrow" data-testid="no-organization">
        <h1>No organization yet</h1>
        <p className="muted">
          You are not a member of any organization. Ask an admin of your organization to invite{' '}
          {me.user.email}; only instance administrators create organizations on this server.
        </p>
      </div>
    );
  return <CreateOrganizationForm />;
}

function CreateOrganizationForm() {
  const { refresh } = useSession();
  const [name, setName] = useState('');
  const { busy, error, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.createOrganization(name.trim());
      await refresh();
    });
  };
  return (
    <form className="card narrow form" data-testid="create-org-form" onSubmit={(e) => void submit(e)}>
      <h1>No organization yet</h1>
      <p className="muted">
        You are not a member of any organization. Ask an admin to add you, or create one.
      </p>
      <label className="field">
        <span>Organization name</span>
        <input type="text" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <ErrorText message={error} />
      <button type="submit" className="button primary" disabled={busy}>
        Create organization
      </button>
    </form>
  );
}
