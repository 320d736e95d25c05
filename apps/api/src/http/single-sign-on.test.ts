// OpenID Connect single sign-on against a real OpenID provider (oidc-provider on a local port), driven by
// an HTTP client that follows redirects with cookies: code + PKCE, state and nonce, invitations, refusals.
import { EncryptJWT, jwtDecrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey } from '../auth/secret-box.js';
import { CookieBrowser, type Visit } from '../test-support/cookie-browser.js';
import { startTestServerWithOidc, type TestOidcProvider } from '../test-support/oidc-provider.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { totpCode } from '../test-support/totp.js';

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
  startUrl = `${server.url}/api/auth/oidc/start${startQuery}`,
): Promise<{ callback: URL; authorizationRequest: URL }> {
  browser.stopBefore = isCallback;
  let page: Visit = await browser.go(startUrl);
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

/** Starts linking from a signed-in account (`cookie`): the answer and, when 200, a browser at the provider. */
async function startLink(cookie: string, body: object) {
  const res = await server.request('POST', '/api/auth/oidc/link', { cookie, body });
  const browser = new CookieBrowser();
  browser.setCookie(server.url, 'session', cookie.replace(/^session=/, ''));
  for (const line of res.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    if (pair.startsWith('hostwire_oidc='))
      browser.setCookie(server.url, 'hostwire_oidc', pair.slice('hostwire_oidc='.length), '/api/auth/oidc');
  }
  const url = res.status === 200 ? ((await res.clone().json()) as { url: string }).url : '';
  return { res, browser, url };
}

/** Links the provider account `login` to the signed-in account of `cookie` (its password `password`). */
async function linkSso(cookie: string, password: string, login: string): Promise<Visit> {
  const { res, browser, url } = await startLink(cookie, { password });
  expect(res.status).toBe(200);
  const { callback } = await throughProvider(browser, login, '', url);
  return browser.go(callback, { maxRedirects: 0 });
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

  it('regression: never signs in to an existing account by e-mail alone: the account links from its page first', async () => {
    // An account "planted" for the address (here by the setup, for any password account the same).
    provider.accounts.set('owner-at-idp', { email: 'Owner@Example.com', email_verified: true });
    const refused = await signInWithSso(new CookieBrowser(), 'owner-at-idp');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('not linked to a Hostwire account');
    expect(refused.headers.getSetCookie().join('\n')).not.toMatch(/session=[^;]/);
    expect(await server.ctx.store.identities.find(provider.issuer, 'owner-at-idp')).toBeUndefined();

    // Linking needs the signed-in account's password, then the provider, back in the same session.
    const noPassword = await startLink(owner.cookie, {});
    expect(noPassword.res.status).toBe(400);
    expect(((await noPassword.res.json()) as { error: { message: string } }).error.message).toMatch(
      /password/,
    );
    expect((await startLink(owner.cookie, { password: 'not the password' })).res.status).toBe(403);
    expect((await server.request('POST', '/api/auth/oidc/link', { body: {} })).status).toBe(401);
    // A link whose callback arrives without that session does nothing.
    const detached = await startLink(owner.cookie, { password: 'correct horse battery' });
    const { callback: detachedCallback } = await throughProvider(
      detached.browser,
      'owner-at-idp',
      '',
      detached.url,
    );
    detached.browser.setCookie(server.url, 'session', 'gone');
    expect((await detached.browser.go(detachedCallback, { maxRedirects: 0 })).status).toBe(401);

    const linked = await linkSso(owner.cookie, 'correct horse battery', 'owner-at-idp');
    expect(linked.status).toBe(302);
    expect(linked.headers.get('location')).toBe('/account?sso=linked');
    const account = await server.request('GET', '/api/auth/account', { cookie: owner.cookie });
    expect(((await account.json()) as { identities: unknown[] }).identities).toEqual([
      expect.objectContaining({ issuer: provider.issuer, email: 'owner@example.com' }),
    ]);

    // Now the linked (issuer, subject) signs in, with PKCE (S256), state and nonce.
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
    expect(me?.user).toEqual({ id: owner.userId, email: 'owner@example.com', instanceAdmin: true });

    const audit = await server.request('GET', `/api/orgs/${owner.organizationId}/audit?action=login`, {
      cookie: owner.cookie,
    });
    const { events } = (await audit.json()) as { events: { details: { method?: string } | null }[] };
    expect(events.filter((e) => e.details?.method === 'oidc').length).toBeGreaterThanOrEqual(1);
  });

  it('regression: an account with TOTP gives its code after the provider before it gets a session', async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'tfa@example.com', 'viewer');
    const setup = await server.request('POST', '/api/auth/totp/setup', { cookie: member.cookie });
    const { secret } = (await setup.json()) as { secret: string };
    const enabled = await server.request('POST', '/api/auth/totp/enable', {
      cookie: member.cookie,
      body: { code: totpCode(secret), password: 'member password 123' },
    });
    expect(enabled.status).toBe(200);
    provider.accounts.set('tfa-at-idp', { email: 'tfa@example.com', email_verified: true });
    expect((await linkSso(member.cookie, 'member password 123', 'tfa-at-idp')).status).toBe(302);

    const browser = new CookieBrowser();
    const landed = await signInWithSso(browser, 'tfa-at-idp', '?returnTo=/audit');
    expect(landed.status).toBe(302);
    expect(landed.headers.get('location')).toBe('/login?sso=code');
    expect(browser.cookie(server.url, 'session')).toBeUndefined();
    expect((await meOf(browser)).status).toBe(401);
    const code = (body: object) =>
      server.request('POST', '/api/auth/oidc/code', {
        cookie: browser.cookiesFor(new URL(`${server.url}/api/auth/oidc/code`)),
        body,
      });
    const wrong = await code({ code: totpCode(secret, 5) });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('totp_required');
    const noStep = await server.request('POST', '/api/auth/oidc/code', {
      body: { code: totpCode(secret, 1) },
    });
    expect(noStep.status).toBe(401);
    const ok = await code({ code: totpCode(secret, 1) });
    expect(ok.status).toBe(200);
    const answer = (await ok.json()) as { me: Me; returnTo: string };
    expect(answer.me.user.id).toBe(member.userId);
    expect(answer.returnTo).toBe('/audit');
    const session = ok.headers.getSetCookie().find((c) => c.startsWith('session=')) ?? '';
    const me = await server.request('GET', '/api/auth/me', { cookie: session.split(';')[0] ?? '' });
    expect(me.status).toBe(200);
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

  it("accepts the invitation link's organization for a linked account that signs in through SSO", async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'member@example.com', 'viewer');
    provider.accounts.set('member-at-idp', { email: 'member@example.com', email_verified: true });
    expect((await linkSso(member.cookie, 'member password 123', 'member-at-idp')).status).toBe(302);
    const created = await server.request('POST', '/api/orgs', {
      cookie: owner.cookie,
      body: { name: 'Beta' },
    });
    const beta = ((await created.json()) as { organization: { id: string } }).organization.id;
    const token = await invite(owner.cookie, beta, 'member@example.com', 'admin');
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
