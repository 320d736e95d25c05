// Two-factor sign-in in Debian's Chromium against the real server: set it up on the Account page (QR code,
// confirming code and password, recovery codes shown once), then sign in with a TOTP code and with a
// recovery code; single sign-on: an invited person, and an account that links SSO on its Account page and
// then gives its TOTP code after the provider.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestServerWithOidc,
  type TestOidcProvider,
} from '../apps/api/src/test-support/oidc-provider.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { totpCode } from '../apps/api/src/test-support/totp.js';
import { launchBrowser, newPage, screenshot, signIn, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium();
const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';
// An anonymous visit asks /api/auth/me first, sign-in without a code answers 401 totp_required, a wrong
// enabling code 400: the browser logs them.
const EXPECTED_CONSOLE = /status of 40[01]/;

describe.skipIf(skip)('two-factor sign-in in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let errors: string[] = [];

  async function open(): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const opened = await newPage(context);
    errors = opened.errors;
    return opened.page;
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByTestId('logout-button').click();
    await page.getByTestId('login-form').waitFor();
    // Start again from the fleet (the address bar still says /account).
    await page.goto(server.url);
    await page.getByTestId('login-form').waitFor();
  }

  /** Email and password, then the code the login form asks for. */
  async function signInWithCode(page: Page, code: string): Promise<void> {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByTestId('login-form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('totp-code').waitFor();
    await page.getByTestId('totp-code').fill(code);
    await page.getByTestId('login-form').getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
  }

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    await server.setup(EMAIL, PASSWORD);
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await context?.close();
    expect(errors.filter((e) => !EXPECTED_CONSOLE.test(e))).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('sets up TOTP with a QR code, then signs in with a code and with a recovery code', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.getByTestId('user-email').click();
    await page.getByTestId('account-page').waitFor();
    expect(await page.getByTestId('totp-status').textContent()).toBe('Off');
    await page.getByTestId('totp-setup-button').click();

    // The QR code is an image drawn from the otpauth URL (its encoder loaded on demand).
    const qr = page.getByTestId('totp-qr');
    await qr.waitFor();
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'account-totp-setup');

    await page.getByTestId('totp-enable-code').fill('000000');
    await page.getByTestId('totp-enable-password').fill(PASSWORD);
    await page.getByTestId('totp-enable-form').getByRole('button').click();
    await page.getByTestId('totp-enable-form').getByRole('alert').waitFor();
    const enablingCode = totpCode(secret);
    await page.getByTestId('totp-enable-code').fill(enablingCode);
    await page.getByTestId('totp-enable-form').getByRole('button').click();
    const codes = page.getByTestId('recovery-codes');
    await codes.waitFor();
    const recoveryCodes = await codes.locator('li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    await screenshot(page, 'account-recovery-codes');
    await page.getByTestId('totp-done').click();
    await expect
      .poll(() => page.getByTestId('totp-status').textContent())
      .toBe('On · 10 recovery codes left');
    // Shown once: the codes are gone from the page.
    expect(await page.getByTestId('recovery-codes').count()).toBe(0);

    await signOut(page);
    // A wrong code keeps the form and says so; the enabling step's code cannot be used again.
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByTestId('login-form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('totp-code').fill(enablingCode);
    await page.getByTestId('login-form').getByRole('button', { name: 'Verify' }).click();
    await expect
      .poll(() => page.getByTestId('form-error').textContent())
      .toMatch(/wrong or was already used/);
    await page.getByTestId('totp-code').fill(totpCode(secret, 1));
    await page.getByTestId('login-form').getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();

    await signOut(page);
    await signInWithCode(page, recoveryCodes[0] ?? '');
    await page.getByTestId('user-email').click();
    await expect.poll(() => page.getByTestId('totp-status').textContent()).toBe('On · 9 recovery codes left');
  });
});

describe.skipIf(skip)('single sign-on in the browser', () => {
  let server: TestServer;
  let provider: TestOidcProvider;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let errors: string[] = [];

  beforeAll(async () => {
    ({ provider, server } = await startTestServerWithOidc());
    const owner = await server.setup(EMAIL, PASSWORD);
    await server.request('POST', `/api/orgs/${owner.organizationId}/invitations`, {
      cookie: owner.cookie,
      body: { email: 'sso-user@example.com', role: 'viewer' },
    });
    provider.accounts.set('sso-user', { email: 'sso-user@example.com', email_verified: true });
    browser = await launchBrowser();
  });

  afterEach(async () => {
    await context?.close();
    expect(errors.filter((e) => !EXPECTED_CONSOLE.test(e))).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.cleanup();
    await provider?.close();
  });

  /** A page that reaches only this machine, whose console errors from Hostwire's pages are collected. */
  async function openLocal(): Promise<Page> {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Only this machine: the provider's development pages link web fonts, which are never fetched.
    await context.route('**/*', (route) => {
      const { hostname } = new URL(route.request().url());
      return hostname === '127.0.0.1' ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    // Console errors of Hostwire's pages count; the provider's pages are not ours.
    errors = [];
    page.on('console', (message) => {
      const from = message.location().url;
      if ((message.type() === 'error' || message.type() === 'warning') && from.startsWith(server.url))
        errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    return page;
  }

  /** The provider's own (development) sign-in and consent pages. */
  async function atProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
  }

  it('signs an invited person in with the "Sign in with Acme ID" button and lands on the fleet', async () => {
    const page = await openLocal();
    await page.goto(server.url);
    const button = page.getByTestId('sso-button');
    await button.waitFor();
    expect(await button.textContent()).toBe('Sign in with Acme ID');
    await screenshot(page, 'login-sso-button');
    await button.click();
    await atProvider(page, 'sso-user');
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    expect(await page.getByTestId('user-email').textContent()).toBe('sso-user@example.com');
    expect(new URL(page.url()).origin).toBe(server.url);
  });

  it("links SSO from the account page, then asks the SSO sign-in for the account's TOTP code", async () => {
    provider.accounts.set('owner-idp', { email: EMAIL, email_verified: true });
    let page = await openLocal();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.getByTestId('user-email').click();
    await page.getByTestId('sso-section').waitFor();
    await page.getByTestId('sso-link-password').fill(PASSWORD);
    await page.getByTestId('sso-link-button').click();
    await atProvider(page, 'owner-idp');
    await page.getByTestId('sso-identities').waitFor();
    expect(await page.getByTestId('sso-section').getByRole('status').textContent()).toContain('is linked');
    await screenshot(page, 'account-sso-linked');

    // Two-factor on (through the API), then a fresh browser signs in with the provider.
    const cookie = await server.login(EMAIL, PASSWORD);
    const setup = await server.request('POST', '/api/auth/totp/setup', { cookie });
    const { secret } = (await setup.json()) as { secret: string };
    const enabled = await server.request('POST', '/api/auth/totp/enable', {
      cookie,
      body: { code: totpCode(secret), password: PASSWORD },
    });
    expect(enabled.status).toBe(200);
    await context?.close();
    page = await openLocal();
    await page.goto(server.url);
    await page.getByTestId('sso-button').click();
    await atProvider(page, 'owner-idp');
    await page.getByTestId('sso-code-form').waitFor();
    await screenshot(page, 'login-sso-code');
    await page.getByTestId('sso-totp-code').fill(totpCode(secret, 1));
    await page.getByTestId('sso-code-form').getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    expect(await page.getByTestId('user-email').textContent()).toBe(EMAIL);
  });
});
