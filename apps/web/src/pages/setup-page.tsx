/** @module setup-page — first run: create the first user and organization. */
import { useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { TextField } from '../components/field.js';
import { navigate } from '../router/router.js';
import { useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';

/** Shortest password the form accepts before asking the server (which has the final word). */
export const MIN_PASSWORD_LENGTH = 8;

/** The one-time setup code carried by the link the server printed (`/setup?code=…`), if any. */
function codeFromLink(): string {
  return new URLSearchParams(window.location.search).get('code')?.trim() ?? '';
}

/** The first-run page, shown while no user exists. */
export function SetupPage() {
  const { signedIn } = useSession();
  const [linkCode] = useState(codeFromLink);
  const [typedCode, setTypedCode] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [organizationName, setOrganizationName] = useState('');
  const { busy, error, setError, run } = useTask();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`The password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    await run(async () => {
      const me = await api.setup({
        email: email.trim(),
        password,
        organizationName: organizationName.trim(),
        setupCode: linkCode || typedCode.trim(),
      });
      navigate('/', { replace: true });
      signedIn(me);
    });
  };

  return (
    <main className="centered">
      <form className="card narrow form" data-testid="setup-form" onSubmit={(e) => void submit(e)}>
        <h1>Welcome to Hostwire</h1>
        <p className="muted">Create the first administrator and your organization.</p>
        {linkCode ? null : (
          <TextField
            label="Setup code"
            type="text"
            name="setupCode"
            autoComplete="one-time-code"
            required
            spellCheck={false}
            value={typedCode}
            onValue={setTypedCode}
            hint={
              <>
                Printed by the server when it started (the link ending in <code>/setup?code=…</code>), and
                kept in <code>DATA_DIR/setup-code</code> until setup is done.
              </>
            }
          />
        )}
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onValue={setEmail}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          value={password}
          onValue={setPassword}
          hint={<>At least {MIN_PASSWORD_LENGTH} characters.</>}
        />
        <TextField
          label="Organization name"
          type="text"
          name="organizationName"
          required
          maxLength={100}
          value={organizationName}
          onValue={setOrganizationName}
        />
        <ErrorText message={error} testId="form-error" />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
