// API tokens in Debian's Chromium: an admin creates one under Settings, copies it while it is shown (once),
// uses it, sees "last used", and revokes it through the confirmation dialog; the token stops working.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { launchBrowser, newPage, signIn, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium();

describe.skipIf(skip)('API tokens in the organization settings', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'warn' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.cleanup();
  });

  it('creates a token shown once, lists its last use, and revokes it after a confirmation', async () => {
    const owner = await server.setup();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, errors } = await newPage(context);
    await signIn(page, server.url, 'owner@example.com', 'correct horse battery');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByTestId('api-tokens').waitFor();
    await page.getByTestId('tokens-empty').waitFor();

    await page.getByTestId('token-name').fill('grafana');
    await page.getByTestId('token-role').selectOption('viewer');
    await page.getByTestId('token-expiry').selectOption({ label: '90 days' });
    await page.getByTestId('token-create').click();
    const token = (await page.getByTestId('token-value').textContent())?.trim() ?? '';
    expect(token).toMatch(/^hwt_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('token-copy').click();
    await page.getByTestId('token-done').click();
    await expect.poll(() => page.getByTestId('token-value').count()).toBe(0);

    const scrape = () =>
      fetch(`${server.url}/api/orgs/${owner.organizationId}/prometheus`, {
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await scrape()).status).toBe(200);
    await page.reload();
    const row = page.locator('[data-testid^="token-row-"]', { hasText: 'grafana' });
    await row.waitFor();
    await expect.poll(async () => row.locator('[data-label="Last used"]').textContent()).not.toBe('never');
    expect(await row.locator('[data-label="Role"]').textContent()).toBe('viewer');
    // The list never shows the token again.
    expect(await page.content()).not.toContain(token);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('token-revoke-confirm').click();
    await page.getByTestId('tokens-empty').waitFor();
    expect((await scrape()).status).toBe(401);
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await context.close();
  });
});
