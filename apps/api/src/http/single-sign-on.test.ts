// OpenID Connect single sign-on against a real OpenID provider (oidc-provider on a local port), driven by
// an HTTP client that follows redirects with cookies: code + PKCE, state and nonce, invitations, refusals.
import { EncryptJWT, jwtDecrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../auth/secret-box.js';
import { CookieBrowser, type Visit } from '../test-support/cookie-browser.js';
import { startTestServerWithOidc, type TestOidcProvider } from '../test-support/oidc-provider.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let provider: TestOidcProvider;
let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };

beforeAll(async () => {
  ({ provider, server } = await startTestServerWithOidc());
  owner = await server.setup('owner@example.com', 'correct horse battery');
});
afterAll(async () => {
  await server.cleanup();
  await provider.close();
});

const isCallback = (url: URL) => url.pathname === '/api/auth/oidc/callback';

/**
 * Signs in at the provider as `login` (its development login and consent pages) and stops before the
 * redirect back to Hostwire; returns that callback URL and the authorization request the provider got.
 */
async function throughProvider(
  browser: CookieBrowser,
  login: string,
  startQuery = '',
): Promise<{ callback: URL; authorizationRequest: URL }> {
  browser.stopBefore = isCallback;
  let page: Visit = await browser.go(`${server.url}/api/auth/oidc/start${startQuery}`);
  const authorizationRequest = page.trail.find((u) => u.origin === provider.issuer && u.pathname === '/auth');
  expect(page.url.origin).toBe(provider.issuer);
  page = await browser.submit(page, { login, password: 'any password' });
  for (let i = 0; i < 3 && page.status !== 0; i++) page = await browser.submit(page, {});
  expect(page.status, page.body.slice(0, 300)).toBe(0);
  browser.stopBefore = undefined;
  if (!authorizationRequest) throw new Error('no authorization request');
  return { callback: page.url, authorizationRequest };
}

/** The whole round trip: provider, then Hostwire's callback and its redirect. */
async function signInWithSso(browser: CookieBrowser, login: string, startQuery = ''): Promise<Visit> {
  const { callback } = await throughProvider(browser, login, startQuery);
  return browser.go(callback, { maxRedirects: 0 });
}

async function meOf(browser: CookieBrowser) {
  const cookie = browser.cookiesFor(new URL(`${server.url}/api/auth/me`));
  const res = await server.request('GET', '/api/auth/me', { cookie });
  return { status: res.status, me: res.status === 200 ? ((await res.json()) as Me) : undefined, cookie };
}

interface Me {
  user: { id: string; email: string };
  organizations: { id: string; name: string; role: string }[];
}

async function invite(cookie: string, organizationId: string, email: string, role: string) {
  const res = await server.request('POST', `/api/orgs/${organizationId}/invitations`, {
    cookie,
    body: { email, role },
  });
  expect(res.status).toBe(201);
  const { inviteUrl } = (await res.json()) as { inviteUrl: string };
  return inviteUrl.slice(inviteUrl.lastIndexOf('/') + 1);
}

describe('single sign-on with OpenID Connect', () => {
  it('tells the UI that SSO is on and what the button says', async () => {
    const res = await server.request('GET', '/api/auth/config');
    expect(await res.json()).toEqual({ sso: { enabled: true, name: 'Acme ID' } });
  });

  it('signs in an existing account by its verified e-mail, with PKCE (S256), state and nonce', async () => {
    provider.accounts.set('owner-at-idp', { email: 'Owner@Example.com', email_verified: true });
    const browser = new CookieBrowser();
    const { callback, authorizationRequest } = await throughProvider(
      browser,
      'owner-at-idp',
      '?returnTo=/audit',
    );
    const params = authorizationRequest.searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toBeTruthy();
    expect(params.get('nonce')).toBeTruthy();
    expect(params.get('redirect_uri')).toBe(`${server.url}/api/auth/oidc/callback`);
    // The transaction cookie is HttpOnly, scoped to the OIDC routes and encrypted (no verifier in clear).
    const sealed = browser.cookie(server.url, 'hostwire_oidc') ?? '';
    expect(sealed.split('.')).toHaveLength(5);
    expect(callback.searchParams.get('state')).toBe(params.get('state'));

    const landed = await browser.go(callback, { maxRedirects: 0 });
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/audit');
    expect(landed.headers.getSetCookie().join('\n')).toMatch(/session=.*HttpOnly/i);
    expect(browser.cookie(server.url, 'hostwire_oidc')).toBeUndefined();
    const { status, me } = await meOf(browser);
    expect(status).toBe(200);
    expect(me?.user).toEqual({ id: owner.userId, email: 'owner@example.com' });

    // The second time, the linked (issuer, subject) signs in without asking the provider to consent again.
    const again = await signInWithSso(new CookieBrowser(), 'owner-at-idp');
    expect(again.status).toBe(302);
    const audit = await server.request('GET', `/api/orgs/${owner.organizationId}/audit?action=login`, {
      cookie: owner.cookie,
    });
    const { events } = (await audit.json()) as { events: { details: { method?: string } | null }[] };
    expect(events.filter((e) => e.details?.method === 'oidc').length).toBeGreaterThanOrEqual(2);
  });

  it('accepts a pending invitation for the e-mail: a new account without a password, in the invited role', async () => {
    await invite(owner.cookie, owner.organizationId, 'newbie@example.com', 'operator');
    provider.accounts.set('newbie', { email: 'newbie@example.com', email_verified: true });
    const browser = new CookieBrowser();
    const landed = await signInWithSso(browser, 'newbie');
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/');
    const { me, cookie } = await meOf(browser);
    expect(me?.user.email).toBe('newbie@example.com');
    expect(me?.organizations).toEqual([{ id: owner.organizationId, name: 'Acme', role: 'operator' }]);
    const account = await server.request('GET', '/api/auth/account', { cookie });
    expect(await account.json()).toMatchObject({ hasPassword: false });
    // No password to change, and the provider's MFA is its second factor.
    const change = await server.request('POST', '/api/auth/password', {
      cookie,
      body: { currentPassword: 'x', newPassword: 'a new password here' },
    });
    expect(change.status).toBe(409);
    expect((await server.request('POST', '/api/auth/totp/setup', { cookie })).status).toBe(409);
    const pending = await server.request('GET', `/api/orgs/${owner.organizationId}/invitations`, {
      cookie: owner.cookie,
    });
    expect(((await pending.json()) as { invitations: unknown[] }).invitations).toEqual([]);
    // No password was ever set: password sign-in does not work for this account.
    const login = await server.request('POST', '/api/auth/login', {
      body: { email: 'newbie@example.com', password: '' },
    });
    expect(login.status).toBe(400);
    const login2 = await server.request('POST', '/api/auth/login', {
      body: { email: 'newbie@example.com', password: 'anything at all' },
    });
    expect(login2.status).toBe(401);
  });

  it("accepts the invitation link's organization for an existing account that signs in through SSO", async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'member@example.com', 'viewer');
    const created = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Beta' },
    });
    const beta = ((await created.json()) as { organization: { id: string } }).organization.id;
    const token = await invite(owner.cookie, beta, 'member@example.com', 'admin');
    provider.accounts.set('member-at-idp', { email: 'member@example.com', email_verified: true });
    const browser = new CookieBrowser();
    const landed = await signInWithSso(browser, 'member-at-idp', `?invitation=${token}`);
    expect(landed.status).toBe(302);
    const { me } = await meOf(browser);
    expect(me?.user.id).toBe(member.userId);
    expect(me?.organizations.map((o) => [o.name, o.role]).sort()).toEqual([
      ['Acme', 'viewer'],
      ['Beta', 'admin'],
    ]);
  });

  it('lets nobody in without an account or an invitation: a clear error page and no session', async () => {
    provider.accounts.set('stranger', { email: 'stranger@example.com', email_verified: true });
    const browser = new CookieBrowser();
    const page = await signInWithSso(browser, 'stranger');
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('no Hostwire account or pending invitation for stranger@example.com');
    expect(page.body).toContain('href="/login"');
    expect(browser.cookie(server.url, 'session')).toBeUndefined();
    expect(await server.ctx.store.users.findByEmail('stranger@example.com')).toBeUndefined();
  });

  it('refuses an address the provider did not verify', async () => {
    await invite(owner.cookie, owner.organizationId, 'unverified@example.com', 'viewer');
    provider.accounts.set('unverified', { email: 'unverified@example.com', email_verified: false });
    const page = await signInWithSso(new CookieBrowser(), 'unverified');
    expect(page.status).toBe(403);
    expect(page.body).toContain('verified address');
  });

  it('refuses a tampered state, a wrong nonce, a missing or forged transaction cookie', async () => {
    provider.accounts.set('owner-at-idp', { email: 'owner@example.com', email_verified: true });
    const key = deriveKey(server.ctx.config.secrets.sessionJwt, 'oidc-transaction');

    // State changed on the way back.
    let browser = new CookieBrowser();
    let { callback } = await throughProvider(browser, 'owner-at-idp');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'attacker-chosen-state');
    let page = await browser.go(tampered, { maxRedirects: 0 });
    expect(page.status).toBe(401);
    expect(page.body).toContain('did not verify');

    // The right state, but the transaction says another nonce than the ID token carries.
    browser = new CookieBrowser();
    ({ callback } = await throughProvider(browser, 'owner-at-idp'));
    const { payload } = await jwtDecrypt(browser.cookie(server.url, 'hostwire_oidc') ?? '', key);
    const forged = await new EncryptJWT({ ...payload, nonce: 'another-nonce' })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(key);
    browser.setCookie(server.url, 'hostwire_oidc', forged, '/api/auth/oidc');
    page = await browser.go(callback, { maxRedirects: 0 });
    expect(page.status).toBe(401);
    expect(browser.cookie(server.url, 'session')).toBeUndefined();

    // A callback in a browser that did not start the sign-in (no transaction cookie): JSON when asked.
    browser = new CookieBrowser();
    ({ callback } = await throughProvider(browser, 'owner-at-idp'));
    const stranger = await fetch(callback, { headers: { accept: 'application/json' }, redirect: 'manual' });
    expect(stranger.status).toBe(400);
    expect(((await stranger.json()) as { error: { code: string } }).error.code).toBe('bad_request');

    // A transaction cookie that is not ours.
    browser.setCookie(
      server.url,
      'hostwire_oidc',
      `${browser.cookie(server.url, 'hostwire_oidc') ?? ''}x`,
      '/api/auth/oidc',
    );
    page = await browser.go(callback, { maxRedirects: 0 });
    expect(page.status).toBe(400);
    expect(browser.cookie(server.url, 'session')).toBeUndefined();
  });

  it('answers 404 on the SSO routes of a server without OIDC settings', async () => {
    const plain = await startTestServer({ LOG_LEVEL: 'warn' });
    try {
      expect(await (await plain.request('GET', '/api/auth/config')).json()).toEqual({
        sso: { enabled: false, name: null },
      });
      expect((await plain.request('GET', '/api/auth/oidc/start')).status).toBe(404);
    } finally {
      await plain.cleanup();
    }
  });
});
