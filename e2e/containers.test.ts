// The Containers tab in Debian's Chromium against the real API, the real agent and a real engine (Podman):
// the live table follows a kill, the fleet row counts containers, charts open, the log is one click away.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENGINE_SOCKET, TestEngine, skipWithoutEngine } from '../apps/agent/src/test-support/engine.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { enrollAgent, startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { launchBrowser, newPage, screenshot, signIn, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium() || (await skipWithoutEngine());

describe.skipIf(skip)('the Containers tab in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let agent: AgentProcess | undefined;
  const engine = new TestEngine();

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
    await engine.removeAll();
  });

  it('shows a live table, the fleet count, per-container charts and actions, and the container log', async () => {
    const app = engine.uniqueName('e2e-app');
    const done = engine.uniqueName('e2e-done');
    await Promise.all([
      engine.run(app, { cmd: ['sh', '-c', 'echo hello-from-the-app; while :; do sleep 1; done'] }),
      engine.run(done, { cmd: ['true'] }),
    ]);
    const owner = await server.setup();
    const res = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'docker-host' },
    });
    const { host, enrollmentToken } = (await res.json()) as { host: { id: string }; enrollmentToken: string };
    agent = startAgent(
      await enrollAgent(server.url, enrollmentToken, (config) => {
        config.containers = { socket: TEST_ENGINE_SOCKET, actions: true };
      }),
    );

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const { page, errors } = await newPage(context);
    await signIn(page, server.url, 'owner@example.com', 'correct horse battery');
    const row = page.getByTestId(`host-row-${host.id}`);
    await row.getByTestId('container-count').waitFor({ timeout: 20_000 });
    expect(await row.getByTestId('container-count').textContent()).toMatch(/\d+ containers?, \d+ down/);

    await page.goto(`${server.url}/hosts/${host.id}/containers`);
    const appRow = page.getByTestId(`container-row-${app}`);
    await page
      .locator(`[data-testid="container-row-${app}"][data-state="running"]`)
      .waitFor({ timeout: 20_000 });
    await page.locator(`[data-testid="container-row-${done}"][data-state="exited"]`).waitFor();
    expect(await appRow.textContent()).toContain('busybox');

    // Live: a kill shows up without a reload.
    await engine.action(app, 'kill');
    await page
      .locator(`[data-testid="container-row-${app}"][data-state="exited"]`)
      .waitFor({ timeout: 10_000 });
    await engine.action(app, 'start');
    await page
      .locator(`[data-testid="container-row-${app}"][data-state="running"]`)
      .waitFor({ timeout: 10_000 });

    await page.getByTestId(`container-select-${app}`).click();
    await page.getByTestId('container-charts').waitFor();
    await page.locator('[data-testid="container-charts"] canvas').first().waitFor();
    await screenshot(page, 'containers-tab');

    // Stop from the tab: a signed action, confirmed first; the live table follows.
    await page.getByTestId('container-action-container-stop').click();
    await page.getByTestId('confirm-container-action').click();
    await page
      .locator(`[data-testid="container-row-${app}"][data-state="exited"]`)
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('container-action-status').filter({ hasText: 'succeeded' }).waitFor();
    await page.getByTestId('container-action-container-start').click();
    await page
      .locator(`[data-testid="container-row-${app}"][data-state="running"]`)
      .waitFor({ timeout: 20_000 });

    await page.getByTestId(`container-logs-${app}`).click();
    expect(await page.getByTestId('log-source').inputValue()).toBe(`container:${app}`);
    await page
      .getByTestId('log-line')
      .filter({ hasText: 'hello-from-the-app' })
      .first()
      .waitFor({ timeout: 15_000 });
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await context.close();
  });
});
