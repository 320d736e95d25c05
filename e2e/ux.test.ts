// What a Beszel or Grafana user expects, in Debian's Chromium against the real server and a real agent:
// honest liveness (stale, offline, reconnecting), actions beside their output, focus and keyboard, phone
// layout, first minutes. Every test fails on a console error or warning of its own pages.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent } from '../apps/api/src/test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { runAgentCommand, startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { launchBrowser, newPage, screenshot, signIn, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium();
const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';
// An anonymous visit asks /api/auth/me first, a wrong password answers 401: the browser logs both.
const EXPECTED_CONSOLE = /status of 401/;
const ENV = {
  METRICS_SLOW_INTERVAL_MS: '1000',
  METRICS_LIVE_INTERVAL_MS: '500',
  WS_HEARTBEAT_MS: '4000',
  LOG_LEVEL: 'warn',
};

describe.skipIf(skip)('the UI a Beszel or Grafana user expects', () => {
  let server: TestServer;
  let browser: Browser;
  let agent: AgentProcess | undefined;
  let owner: { cookie: string; organizationId: string };
  let hostId = '';
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-ux-'));
  let contexts: BrowserContext[] = [];
  let errors: string[][] = [];

  async function open(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    contexts.push(context);
    const opened = await newPage(context);
    errors.push(opened.errors);
    return opened.page;
  }

  async function startRealAgent(): Promise<void> {
    const configPath = path.join(dir, 'agent.json');
    agent = startAgent(configPath);
    await waitForHostOnline();
  }

  async function waitForHostOnline(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const host = await server.ctx.store.hosts.findById(hostId);
      if (host?.status === 'online' && host.summary) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the agent did not come online');
  }

  beforeAll(async () => {
    server = await startTestServer(ENV);
    owner = await server.setup(EMAIL, PASSWORD);
    browser = await launchBrowser();
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'alpha' },
    });
    const body = (await created.json()) as { host: { id: string }; enrollmentToken: string };
    hostId = body.host.id;
    const configPath = path.join(dir, 'agent.json');
    const enrolled = await runAgentCommand([
      'enroll',
      '--server',
      server.url,
      '--token',
      body.enrollmentToken,
      '--config',
      configPath,
    ]);
    expect(enrolled, enrolled.stderr).toMatchObject({ code: 0 });
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      path.join(dir, 'app.log'),
      '2026-01-02T03:04:05Z service started\n2026-01-02T03:04:06Z ERROR disk almost full\n',
    );
    writeFileSync(path.join(dir, 'empty.log'), '');
    config.logs = {
      sources: [
        { name: 'app', kind: 'file', path: path.join(dir, 'app.log'), description: 'the app' },
        { name: 'quiet', kind: 'file', path: path.join(dir, 'empty.log'), description: 'nothing yet' },
        { name: 'ghost', kind: 'file', path: path.join(dir, 'missing.log'), description: 'not there' },
      ],
    };
    config.actions = [
      {
        name: 'say',
        description: 'echo a word',
        argv: ['echo', 'hello', '{{word}}'],
        params: { word: { type: 'string', pattern: '[a-z]+' } },
        timeoutMs: 5000,
        outputCapBytes: 4096,
      },
      {
        name: 'wide',
        description: 'one very long line',
        argv: ['printf', '%s\\n', 'x'.repeat(400)],
        params: {},
        timeoutMs: 5000,
        outputCapBytes: 4096,
      },
      {
        name: 'nap',
        description: 'sleeps a while',
        argv: ['sleep', '20'],
        params: {},
        timeoutMs: 30_000,
        outputCapBytes: 4096,
      },
    ];
    writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
    await startRealAgent();
  });

  afterEach(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
    const seen = errors.flat().filter((e) => !EXPECTED_CONSOLE.test(e));
    errors = [];
    expect(seen).toEqual([]);
  });

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await server?.cleanup();
  });

  it('greys a frozen agent as stale within two intervals, blocks Run and says why, then shows it offline', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    const row = page.getByTestId(`host-row-${hostId}`);
    await page.locator(`[data-testid="host-row-${hostId}"][data-liveness="live"]`).waitFor();
    await page.getByRole('link', { name: 'alpha' }).click();
    await page.getByTestId('tab-actions').click();
    const hostPage = page.getByTestId('host-page');
    await page.locator('[data-testid="host-page"][data-liveness="live"]').waitFor();
    await expect.poll(() => page.getByTestId('action-run-say').isEnabled()).toBe(true);

    agent?.child.kill('SIGSTOP');
    try {
      const frozenAt = Date.now();
      await page.locator('[data-testid="host-page"][data-liveness="stale"]').waitFor({ timeout: 10_000 });
      // Live interval 500 ms: stale well before the server's heartbeat gives up on the socket.
      expect(Date.now() - frozenAt).toBeLessThan(4000);
      expect(await hostPage.getByTestId('host-status').textContent()).toBe('stale');
      expect(await page.getByTestId('host-sample-age').textContent()).toMatch(/newest sample/);
      expect(await page.getByTestId('action-run-say').isDisabled()).toBe(true);
      expect(await page.getByTestId('run-blocked').first().textContent()).toMatch(/stopped sending samples/);
      await screenshot(page, 'host-stale');

      await page.getByRole('link', { name: 'Fleet', exact: true }).first().click();
      await row.waitFor();
      // The fleet expects the slow interval (1 s here, stale after 2): at most that long after the host page
      // said stale, the row says stale too (or offline, if the heartbeat already gave up).
      await page
        .locator(
          `[data-testid="host-row-${hostId}"][data-liveness="stale"], [data-testid="host-row-${hostId}"][data-liveness="offline"]`,
        )
        .waitFor({ timeout: 3_000 });
      // The heartbeat (4 s here) terminates the silent socket: offline everywhere.
      await page
        .locator(`[data-testid="host-row-${hostId}"][data-liveness="offline"]`)
        .waitFor({ timeout: 20_000 });
      expect(await row.getByTestId('host-status').textContent()).toBe('offline');
      await screenshot(page, 'fleet-offline');
      await page.getByRole('link', { name: 'alpha' }).click();
      await page.getByTestId('tab-actions').click();
      await page.locator('[data-testid="host-page"][data-liveness="offline"]').waitFor();
      expect(await page.getByTestId('run-blocked').first().textContent()).toMatch(/offline/);
    } finally {
      agent?.child.kill('SIGCONT');
    }
    await page.locator('[data-testid="host-page"][data-liveness="live"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('action-run-say').isEnabled()).toBe(true);
  });

  it('shows the output beside the action that ran, in view, and a history with parameters, who, duration and exit', async () => {
    const page = await open({ viewport: { width: 1280, height: 600 } });
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.goto(`${server.url}/hosts/${hostId}/actions`);
    await page.locator('[data-testid="host-page"][data-liveness="live"]').waitFor({ timeout: 15_000 });
    await page.getByLabel('word').fill('world');
    await page.getByTestId('action-run-say').click();
    const card = page.getByTestId('action-say');
    await card.getByTestId('action-output').filter({ hasText: 'hello world' }).waitFor({ timeout: 10_000 });
    await card.locator('[data-testid="action-status"][data-status="succeeded"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => card.getByTestId('action-run-panel').isVisible()).toBe(true);
    const inView = await card.getByTestId('action-run-panel').evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top < window.innerHeight && r.bottom > 0;
    });
    expect(inView).toBe(true);
    const row = page.locator('[data-testid^="action-history-row-"]').filter({ hasText: 'say' }).first();
    await row.waitFor();
    await expect.poll(() => row.getByTestId('history-exit').textContent()).toBe('0');
    expect(await row.getByTestId('history-params').textContent()).toBe('word=world');
    expect(await row.getByTestId('history-duration').textContent()).toMatch(/\d+(\.\d)? (ms|s)$/);
    expect(await row.textContent()).toContain(EMAIL);

    await page.getByTestId('action-run-nap').click();
    const stop = page.getByTestId('action-nap').getByTestId('action-cancel');
    await stop.waitFor({ timeout: 10_000 });
    expect(await stop.textContent()).toBe('Stop run');
    await stop.click();
    await page
      .getByTestId('action-nap')
      .locator('[data-testid="action-status"]:not([data-status="running"]):not([data-status="sent"])')
      .waitFor({ timeout: 10_000 });
    await screenshot(page, 'actions-beside');
  });

  it('works by keyboard: focused fields, Enter submits, focus returns, skip link, focus rings, focused login errors', async () => {
    const page = await open();
    await page.goto(server.url);
    await page.getByTestId('login-form').waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong password');
    await page.keyboard.press('Enter');
    await page.getByTestId('form-error').waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('form-error');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();

    // The first Tab lands on the skip link, which moves focus to the content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    await page.getByTestId('add-host-button').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('add-host-dialog').waitFor();
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe(
      'hostName',
    );
    await page.keyboard.type('alpha');
    await page.getByTestId('duplicate-name-warning').waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('beta');
    expect(await page.getByTestId('duplicate-name-warning').count()).toBe(0);
    await page.keyboard.press('Enter');
    await page.getByTestId('install-command').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('add-host-dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'add-host-button',
    );

    // The range buttons draw a visible focus ring (the segmented group clips overflow).
    await page.getByRole('link', { name: 'alpha' }).click();
    await page.getByTestId('range-1h').waitFor();
    await page.getByTestId('range-1h').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const ring = await page.getByTestId('range-1h').evaluate((el) => {
      const style = getComputedStyle(el);
      return { style: style.outlineStyle, width: style.outlineWidth, offset: style.outlineOffset };
    });
    expect(ring.style).toBe('solid');
    expect(Number.parseFloat(ring.offset)).toBeLessThan(0);
  });

  it('shows a host never enrolled its setup steps, and an enrolled one waiting for its first sample (and its outdated agent)', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'gamma' },
    });
    const gamma = ((await created.json()) as { host: { id: string } }).host.id;
    const gammaRow = page.getByTestId(`host-row-${gamma}`);
    await gammaRow.getByTestId('host-not-enrolled').waitFor();
    expect(await gammaRow.getByTestId('host-status').textContent()).toBe('not enrolled');
    await gammaRow.getByRole('link', { name: 'see the setup steps' }).click();
    await page.getByTestId('host-setup').waitFor();
    expect(await page.getByTestId('tab-metrics').count()).toBe(0);
    await page.getByTestId('host-setup-issue').click();
    expect(await page.getByTestId('enroll-command').textContent()).toMatch(/hostwire-agent enroll --server/);
    await screenshot(page, 'host-setup');

    const delta = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'delta');
    // An agent older than the executables this server hands out is marked in the fleet.
    const raw = await connectRawAgent(server, delta, { agentVersion: '0.0.1' });
    try {
      await page.getByRole('link', { name: 'Fleet', exact: true }).first().click();
      const row = page.getByTestId(`host-row-${delta.hostId}`);
      await row.getByTestId('host-waiting').waitFor({ timeout: 10_000 });
      expect(await row.getByTestId('host-waiting').textContent()).toMatch(/waiting for the first sample/);
      expect(await row.getByTestId('agent-version').textContent()).toBe('agent 0.0.1');
      await row.getByTestId('agent-outdated').waitFor({ timeout: 10_000 });
    } finally {
      await raw.close();
    }
  });

  it('greys live data while the server restarts, announces the reconnect and shows hosts reconnecting, not offline', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    const rowSelector = `[data-testid="host-row-${hostId}"]`;
    await page.locator(`${rowSelector}[data-liveness="live"]`).waitFor({ timeout: 15_000 });
    // Hold the agent so it cannot reconnect at once: the grace period is what the browser shows then.
    agent?.child.kill('SIGSTOP');
    const port = server.port;
    const dataDir = server.dataDir;
    try {
      await server.close();
      await page.getByTestId('banner-reconnecting').waitFor({ timeout: 10_000 });
      await page.locator('main[data-connection="lost"]').waitFor();
      expect(await page.locator(rowSelector).getAttribute('data-liveness')).toBe('unknown');
      await screenshot(page, 'fleet-disconnected');
      server = await startTestServer({ ...ENV, PORT: String(port) }, { dataDir });
      await page.getByTestId('banner-reconnected').waitFor({ timeout: 30_000 });
      await page.locator(`${rowSelector}[data-liveness="reconnecting"]`).waitFor({ timeout: 10_000 });
      expect(await page.locator(rowSelector).getByTestId('host-status').textContent()).toBe('reconnecting');
    } finally {
      agent?.child.kill('SIGCONT');
    }
    await page.locator(`${rowSelector}[data-liveness="live"]`).waitFor({ timeout: 30_000 });
    await page.locator('main[data-connection="open"]').waitFor();
    // While the server was down the browser's reconnect requests were refused, or answered 503 while it
    // was shutting down (upgrades and tickets are refused then, by design): expected in this test only.
    const pageErrors = errors.at(-1) ?? [];
    const expected = /net::ERR_CONNECTION_REFUSED|status of 503|response code: 503/;
    const unexpected = pageErrors.filter((e) => !expected.test(e));
    pageErrors.splice(0, pageErrors.length, ...unexpected);
  });

  it('fits a phone: small host header, actions in a menu, output scrolling sideways', async () => {
    const page = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.goto(`${server.url}/hosts/${hostId}/actions`);
    await page.locator('[data-testid="host-page"][data-liveness="live"]').waitFor({ timeout: 30_000 });
    const head = await page.locator('.host-head').boundingBox();
    expect(head?.height ?? 999).toBeLessThan(844 / 4);
    expect(await page.getByTestId('host-delete').count()).toBe(0);
    await page.getByTestId('host-menu').click();
    await page.getByTestId('host-delete').waitFor();
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('host-delete').count()).toBe(0);

    await page.getByTestId('action-run-wide').click();
    const terminal = page.getByTestId('action-wide').getByTestId('action-output');
    await terminal.filter({ hasText: 'xxxx' }).waitFor({ timeout: 10_000 });
    const scroll = await terminal.evaluate((el) => ({
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
      whiteSpace: getComputedStyle(el).whiteSpace,
    }));
    expect(scroll.whiteSpace).toBe('pre');
    expect(scroll.scrollWidth).toBeGreaterThan(scroll.clientWidth);
    await screenshot(page, 'phone-actions');
  });

  it('explores charts: synced hover tooltips, drag to zoom, range in the URL, round ticks, per-core series', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.goto(`${server.url}/hosts/${hostId}?range=15m`);
    const cpu = page.getByTestId('chart-cpu');
    await cpu.waitFor();
    expect(await page.getByTestId('range-15m').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('range-1h').getAttribute('aria-pressed')).toBe('false');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="chart-cpu"]')?.getAttribute('data-points')) > 2,
      undefined,
      { timeout: 15_000 },
    );

    // Hover near the right edge (newest samples): this chart's tooltip and the memory chart's crosshair.
    const over = cpu.locator('.u-over');
    const box = await over.boundingBox();
    if (!box) throw new Error('no chart area');
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
    const tooltip = cpu.getByTestId('chart-tooltip');
    await tooltip.waitFor();
    expect(await tooltip.textContent()).toMatch(/CPU \d/);
    const memoryTooltip = page.getByTestId('chart-memory').getByTestId('chart-tooltip');
    await memoryTooltip.waitFor();
    expect(await memoryTooltip.textContent()).toMatch(/Memory .*Swap/);

    // Drag to zoom every chart; double-click resets.
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('zoom-state').waitFor();
    await page.mouse.dblclick(box.x + box.width * 0.7, box.y + box.height / 2);
    await page.getByTestId('zoom-state').waitFor({ state: 'detached' });

    // Round ticks on a byte-rate axis.
    const scale = (await page.getByTestId('chart-network').getByTestId('chart-y-ticks').textContent()) ?? '';
    const ticks = scale.replace(/^Scale: /, '').split(', ');
    expect(ticks.length).toBeGreaterThan(1);
    for (const tick of ticks) expect(tick).toMatch(/^\d+ (B|KiB|MiB|GiB)\/s$/);

    // Per-core series from live samples.
    await page.getByTestId('breakdown-cpu').check();
    await cpu.locator('.legend li').filter({ hasText: 'core 0' }).waitFor();

    // The range lives in the URL: a reload keeps it.
    await page.getByTestId('range-6h').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('6h');
    await page.reload();
    await page.getByTestId('chart-cpu').waitFor();
    expect(await page.getByTestId('range-6h').getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'charts');
  });

  it('reads the audit log in names and words, filtered by host, action and time, page by page', async () => {
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'epsilon' },
    });
    const epsilon = ((await created.json()) as { host: { id: string } }).host.id;
    for (let i = 0; i < 55; i++)
      await server.request('POST', `/api/hosts/${epsilon}/rotate-token`, { cookie: owner.cookie });
    const ran = await server.request('POST', `/api/hosts/${hostId}/actions`, {
      cookie: owner.cookie,
      body: { action: 'say', params: { word: 'audit' } },
    });
    expect(ran.status).toBe(201);

    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('audit-table').waitFor();
    const first = page.locator('[data-testid="audit-row"][data-action="host.token_rotated"]').first();
    await expect.poll(() => first.getByTestId('audit-target').textContent()).toBe('epsilon');
    expect(await first.getByTestId('audit-who').textContent()).toBe(EMAIL);
    for (const details of await page.getByTestId('audit-details').allTextContents())
      expect(details).not.toMatch(/[{}]/);

    // Paging: 55 rotations fill more than one page of 50.
    expect(await page.getByTestId('audit-row').count()).toBe(50);
    await page.getByTestId('audit-older').click();
    await expect.poll(() => page.getByTestId('audit-page').textContent()).toBe('Page 2');
    await page.getByTestId('audit-newer').click();
    await expect.poll(() => page.getByTestId('audit-page').textContent()).toBe('Page 1');

    // Filters: one host, one action, a time range that ends before anything happened.
    await page.getByTestId('audit-host').selectOption({ label: 'alpha' });
    await expect
      .poll(async () => new Set(await page.getByTestId('audit-target').allTextContents()))
      .toEqual(new Set(['alpha']));
    await page.getByTestId('audit-action').selectOption('host.enrolled');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    await page.getByTestId('audit-action').selectOption('action.run');
    await expect
      .poll(async () => (await page.getByTestId('audit-details').allTextContents()).join('|'))
      .toMatch(/say \(word=audit\)/);
    await page.getByTestId('audit-to').fill('2001-01-01T00:00');
    await page.getByText('No event matches these filters.').waitFor();
    await screenshot(page, 'audit');
  });

  it('offers only log sources that exist, with empty states, own timestamps, highlights and a remembered source', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.goto(`${server.url}/hosts/${hostId}/logs`);
    const select = page.getByTestId('log-source');
    await select.waitFor();
    expect(await select.locator('option').allTextContents()).toEqual(['app (file)', 'quiet (file)']);
    expect(await page.getByTestId('log-sources-missing').textContent()).toMatch(
      /ghost.*missing\.log does not exist/,
    );

    const errorLine = page.getByTestId('log-line').filter({ hasText: 'disk almost full' });
    await errorLine.waitFor({ timeout: 10_000 });
    expect(await errorLine.getAttribute('data-level')).toBe('error');
    // A backfilled line shows the time written in it, not when the agent read it.
    const expected = await page.evaluate(() =>
      new Date('2026-01-02T03:04:06Z').toLocaleTimeString(undefined, { hour12: false }),
    );
    expect(await errorLine.locator('.log-ts').textContent()).toBe(expected);

    await page.getByTestId('log-filter').fill('almost');
    await page.keyboard.press('Enter');
    await page
      .getByTestId('log-line')
      .locator('mark')
      .filter({ hasText: 'almost' })
      .waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId('log-status').textContent()).toMatch(/^1 line matching/);

    await page.getByText('Regex').click();
    await page.getByTestId('log-filter').fill('(');
    await page.keyboard.press('Enter');
    const message =
      (await page.getByRole('alert').filter({ hasText: 'regular expression' }).textContent()) ?? '';
    expect(message.match(/Invalid regular expression/g)).toHaveLength(1);

    await page.getByTestId('log-filter').fill('');
    await page.keyboard.press('Enter');
    await select.selectOption('quiet');
    await page.getByTestId('log-empty').filter({ hasText: 'No lines yet' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'logs-empty');
    await page.reload();
    await page.getByTestId('log-source').waitFor();
    expect(await page.getByTestId('log-source').inputValue()).toBe('quiet');
  });

  it('keeps dark and light complete on desktop and phone', async () => {
    for (const colorScheme of ['dark', 'light'] as const) {
      for (const [device, viewport] of [
        ['desktop', { width: 1280, height: 800 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        const page = await open({ colorScheme, viewport });
        await signIn(page, server.url, EMAIL, PASSWORD);
        await page
          .locator(`[data-testid="host-row-${hostId}"][data-liveness="live"]`)
          .waitFor({ timeout: 30_000 });
        await screenshot(page, `fleet-${colorScheme}-${device}`);
        await page.getByRole('link', { name: 'alpha' }).click();
        await page.getByTestId('chart-cpu').waitFor();
        await screenshot(page, `host-${colorScheme}-${device}`);
        const background = await page.evaluate(
          () => getComputedStyle(document.documentElement).backgroundColor,
        );
        expect(background).toBe(colorScheme === 'dark' ? 'rgb(15, 18, 22)' : 'rgb(245, 246, 248)');
      }
    }
  });
});
