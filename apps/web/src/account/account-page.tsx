/**
 * @module account-page — `/account`: change the password (ends the other sessions), sign out everywhere,
 * two-factor sign-in (set up with a QR code, confirm with the password and a code, keep the recovery codes,
 * turn off), and linking single sign-on to this account (the only way SSO reaches an existing account).
 */
import type { Account, AuthConfig, TotpSetup } from '@hostwire/protocol';
import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { ErrorText, Loading } from '../components/bits.js';
import { CopyButton } from '../components/copy-button.js';
import { ConfirmDialog } from '../components/dialog.js';
import { TextField } from '../components/field.js';
import { MIN_PASSWORD_LENGTH } from '../pages/setup-page.js';
import { useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';

// The QR encoder is only needed while setting up two-factor: its own chunk.
const QrCode = lazy(() => import('./qr-code.js').then((m) => ({ default: m.QrCode })));

function PasswordSection({ hasPassword }: { hasPassword: boolean }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, setError, run } = useTask();
  if (!hasPassword)
    return (
      <section className="card">
        <h2>Password</h2>
        <p className="muted">This account signs in through single sign-on and has no password.</p>
      </section>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (next.length < MIN_PASSWORD_LENGTH) {
      setError(`The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (next !== confirm) {
      setError('The two new passwords differ.');
      return;
    }
    await run(async () => {
      await api.changePassword({ currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setDone(true);
    });
  };
  return (
    <form className="card form" data-testid="password-form" onSubmit={(e) => void submit(e)}>
      <h2>Password</h2>
      <TextField
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onValue={setCurrent}
      />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        value={next}
        onValue={setNext}
      />
      <TextField
        label="Repeat the new password"
        type="password"
        autoComplete="new-password"
        required
        value={confirm}
        onValue={setConfirm}
      />
      <ErrorText message={error} />
      {done ? (
        <p className="banner banner-ok" role="status" data-testid="password-changed">
          Password changed. Your other sessions were signed out.
        </p>
      ) : null}
      <div className="row-end">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

function SessionsSection() {
  const session = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <section className="card">
      <h2>Sessions</h2>
      <p className="muted">
        Signs out every browser signed in as you, this one included, and closes their live connections.
      </p>
      <ErrorText message={error} />
      <div className="row-end">
        <button
          type="button"
          className="button danger"
          data-testid="logout-all-button"
          onClick={() => setConfirming(true)}
        >
          Sign out everywhere
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            api.logoutAll().then(session.expired, (e: unknown) => {
              setError(errorMessage(e));
              setConfirming(false);
            });
          }}
        >
          <p>You will have to sign in again here and on every other device.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** Setup in progress: the QR code and secret, then the confirming code, then the recovery codes once. */
function TwoFactorSetup({ setup, onDone }: { setup: TotpSetup; onDone: () => void }) {
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const { busy, error, run } = useTask();
  if (recoveryCodes)
    return (
      <div className="stack" data-testid="recovery-codes">
        <p className="banner banner-ok" role="status">
          Two-factor sign-in is on.
        </p>
        <p>
          Keep these recovery codes somewhere safe. Each works once, instead of a code from your app. They are
          shown only now.
        </p>
        <ul className="recovery-codes mono">
          {recoveryCodes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
        <div className="row-end">
          <CopyButton text={recoveryCodes.join('\n')} label="Copy codes" />
          <button type="button" className="button primary" data-testid="totp-done" onClick={onDone}>
            I saved them
          </button>
        </div>
      </div>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () =>
      setRecoveryCodes((await api.totpEnable({ code: code.trim(), password })).recoveryCodes),
    );
  };
  return (
    <form className="form" data-testid="totp-enable-form" onSubmit={(e) => void submit(e)}>
      <p>
        Scan this code with your authenticator app (or enter the key by hand), then type the code it shows.
      </p>
      <Suspense fallback={<Loading label="Drawing the QR code…" />}>
        <QrCode text={setup.otpauthUrl} label="QR code for your authenticator app" />
      </Suspense>
      <p className="muted">
        Key:{' '}
        <code className="mono" data-testid="totp-secret">
          {setup.secret}
        </code>
      </p>
      <TextField
        label="Code from the app"
        name="code"
        data-testid="totp-enable-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]{6,7}"
        required
        value={code}
        onValue={setCode}
      />
      <TextField
        label="Current password"
        name="password"
        data-testid="totp-enable-password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onValue={setPassword}
      />
      <p className="muted">Turning it on signs you out on your other devices.</p>
      <ErrorText message={error} />
      <div className="row-end">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Checking…' : 'Turn on two-factor'}
        </button>
      </div>
    </form>
  );
}

function TwoFactorDisable({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.totpDisable({ password, code: code.trim() });
      onDone();
    });
  };
  return (
    <form className="form" data-testid="totp-disable-form" onSubmit={(e) => void submit(e)}>
      <div className="form-row">
        <TextField
          label="Password"
          grow
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
        />
        <TextField
          label="Code or recovery code"
          grow
          autoComplete="one-time-code"
          required
          value={code}
          onValue={setCode}
        />
      </div>
      <ErrorText message={error} />
      <div className="row-end">
        <button type="submit" className="button danger" disabled={busy}>
          Turn off two-factor
        </button>
      </div>
    </form>
  );
}

function TwoFactorSection({ account, reload }: { account: Account; reload: () => Promise<void> }) {
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const { busy, error, run } = useTask();
  const { enabled, recoveryCodesLeft } = account.twoFactor;
  return (
    <section className="card" data-testid="totp-section">
      <h2>Two-factor sign-in</h2>
      {setup ? null : (
        <p data-testid="totp-status">
          {enabled
            ? `On · ${recoveryCodesLeft} recovery code${recoveryCodesLeft === 1 ? '' : 's'} left`
            : 'Off'}
        </p>
      )}
      {!account.hasPassword && !enabled ? (
        <p className="muted">
          You sign in through single sign-on: your provider's own two-factor settings protect this account.
        </p>
      ) : setup ? (
        <TwoFactorSetup
          setup={setup}
          onDone={() => {
            setSetup(null);
            void reload();
          }}
        />
      ) : enabled ? (
        <TwoFactorDisable onDone={() => void reload()} />
      ) : (
        <>
          <p className="muted">
            After your password, sign-in will also ask for a code from an authenticator app (TOTP).
          </p>
          <ErrorText message={error} />
          <div className="row-end">
            <button
              type="button"
              className="button primary"
              data-testid="totp-setup-button"
              disabled={busy}
              onClick={() => void run(async () => setSetup(await api.totpSetup()))}
            >
              Set up two-factor
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** Links the server's SSO provider to this account: the password first, then a round trip to the provider. */
function SingleSignOnSection({ account, config }: { account: Account; config: AuthConfig }) {
  const [password, setPassword] = useState('');
  const { busy, error, run } = useTask();
  const name = config.sso.name ?? 'single sign-on';
  const justLinked = new URLSearchParams(window.location.search).get('sso') === 'linked';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const { url } = await api.ssoLink(account.hasPassword ? { password } : {});
      window.location.assign(url);
    });
  };
  return (
    <section className="card" data-testid="sso-section">
      <h2>Single sign-on</h2>
      {justLinked ? (
        <p className="banner banner-ok" role="status">
          {name} is linked: you can sign in with it.
        </p>
      ) : null}
      {account.identities.length > 0 ? (
        <ul data-testid="sso-identities">
          {account.identities.map((identity) => (
            <li key={`${identity.issuer} ${identity.createdAt}`}>
              {identity.email || 'linked'} <span className="muted">· {identity.issuer}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Not linked. Link {name} to sign in with it instead of your password.</p>
      )}
      <form className="form" data-testid="sso-link-form" onSubmit={(e) => void submit(e)}>
        {account.hasPassword ? (
          <TextField
            label="Current password"
            name="password"
            data-testid="sso-link-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onValue={setPassword}
          />
        ) : null}
        <ErrorText message={error} />
        <div className="row-end">
          <button type="submit" className="button" data-testid="sso-link-button" disabled={busy}>
            Link {name}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The signed-in user's own account. */
export function AccountPage() {
  const [account, setAccount] = useState<Account | null>(null);
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setAccount(await api.account());
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void reload();
    api.authConfig().then(setConfig, () => setConfig(null));
  }, [reload]);
  return (
    <div className="account-page" data-testid="account-page">
      <div className="page-head">
        <div>
          <h1>Account</h1>
          {account ? <p className="crumbs">Signed in as {account.user.email}</p> : null}
        </div>
      </div>
      <ErrorText message={error} />
      {account ? (
        <div className="grid-2">
          <PasswordSection hasPassword={account.hasPassword} />
          <TwoFactorSection account={account} reload={reload} />
          <SessionsSection />
          {config?.sso.enabled ? <SingleSignOnSection account={account} config={config} /> : null}
        </div>
      ) : error ? null : (
        <Loading />
      )}
    </div>
  );
}
