// Password change, sign-out everywhere and TOTP two-factor sign-in, over HTTP and live client sockets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { connect } from '../test-support/ws-client.js';
import { totpCode } from '../test-support/totp.js';

const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ LOGIN_MAX_ATTEMPTS: '20', LOG_LEVEL: 'warn' });
});
afterEach(async () => {
  await server.cleanup();
});

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function errorCode(res: Response): Promise<string> {
  return (await json<{ error: { code: string } }>(res)).error.code;
}

function login(body: Record<string, unknown>) {
  return server.request('POST', '/api/auth/login', { body: { email: EMAIL, password: PASSWORD, ...body } });
}

/** Turns two-factor on for the signed-in owner; returns the secret and the recovery codes. */
async function enableTotp(
  cookie: string,
): Promise<{ secret: string; enablingCode: string; recoveryCodes: string[] }> {
  const setup = await server.request('POST', '/api/auth/totp/setup', { cookie });
  expect(setup.status).toBe(200);
  const { secret } = await json<{ secret: string }>(setup);
  const enablingCode = totpCode(secret);
  const enabled = await server.request('POST', '/api/auth/totp/enable', {
    cookie,
    body: { code: enablingCode, password: PASSWORD },
  });
  expect(enabled.status).toBe(200);
  return { secret, enablingCode, ...(await json<{ recoveryCodes: string[] }>(enabled)) };
}

describe('password change and sign-out everywhere', () => {
  it('needs the current password, ends the other sessions and closes their sockets, keeps this one', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const other = await server.login(EMAIL, PASSWORD);
    const socket = await connect(`${server.wsUrl}/ws/client`, {
      headers: { cookie: other, origin: server.origin },
    });
    const wrong = await server.request('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: 'not my password', newPassword: 'a brand new password' },
    });
    expect(wrong.status).toBe(403);
    expect(await errorCode(wrong)).toBe('forbidden');
    const short = await server.request('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    expect((await server.request('GET', '/api/auth/me', { cookie: other })).status).toBe(200);

    const changed = await server.request('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: PASSWORD, newPassword: 'a brand new password' },
    });
    expect(changed.status).toBe(204);
    expect((await socket.closed).code).toBe(4001);
    expect((await server.request('GET', '/api/auth/me', { cookie: other })).status).toBe(401);
    expect((await server.request('GET', '/api/auth/me', { cookie })).status).toBe(200);
    expect((await login({})).status).toBe(401);
    expect((await login({ password: 'a brand new password' })).status).toBe(200);
  });

  it('signs out every session, this one included, and closes every socket', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const other = await server.login(EMAIL, PASSWORD);
    const sockets = await Promise.all(
      [cookie, other].map(async (c) => connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(c)}`)),
    );
    const res = await server.request('POST', '/api/auth/logout-all', { cookie });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().join()).toMatch(/session=;/);
    for (const socket of sockets) expect((await socket.closed).code).toBe(4001);
    for (const c of [cookie, other])
      expect((await server.request('GET', '/api/auth/me', { cookie: c })).status).toBe(401);
    expect((await login({})).status).toBe(200);
  });
});

describe('TOTP two-factor sign-in', () => {
  it('sets up with a secret and an otpauth URL, enables with a code, and returns ten recovery codes once', async () => {
    const { cookie, userId } = await server.setup(EMAIL, PASSWORD);
    const setup = await server.request('POST', '/api/auth/totp/setup', { cookie });
    const { secret, otpauthUrl } = await json<{ secret: string; otpauthUrl: string }>(setup);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/Hostwire:${EMAIL}`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      secret,
      issuer: 'Hostwire',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    // Sealed at rest: the database never holds the secret in the clear.
    const stored = await server.ctx.store.users.twoFactor(userId);
    expect(stored?.sealedSecret).toBeTruthy();
    expect(stored?.sealedSecret).not.toContain(secret);
    // Pending: sign-in does not ask for a code yet.
    expect((await login({})).status).toBe(200);

    for (const code of ['000000', 'abc', '12345']) {
      const bad = await server.request('POST', '/api/auth/totp/enable', {
        cookie,
        body: { code, password: PASSWORD },
      });
      expect(bad.status).toBe(400);
    }
    expect((await server.request('POST', '/api/auth/totp/enable', { cookie, body: {} })).status).toBe(400);
    const enabled = await server.request('POST', '/api/auth/totp/enable', {
      cookie,
      body: { code: totpCode(secret), password: PASSWORD },
    });
    expect(enabled.status).toBe(200);
    const { recoveryCodes } = await json<{ recoveryCodes: string[] }>(enabled);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const account = await json<{ twoFactor: unknown; hasPassword: boolean }>(
      await server.request('GET', '/api/auth/account', { cookie }),
    );
    expect(account).toMatchObject({ hasPassword: true, twoFactor: { enabled: true, recoveryCodesLeft: 10 } });
    const again = await server.request('POST', '/api/auth/totp/setup', { cookie });
    expect(again.status).toBe(409);
    expect(
      (
        await server.request('POST', '/api/auth/totp/enable', {
          cookie,
          body: { code: totpCode(secret, 1), password: PASSWORD },
        })
      ).status,
    ).toBe(409);
  });

  it('regression: enabling TOTP needs the current password and ends the other sessions (sockets close 4001)', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const other = await server.login(EMAIL, PASSWORD);
    const socket = await connect(`${server.wsUrl}/ws/client`, {
      headers: { cookie: other, origin: server.origin },
    });
    const setup = await server.request('POST', '/api/auth/totp/setup', { cookie });
    const { secret } = await json<{ secret: string }>(setup);
    const enable = (body: Record<string, unknown>) =>
      server.request('POST', '/api/auth/totp/enable', { cookie, body });
    // An old client's body (code only): a clear 400 naming the password.
    const oldClient = await enable({ code: totpCode(secret) });
    expect(oldClient.status).toBe(400);
    expect((await json<{ error: { message: string } }>(oldClient)).error.message).toBe(
      'password: your current password is required to turn on two-factor sign-in',
    );
    const wrong = await enable({ code: totpCode(secret), password: 'not my password' });
    expect(wrong.status).toBe(403);
    expect((await server.request('GET', '/api/auth/account', { cookie })).status).toBe(200);
    expect((await server.request('GET', '/api/auth/me', { cookie: other })).status).toBe(200);

    expect((await enable({ code: totpCode(secret), password: PASSWORD })).status).toBe(200);
    expect((await socket.closed).code).toBe(4001);
    expect((await server.request('GET', '/api/auth/me', { cookie: other })).status).toBe(401);
    expect((await server.request('GET', '/api/auth/me', { cookie })).status).toBe(200);
  });

  it('then asks for a code at sign-in: 401 totp_required without a valid one, never the same code twice', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const { secret, enablingCode } = await enableTotp(cookie);
    const missing = await login({});
    expect(missing.status).toBe(401);
    expect(await errorCode(missing)).toBe('totp_required');
    expect(missing.headers.getSetCookie()).toEqual([]);
    const wrong = await login({ code: totpCode(secret, 5) });
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('totp_required');
    // The enabling code's step is used up; the next step's code is within the window.
    expect((await login({ code: enablingCode })).status).toBe(401);
    const next = totpCode(secret, 1);
    const ok = await login({ code: next });
    expect(ok.status).toBe(200);
    expect(ok.headers.getSetCookie().join()).toMatch(/^session=/);
    const replay = await login({ code: next });
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe('totp_required');
    // A wrong password stays a plain 401, whatever the code.
    const badPassword = await login({ password: 'wrong password!', code: totpCode(secret, -1) });
    expect(await errorCode(badPassword)).toBe('unauthorized');
  });

  it('accepts each recovery code once, in any case and with or without the dash', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const { recoveryCodes } = await enableTotp(cookie);
    const [first = '', second = ''] = recoveryCodes;
    expect((await login({ code: first })).status).toBe(200);
    const reused = await login({ code: first });
    expect(reused.status).toBe(401);
    expect(await errorCode(reused)).toBe('totp_required');
    expect((await login({ code: ` ${second.replace('-', '').toUpperCase()} ` })).status).toBe(200);
    const account = await json<{ twoFactor: { recoveryCodesLeft: number } }>(
      await server.request('GET', '/api/auth/account', { cookie }),
    );
    expect(account.twoFactor.recoveryCodesLeft).toBe(8);
  });

  it('counts wrong codes as failed sign-ins: guessing is throttled with 429', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const { secret } = await enableTotp(cookie);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login({ code: String(100000 + i) })).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const blocked = await login({ code: totpCode(secret, 1) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('turns off only with the password and a code; then sign-in needs no code', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    const { secret, recoveryCodes } = await enableTotp(cookie);
    const disable = (body: Record<string, unknown>) =>
      server.request('POST', '/api/auth/totp/disable', { cookie, body });
    const noPassword = await disable({ password: 'wrong password!', code: totpCode(secret, 1) });
    expect(noPassword.status).toBe(403);
    const noCode = await disable({ password: PASSWORD, code: '123456' });
    expect(noCode.status).toBe(403);
    expect((await disable({ password: PASSWORD })).status).toBe(400);
    expect((await disable({ password: PASSWORD, code: recoveryCodes[0] })).status).toBe(204);
    expect((await disable({ password: PASSWORD, code: totpCode(secret, 1) })).status).toBe(409);
    expect((await login({})).status).toBe(200);
    const account = await json<{ twoFactor: unknown }>(
      await server.request('GET', '/api/auth/account', { cookie }),
    );
    expect(account.twoFactor).toEqual({ enabled: false, recoveryCodesLeft: 0 });
  });

  it('refuses two-factor management without a session or from another origin', async () => {
    const { cookie } = await server.setup(EMAIL, PASSWORD);
    expect((await server.request('POST', '/api/auth/totp/setup')).status).toBe(401);
    const foreign = await server.request('POST', '/api/auth/totp/setup', {
      cookie,
      origin: 'https://evil.example.com',
    });
    expect(foreign.status).toBe(403);
    expect((await server.request('POST', '/api/auth/logout-all', { cookie, origin: null })).status).toBe(403);
  });
});
