/** @module accept-invitation-page — `/invite/<token>`: join an organization with your own password or account. */
import type { AuthConfig, InvitationPreview, Me } from '@hostwire/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ssoStartUrl } from '../api/endpoints.js';
import { ApiError, errorMessage } from '../api/http.js';
import { ErrorText, Loading } from '../components/bits.js';
import { TextField } from '../components/field.js';
import { navigate } from '../router/router.js';
import { useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';
import { MIN_PASSWORD_LENGTH } from './setup-page.js';

/** The token of an invitation link's path, if the path is one. */
export function invitationToken(pathname: string): string | undefined {
  return /^\/invite\/([A-Za-z0-9_-]{10,200})\/?$/.exec(pathname)?.[1];
}

/** The page an invitation link opens, signed in or not. */
export function AcceptInvitationPage({ token }: { token: string }) {
  const session = useSession();
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const { busy, error, setError, run } = useTask();

  useEffect(() => {
    api.invitationByToken(token).then(setPreview, (e: unknown) => setLoadError(errorMessage(e)));
    api.authConfig().then(setConfig, () => setConfig(null));
  }, [token]);

  const joined = (me: Me) => {
    session.signedIn(me);
    const organization = me.organizations.find((o) => o.name === preview?.organization.name);
    if (organization) session.selectOrganization(organization.id);
    navigate('/', { replace: true });
  };

  const acceptAsNew = async (event: FormEvent) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`The password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (password !== confirm) {
      setError('The two passwords differ.');
      return;
    }
    await run(async () => {
      try {
        joined(await api.acceptInvitation(token, { password }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          setMode('existing');
          setPassword('');
          throw new Error(`${preview?.email ?? 'This address'} already has an account: sign in to accept.`);
        }
        throw e;
      }
    });
  };

  const acceptAsExisting = async (event: FormEvent) => {
    event.preventDefault();
    if (!preview) return;
    await run(async () => {
      try {
        await api.login({ email: preview.email, password, ...(needsCode ? { code: code.trim() } : {}) });
      } catch (e) {
        // Two-factor accounts: ask for the code, then sign in again with it.
        if (e instanceof ApiError && e.code === 'totp_required' && !needsCode) {
          setNeedsCode(true);
          return;
        }
        throw e;
      }
      joined(await api.acceptInvitation(token, {}));
    });
  };

  const acceptSignedIn = () => run(async () => joined(await api.acceptInvitation(token, {})));

  if (loadError)
    return (
      <main className="centered">
        <div className="card narrow" data-testid="invitation-invalid">
          <h1>This invitation cannot be used</h1>
          <ErrorText message={loadError} />
          <p className="muted">Ask the person who invited you for a new link.</p>
        </div>
      </main>
    );
  if (!preview || session.status.kind === 'loading')
    return (
      <main className="centered">
        <Loading />
      </main>
    );

  const heading = (
    <>
      <h1>Join {preview.organization.name}</h1>
      <p className="muted">
        You are invited as <strong>{preview.role}</strong> with the address <strong>{preview.email}</strong>.
      </p>
    </>
  );

  if (session.status.kind === 'signed-in') {
    const me = session.status.me;
    const same = me.user.email.toLowerCase() === preview.email.toLowerCase();
    return (
      <main className="centered">
        <div className="card narrow form" data-testid="invitation-signed-in">
          {heading}
          {same ? (
            <button
              type="button"
              className="button primary"
              disabled={busy}
              onClick={() => void acceptSignedIn()}
              data-testid="invitation-accept"
            >
              {busy ? 'Joining…' : `Join ${preview.organization.name}`}
            </button>
          ) : (
            <>
              <p>
                You are signed in as {me.user.email}. Sign out, then open this link again to accept as{' '}
                {preview.email}.
              </p>
              <button type="button" className="button" onClick={() => void session.signOut()}>
                Sign out
              </button>
            </>
          )}
          <ErrorText message={error} />
        </div>
      </main>
    );
  }

  return (
    <main className="centered">
      {mode === 'new' ? (
        <form
          className="card narrow form"
          data-testid="invitation-form"
          onSubmit={(e) => void acceptAsNew(e)}
        >
          {heading}
          <input type="hidden" name="username" autoComplete="username" value={preview.email} />
          <TextField
            label="Choose a password"
            type="password"
            autoComplete="new-password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            value={password}
            onValue={setPassword}
            hint={<>At least {MIN_PASSWORD_LENGTH} characters.</>}
          />
          <TextField
            label="Repeat the password"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onValue={setConfirm}
          />
          <ErrorText message={error} testId="form-error" />
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Joining…' : 'Create my account and join'}
          </button>
          <button type="button" className="button ghost" onClick={() => setMode('existing')}>
            I already have a Hostwire account
          </button>
        </form>
      ) : (
        <form
          className="card narrow form"
          data-testid="invitation-login-form"
          onSubmit={(e) => void acceptAsExisting(e)}
        >
          {heading}
          <input type="hidden" name="username" autoComplete="username" value={preview.email} />
          <TextField
            label="Your password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onValue={setPassword}
          />
          {needsCode ? (
            <TextField
              label="Two-factor code"
              autoComplete="one-time-code"
              required
              value={code}
              onValue={setCode}
            />
          ) : null}
          <ErrorText message={error} testId="form-error" />
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Joining…' : 'Sign in and join'}
          </button>
        </form>
      )}
      {config?.sso.enabled ? (
        <p className="row-center">
          <a className="button" data-testid="invitation-sso" href={ssoStartUrl({ invitation: token })}>
            Join with {config.sso.name ?? 'single sign-on'}
          </a>
        </p>
      ) : null}
    </main>
  );
}
