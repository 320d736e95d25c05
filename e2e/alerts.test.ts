// Alerts in Debian's Chromium against the real server: an admin adds a signed webhook channel (send test),
// writes a rule with validation, watches it fire live on the Alerts page, the fleet row and the host header,
// follows the chart link, sees it resolve and reads the delivery log; a viewer sees rules read-only.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, makeSample, type RawPeer } from '../apps/api/src/test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../apps/api/src/test-support/webhook-receiver.js';
import { launchBrowser, newPage, screenshot, signIn, skipWithoutChromium } from './support/browser.js';

const skip = skipWithoutChromium();
const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';
// An anonymous visit asks /api/auth/me first: the browser logs that 401.
const EXPECTED_CONSOLE = /status of 401/;

describe.skipIf(skip)('alerts in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let agent: RawPeer<{ type: string }>;
  let owner: { cookie: string; organizationId: string };
  let hostId = '';
  let seq = 0;
  const contexts: BrowserContext[] = [];
  const errors: string[][] = [];

  const sendCpu = (total: number) => {
    seq += 1;
    agent.send({
      type: 'metrics',
      samples: [makeSample(seq, Date.now(), { cpu: { total, cores: [total] } })],
    });
  };

  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const opened = await newPage(context);
    errors.push(opened.errors);
    return opened.page;
  }

  beforeAll(async () => {
    // The receiver listens on 127.0.0.1, which the outbound guard refuses unless OUTBOUND_ALLOW opens it.
    server = await startTestServer({
      LOG_LEVEL: 'warn',
      ALERT_RETRY_BASE_MS: '200',
      OUTBOUND_ALLOW: '127.0.0.1/32',
    });
    owner = await server.setup(EMAIL, PASSWORD);
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'alpha');
    hostId = host.hostId;
    agent = await connectRawAgent(server, host);
    sendCpu(10);
    receiver = await startWebhookReceiver();
    browser = await launchBrowser();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(
      errors
        .splice(0)
        .flat()
        .filter((e) => !EXPECTED_CONSOLE.test(e)),
    ).toEqual([]);
  });

  afterAll(async () => {
    await agent?.close();
    await browser?.close();
    await receiver?.close();
    await server?.cleanup();
  });

  it('creates a channel and a rule, fires live everywhere, links the chart, resolves, logs deliveries', async () => {
    const page = await open();
    await signIn(page, server.url, EMAIL, PASSWORD);
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('no-firing').waitFor();

    // A signed webhook channel: the key is shown once, a test goes out and is reported.
    await page.getByTestId('alerts-tab-channels').click();
    await page.getByTestId('new-channel').click();
    await page.getByTestId('channel-name').fill('ops hook');
    await page.getByTestId('channel-url').fill('ftp://nope');
    await page.getByTestId('channel-save').click();
    await page.getByTestId('channel-url-error').waitFor();
    await page.getByTestId('channel-url').fill(`${receiver.url}/hook`);
    await page.getByTestId('channel-save').click();
    const secret = page.getByTestId('channel-secret');
    await secret.waitFor();
    receiver.secret = ((await secret.locator('code').textContent()) ?? '').trim();
    expect(receiver.secret).toMatch(/^whsec_/);
    const row = page.getByTestId('channel-row-ops hook');
    await row.getByTestId('channel-test').click();
    await row.getByTestId('channel-test-result').filter({ hasText: 'test delivered (200)' }).waitFor();
    expect(receiver.received[0]?.verified).toBe(true);
    expect(receiver.received[0]?.json.type).toBe('test');

    // A rule, validated before it is sent.
    await page.getByTestId('alerts-tab-rules').click();
    await page.getByTestId('new-rule').click();
    await page.getByTestId('rule-threshold').fill('lots');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-error-name').waitFor();
    await page.getByTestId('rule-error-threshold').waitFor();
    await page.getByTestId('rule-name').fill('High CPU');
    await page.getByTestId('rule-threshold').fill('90');
    await page.getByTestId('rule-for').fill('0');
    await page.getByTestId('rule-channel-ops hook').check();
    await screenshot(page, 'alerts-rule-editor');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-row-High CPU').filter({ hasText: 'cpu > 90 %' }).waitFor();

    // It fires: the Alerts page, the header count, the fleet row and the host header, without a reload.
    await page.getByTestId('alerts-tab-alerts').click();
    sendCpu(97);
    await page.getByTestId('firing-alerts').filter({ hasText: 'High CPU' }).waitFor();
    expect(await page.getByTestId('nav-firing-count').textContent()).toBe('1');
    await screenshot(page, 'alerts-firing');
    await page.getByRole('link', { name: 'Fleet', exact: true }).click();
    await page
      .getByTestId(`host-row-${hostId}`)
      .getByTestId('host-firing-alerts')
      .filter({ hasText: '1 alert' })
      .waitFor();
    await page.getByRole('link', { name: 'alpha' }).click();
    await page.getByTestId('host-alerts').filter({ hasText: 'High CPU firing' }).waitFor();

    // The chart link opens the host's charts around that moment.
    await page.getByTestId('nav-alerts').click();
    await page.getByTestId('alert-chart-link').first().click();
    await page.getByTestId('metrics-at').waitFor();
    expect(page.url()).toContain(`/hosts/${hostId}?at=`);

    // It resolves, live.
    await page.getByTestId('nav-alerts').click();
    sendCpu(5);
    await page.getByTestId('resolved-alerts').filter({ hasText: 'High CPU' }).waitFor();
    await page.getByTestId('no-firing').waitFor();
    await expect
      .poll(() => receiver.received.map((h) => h.json.type))
      .toEqual(['test', 'alert.firing', 'alert.resolved']);
    expect(receiver.received.every((h) => h.verified)).toBe(true);

    // The delivery log.
    await page.getByTestId('alerts-tab-channels').click();
    await page.getByTestId('channel-row-ops hook').getByTestId('channel-log').click();
    const log = page.getByTestId('deliveries-table');
    await log.waitFor();
    await expect.poll(() => log.locator('tbody tr').count()).toBe(3);
    expect(await log.textContent()).toContain('alert.resolved');
    await screenshot(page, 'alerts-deliveries');
  });

  it('shows a viewer the rules read-only and no channel controls', async () => {
    await server.addMember(
      owner.cookie,
      owner.organizationId,
      'viewer@example.com',
      'viewer',
      'viewer password 1',
    );
    const page = await open();
    await signIn(page, server.url, 'viewer@example.com', 'viewer password 1');
    await page.goto(`${server.url}/alerts/rules`);
    await page.getByTestId('rules-read-only').waitFor();
    await page.getByTestId('rule-row-High CPU').waitFor();
    expect(await page.getByTestId('new-rule').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.getByTestId('alerts-tab-channels').click();
    await page.getByTestId('channel-row-ops hook').waitFor();
    expect(await page.getByTestId('channel-test').count()).toBe(0);
  });
});
