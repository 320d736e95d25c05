#!/usr/bin/env node
/**
 * @module bench/alert-eval — the cost of evaluating alert rules alone, without sockets or storage: the real
 * domain (apps/api/dist) with `--rules` rules on every host, timed over `--hosts` hosts × `--samples`
 * samples handed to `domain.alerts.samples()` exactly as metrics ingest does. Prints µs per sample.
 * `--limits` times instead 500 container rules against 256 containers per sample (lib/alert-limits.mjs):
 * ms per sample and the longest event-loop block; `--budget-ms` bounds each of its phases.
 *   node bench/alert-eval.mjs [--hosts 1000] [--rules 100] [--samples 20]
 *   node bench/alert-eval.mjs --limits [--samples 20] [--budget-ms 10000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderAlertLimits, runAlertLimits } from './lib/alert-limits.mjs';
import { ruleCondition } from './lib/alert-rules.mjs';
import { makeSample } from './lib/peers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => pathToFileURL(path.join(ROOT, 'apps/api/dist', file)).href;
const { startServer } = await import(dist('app-server.js'));
const { loadConfig } = await import(dist('config.js'));
const { createLogger } = await import(dist('logger.js'));

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    rules: { type: 'string', default: '100' },
    samples: { type: 'string', default: '20' },
    limits: { type: 'boolean', default: false },
    'budget-ms': { type: 'string', default: '10000' },
  },
});
const hosts = Number(values.hosts);
const rules = Number(values.rules);
const perHost = Number(values.samples);

const dataDir = mkdtempSync(path.join(tmpdir(), 'hostwire-alert-eval-'));
const running = await startServer(
  loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
  { logger: createLogger('silent') },
);
try {
  const url = running.url;
  const origin = { origin: `http://localhost:${running.port}` };
  running.ctx.config.allowedOrigins.add(origin.origin);
  const res = await fetch(`${url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...origin },
    body: JSON.stringify({
      email: 'bench@example.com',
      password: 'bench password 123',
      organizationName: 'Bench',
      setupCode: readFileSync(path.join(dataDir, 'setup-code'), 'utf8').trim(),
    }),
  });
  const me = await res.json();
  const userId = me.user.id;
  const organizationId = me.organizations[0].id;
  const actor = { userId, ip: null };
  const { alerts } = running.ctx.domain;
  if (values.limits) {
    const r = await runAlertLimits({
      alerts,
      actor,
      organizationId,
      makeSample: (seq, ts, containers) => ({ ...makeSample(seq, ts), containers }),
      samples: perHost,
      budgetMs: Number(values['budget-ms']),
    });
    process.stdout.write(`${renderAlertLimits(r)}\n`);
  } else await timeRules();

  async function timeRules() {
    const hostIds = Array.from({ length: hosts }, (_, i) => `bench-host-${i}`);

    async function time(label) {
      // Every host's first sample loads its open alerts (one query, then cached): not timed.
      for (const hostId of hostIds)
        alerts.samples(hostId, organizationId, [makeSample(1, Date.now() - 60_000)]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const batches = hostIds.map((_, i) =>
        Array.from({ length: perHost }, (__, k) => [makeSample(k + 2, Date.now() - 50_000 + k * 1000 + i)]),
      );
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < perHost; k += 1)
        for (let i = 0; i < hosts; i += 1) alerts.samples(hostIds[i], organizationId, batches[i][k]);
      const ns = Number(process.hrtime.bigint() - t0);
      const us = ns / 1000 / (hosts * perHost);
      process.stdout.write(
        `${label.padEnd(10)} ${us.toFixed(2)} µs per sample (${hosts} hosts x ${perHost} samples)\n`,
      );
      return us;
    }

    const without = await time('0 rules');
    for (let i = 0; i < rules; i += 1) {
      await alerts.createRule(actor, organizationId, {
        name: `r${i}`,
        condition: ruleCondition(i),
        forSeconds: 60,
        channelIds: [],
        severity: 'warning',
      });
    }
    const withRules = await time(`${rules} rules`);
    process.stdout.write(`evaluation adds ${(withRules - without).toFixed(2)} µs per sample\n`);
  }
} finally {
  await running.close();
  rmSync(dataDir, { recursive: true, force: true });
}
