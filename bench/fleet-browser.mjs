#!/usr/bin/env node
/**
 * @module bench/fleet-browser — a 1000-host fleet page in Debian's Chromium: how long the first render
 * takes, and how the page keeps up while every host sends a sample each second (1000 summaries/s):
 * frame rate, long tasks, fleet-table DOM commits per second, JS heap.
 *   node bench/fleet-browser.mjs [--hosts 1000] [--seconds 10]
 * Needs `npm run build` (API, agent-free) and /usr/bin/chromium. Prints figures; no pass/fail.
 */
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { closeAll, helloFrame, makeSample, openPeer } from './lib/peers.mjs';
import { mapLimit, startHostwire } from './lib/targets.mjs';

const { values } = parseArgs({
  options: { hosts: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' } },
});
const HOSTS = Number(values.hosts);
const SECONDS = Number(values.seconds);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const print = (text = '') => process.stdout.write(`${text}\n`);

const target = await startHostwire({ METRICS_SLOW_INTERVAL_MS: '1000' });
const sockets = [];
let browser;
try {
  print(`provisioning ${HOSTS} hosts…`);
  const hosts = await target.provisionHosts(HOSTS, 16);
  const agents = await mapLimit(hosts, 64, async (host, i) => {
    const { url, headers } = target.agentEndpoint(host);
    const opened = await openPeer(url, { headers });
    if (!opened.ok) throw new Error(`agent ${i} could not connect: ${opened.error ?? opened.status}`);
    sockets.push(opened.ws);
    opened.ws.send(helloFrame(`bench-${i}`));
    return { ws: opened.ws, seq: 0 };
  });
  const send = (agent) => {
    agent.seq += 1;
    agent.ws.send(JSON.stringify({ type: 'metrics', samples: [makeSample(agent.seq, Date.now())] }));
  };
  // Every host sends one sample per second, spread over the second, from now until the end.
  const timers = agents.map((agent, i) =>
    setTimeout(
      () => {
        send(agent);
        timers.push(setInterval(() => send(agent), 1000));
      },
      Math.floor((i / agents.length) * 1000),
    ),
  );

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(target.httpUrl);
  await page.getByTestId('login-form').waitFor();
  await page.getByLabel('Email').fill('bench@example.com');
  await page.getByLabel('Password').fill('bench password 123');
  const t0 = Date.now();
  await page.getByTestId('login-form').getByRole('button').click();
  // Big fleets render only the rows near the viewport: wait for the table to list every host.
  await page.waitForFunction(
    (n) =>
      document.querySelector('[data-testid="fleet-table"]')?.getAttribute('aria-rowcount') ===
        String(n + 1) &&
      document.querySelectorAll('[data-testid^="host-row-"][data-liveness="live"]').length > 0,
    HOSTS,
    { timeout: 120_000, polling: 50 },
  );
  const firstRenderMs = Date.now() - t0;

  const figures = await page.evaluate(async (seconds) => {
    const tbody = document.querySelector('[data-testid="fleet-table"] tbody');
    let commits = 0;
    let lastFrame = -1;
    let frame = 0;
    const observer = new MutationObserver(() => {
      // Mutations in one animation frame are one commit.
      if (lastFrame !== frame) commits += 1;
      lastFrame = frame;
    });
    if (tbody)
      observer.observe(tbody, { subtree: true, childList: true, characterData: true, attributes: true });
    const longTasks = [];
    const perf = new PerformanceObserver((list) =>
      longTasks.push(...list.getEntries().map((e) => e.duration)),
    );
    perf.observe({ type: 'longtask', buffered: false });
    const start = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        frame += 1;
        if (performance.now() - start >= seconds * 1000) resolve(undefined);
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    observer.disconnect();
    perf.disconnect();
    const elapsed = (performance.now() - start) / 1000;
    const memory = /** @type {{ usedJSHeapSize?: number }} */ (performance).memory;
    return {
      fps: frame / elapsed,
      commitsPerSecond: commits / elapsed,
      longTasks: longTasks.length,
      longTaskMs: longTasks.reduce((a, b) => a + b, 0),
      heapMiB: memory?.usedJSHeapSize ? memory.usedJSHeapSize / 1024 / 1024 : null,
    };
  }, SECONDS);
  for (const timer of timers) clearInterval(timer);

  print();
  print(`fleet page, ${HOSTS} hosts (Chromium ${browser.version()}, headless)`);
  print(`  login → table of ${HOSTS} hosts shown  ${firstRenderMs} ms`);
  print(`  while ${HOSTS} summaries/s arrive for ${SECONDS} s:`);
  print(`    frames per second              ${figures.fps.toFixed(1)}`);
  print(`    table commits per second       ${figures.commitsPerSecond.toFixed(1)} (at most one per frame)`);
  print(
    `    long tasks (>50 ms)            ${figures.longTasks} (${figures.longTaskMs.toFixed(0)} ms in all)`,
  );
  print(
    `    JS heap                        ${figures.heapMiB === null ? 'n/a' : `${figures.heapMiB.toFixed(1)} MiB`}`,
  );
} finally {
  await browser?.close();
  await closeAll(sockets);
  await target.stop();
}
