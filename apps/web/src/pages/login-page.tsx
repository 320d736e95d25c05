/**
 * @module login-page — sign in with email and password (plus a two-factor code when asked), or with SSO;
 * `/login?sso=code` is the second step of an SSO sign-in for an account with two-factor on.
 */
import type { AuthConfig } from '@hostwire/protocol';
import { useEffect, useRef, useState, type FormEvent, type RefObject } from 'react';
import { api, ssoStartUrl } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import { ErrorText } from '../components/bits.js';
import { navigate } from '../router/router.js';
import { useSession } from '../session/session.js';
import { useTask } from '../util/hooks.js';

/** A TOTP or recovery code, as both sign-in forms ask for it. */
function TwoFactorCodeField(props: {
  testId: string;
  value: string;
  onChange: (code: string) => void;
  autoFocus?: boolean;
  inputRef?: RefObject<HTMLInputElement | null>;
}) {
  return (
    <label className="field">
      <span>Two-factor code</span>
      <input
        ref={props.inputRef}
        name="code"
        data-testid={props.testId}
        inputMode="text"
        autoComplete="one-time-code"
        required
        autoFocus={props.autoFocus}
        maxLength={64}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <small className="muted">
        The 6-digit code from your authenticator app, or one of your recovery codes.
      </small>
    </label>
  );
}

/** The single sign-on went through at the provider; the account's two-factor code completes it. */
function SsoCodeForm() {
  const { signedIn } = useSession();
  const [code, setCode] = useState('');
  const { busy, error, run } = useTask();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const { me, returnTo } = await api.ssoCode(code.trim());
      signedIn(me);
      navigate(returnTo, { replace: true });
    });
  };
  return (
    <main className="centered">
      <form className="card narrow form" data-testid="sso-code-form" onSubmit={(e) => void submit(e)}>
        <h1>Two-factor code</h1>
        <p className="muted">Your provider signed you in. This account also asks for its two-factor code.</p>
        <TwoFactorCodeField testId="sso-totp-code" value={code} onChange={setCode} autoFocus />
        <ErrorText message={error} testId="form-error" focus />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
        <a className="button ghost" href="/login">
          Back to sign-in
        </a>
      </form>
    </main>
  );
}

/** The sign-in page; `expired` explains why a signed-in user landed here. */
export function LoginPage({ expired }: { expired: boolean }) {
  if (new URLSearchParams(window.location.search).get('sso') === 'code') return <SsoCodeForm />;
  return <PasswordLogin expired={expired} />;
}

function PasswordLogin({ expired }: { expired: boolean }) {
  const { signedIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  // Set once the server answered `totp_required`: the form then asks for the code too.
  const [needsCode, setNeedsCode] = useState(false);
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const { busy, error, setError, run } = useTask();

  useEffect(() => {
    api.authConfig().then(setConfig, () => setConfig(null));
  }, []);

  useEffect(() => {
    if (needsCode) codeInput.current?.focus();
  }, [needsCode]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      try {
        const body = { email: email.trim(), password, ...(needsCode ? { code: code.trim() } : {}) };
        signedIn(await api.login(body));
      } catch (e) {
        if (e instanceof ApiError && e.code === 'totp_required') {
          const first = !needsCode;
          setNeedsCode(true);
          setCode('');
          // The first answer only means "a code is needed": no error to show yet.
          if (first) return;
        }
        throw e;
      }
    });
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
            readOnly={needsCode}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label className="field" hidden={needsCode}>
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
        {needsCode ? (
          <TwoFactorCodeField testId="totp-code" value={code} onChange={setCode} inputRef={codeInput} />
        ) : null}
        <ErrorText message={error} testId="form-error" focus />
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Signing in…' : needsCode ? 'Verify' : 'Sign in'}
        </button>
        {needsCode ? (
          <button
            type="button"
            className="button ghost"
            onClick={() => {
              setNeedsCode(false);
              setPassword('');
              setError(null);
            }}
          >
            Back
          </button>
        ) : null}
        {config?.sso.enabled && !needsCode ? (
          <>
            <p className="muted divider-text">or</p>
            <a className="button" data-testid="sso-button" href={ssoStartUrl()}>
              Sign in with {config.sso.name ?? 'single sign-on'}
            </a>
          </>
        ) : null}
      </form>
    </main>
  );
}
