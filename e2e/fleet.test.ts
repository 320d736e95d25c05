// The whole first experience in Debian's Chromium: setup → add host → real agent enrolls → live chart →
// log lines → action output → a viewer sees no run button. Screenshots go to artifacts/ (not committed).
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { runAgentCommand, startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { launchBrowser, newPage, screenshot, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium();
// An anonymous visit asks /api/auth/me first; the browser logs that expected 401 as a console error.
const EXPECTED_CONSOLE = /status of 401/;

describe.skipIf(skip)('the web UI in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let agent: AgentProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-e2e-'));
  const logFile = path.join(dir, 'app.log');
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      METRICS_SLOW_INTERVAL_MS: '1000',
      METRICS_LIVE_INTERVAL_MS: '500',
      LOG_LEVEL: 'warn',
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await server?.cleanup();
  });

  async function tracked(page: Promise<{ page: Page; errors: string[] }>): Promise<Page> {
    const opened = await page;
    opened.page.on('close', () =>
      consoleErrors.push(...opened.errors.filter((e) => !EXPECTED_CONSOLE.test(e))),
    );
    return opened.page;
  }

  it('takes an admin from setup to a live, enrolled host with logs and actions', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await tracked(newPage(context));
    // The link the server printed at start carries the one-time setup code.
    await page.goto(`${server.url}/setup?code=${server.setupCode()}`);
    await page.getByTestId('setup-form').waitFor();
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByLabel('Organization name').fill('Acme');
    await page.getByTestId('setup-form').getByRole('button').click();

    await page.getByTestId('add-host-button').click();
    await page.getByLabel('Host name').fill('e2e-1');
    await page
      .getByTestId('add-host-form')
      .getByRole('button', { name: /create/i })
      .click();
    // The one-line install comes first, as root and with sudo, naming PUBLIC_URL (not the page's origin);
    // the manual enroll command is the fallback below it.
    const publicUrl = server.ctx.config.publicUrl;
    const rootLine = (await page.getByTestId('install-command-root').textContent()) ?? '';
    expect(rootLine).toContain(
      `curl -fsSL ${publicUrl}/install.sh | sh -s -- --server ${publicUrl} --token `,
    );
    const install = (await page.getByTestId('install-command').textContent()) ?? '';
    expect(install).toContain(
      `curl -fsSL ${publicUrl}/install.sh | sudo sh -s -- --server ${publicUrl} --token `,
    );
    const command = (await page.getByTestId('enroll-command').textContent()) ?? '';
    expect(command).toContain(`hostwire-agent enroll --server ${publicUrl}`);
    const release = (await (await fetch(`${server.url}/api/agent/release`)).json()) as {
      releaseKey: string | null;
    };
    if (release.releaseKey) expect(command).toContain(`--release-key ${release.releaseKey}`);
    const token = /--token\s+(\S+)/.exec(command)?.[1] ?? '';
    expect(install).toContain(token);
    expect(rootLine).toContain(token);
    await page.getByTestId('enroll-waiting').waitFor();

    const configPath = path.join(dir, 'agent.json');
    writeFileSync(logFile, 'first line\n');
    const enrolled = await runAgentCommand([
      'enroll',
      '--server',
      server.url,
      '--token',
      token,
      '--config',
      configPath,
    ]);
    expect(enrolled, enrolled.stderr).toMatchObject({ code: 0 });
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    config.logs = { sources: [{ name: 'app', kind: 'file', path: logFile, description: 'e2e log' }] };
    config.actions = [
      {
        name: 'say',
        description: 'echo a word',
        argv: ['echo', 'hello', '{{word}}'],
        params: { word: { type: 'string', pattern: '[a-z]+' } },
        timeoutMs: 5000,
        outputCapBytes: 4096,
      },
    ];
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    agent = startAgent(configPath);

    await page.getByTestId('enroll-online').waitFor({ timeout: 20_000 });
    await page.keyboard.press('Escape');
    await page.locator('[data-testid^="host-row-"][data-status="online"]').waitFor();
    await screenshot(page, 'overview');

    await page.getByRole('link', { name: 'e2e-1' }).click();
    const chart = page.getByTestId('chart-cpu');
    await chart.waitFor();
    const before = Number(await chart.getAttribute('data-points'));
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="chart-cpu"]')?.getAttribute('data-points')) > n,
      before,
      { timeout: 15_000 },
    );
    await screenshot(page, 'host');

    await page.getByTestId('tab-logs').click();
    await page.getByTestId('log-line').filter({ hasText: 'first line' }).waitFor({ timeout: 10_000 });
    appendFileSync(logFile, 'appended by the e2e test\n');
    await page
      .getByTestId('log-line')
      .filter({ hasText: 'appended by the e2e test' })
      .waitFor({ timeout: 10_000 });

    await page.getByTestId('tab-actions').click();
    await page.getByLabel('word').fill('world');
    await page.getByTestId('action-run-say').click();
    await page.getByTestId('action-output').filter({ hasText: 'hello world' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="action-status"][data-status="succeeded"]').waitFor({ timeout: 10_000 });
    await screenshot(page, 'actions');

    await page.getByRole('link', { name: 'Members' }).click();
    const form = page.getByTestId('invite-form');
    await form.getByLabel('Email').fill('viewer@example.com');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: /invitation/i }).click();
    const link = (await page.getByTestId('invite-link').textContent()) ?? '';
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]+$/);
    await page.getByTestId('invitations-table').getByRole('cell', { name: 'viewer@example.com' }).waitFor();
    await screenshot(page, 'members-invite');

    // The invitee opens the link signed out and chooses their own password.
    const invitee = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const inviteePage = await tracked(newPage(invitee));
    await inviteePage.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
    await inviteePage.getByTestId('invitation-form').waitFor();
    await inviteePage.getByLabel('Choose a password').fill('viewer password 1');
    await inviteePage.getByLabel('Repeat the password').fill('viewer password 1');
    await inviteePage.getByTestId('invitation-form').getByRole('button', { name: /join/i }).click();
    await inviteePage.getByRole('link', { name: 'e2e-1' }).waitFor();
    await inviteePage.close();
    await invitee.close();

    await page.reload();
    await page.getByRole('cell', { name: 'viewer@example.com', exact: true }).waitFor();
    expect(await page.getByTestId('invitations-table').count()).toBe(0);
    await page.close();
    await context.close();
  });

  it('shows a viewer on a phone-width screen the host without any run button', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await tracked(newPage(context));
    await page.goto(server.url);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill('viewer@example.com');
    await page.getByLabel('Password').fill('viewer password 1');
    await page.getByTestId('login-form').getByRole('button').click();
    await page.getByRole('link', { name: 'e2e-1' }).click();
    await page.getByTestId('tab-actions').click();
    await page.getByTestId('actions-read-only').waitFor();
    expect(await page.locator('[data-testid^="action-run-"]').count()).toBe(0);
    await screenshot(page, 'viewer-phone');
    await page.close();
    await context.close();
  });

  it('lets the admin delete the host: it leaves the fleet and its agent stops for good', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await tracked(newPage(context));
    await page.goto(server.url);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByTestId('login-form').getByRole('button').click();
    await page.getByRole('link', { name: 'e2e-1' }).click();
    await page.getByTestId('host-delete').click();
    await page.getByTestId('host-delete-confirm').click();
    await page
      .getByTestId('fleet-table')
      .or(page.getByText(/no hosts/i))
      .first()
      .waitFor();
    expect(await page.locator('[data-testid^="host-row-"]').count()).toBe(0);
    expect(await agent?.exited).toBe(6);
    await page.close();
    await context.close();
  });

  it('logged no console errors or warnings', () => {
    expect(consoleErrors).toEqual([]);
  });
});
