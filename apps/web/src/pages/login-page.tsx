/** @module login-page — sign in with email and password. */
import { useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { ErrorText } from '../components/bits.js';
import { useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';

/** The sign-in page; `expired` explains why a signed-in user landed here. */
export function LoginPage({ expired }: { expired: boolean }) {
  const { signedIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useTask();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => signedIn(await api.login({ email: email.trim(), password })));
  };

  return (
    <main className="centered">
      <form className="card narrow form" data-testid="login-form" onSubmit={(e) => void submit(e)}>
        <h1>Sign in to Hostwire</h1>
        {expired ? (
          <p className="banner banner-info" role="status">
            Your session ended. Please sign in again.
          </p>
        ) : null}
        <label className="field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorText message={error} testId="form-error" focus />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
