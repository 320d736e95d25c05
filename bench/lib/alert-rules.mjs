/**
 * @module bench/lib/alert-rules — what evaluating alert rules costs ingest: one Hostwire, `hosts` agents each
 * sending `rate` samples/s, measured in windows with 0 rules and with `rules` rules (metric rules on every
 * series and operator, plus host_offline and container rules) on every host, interleaved 0, rules, 0, rules.
 * Same process, same fleet: the difference is the rules.
 */
import { METRIC_SERIES } from '@hostwire/protocol';
import { connectAgents, sendMetrics } from './fleet.mjs';
import { cpuMeter, sleep } from './process.mjs';

const OPS = ['>', '>=', '<', '<='];

/** Rule i of the bench: mostly metric rules (thresholds a bench sample never crosses), some others. */
export function ruleCondition(i) {
  if (i % 20 === 19) return { kind: 'host_offline' };
  if (i % 20 === 18) return { kind: 'container_down', container: `svc-${i}-*` };
  const op = OPS[i % OPS.length];
  return {
    kind: 'metric',
    series: METRIC_SERIES[i % METRIC_SERIES.length],
    op,
    threshold: op.startsWith('>') ? 1e15 : -1,
  };
}

async function measure(target, fleet, counting, windowMs) {
  const meter = cpuMeter(target.pid);
  meter.start();
  const t0 = performance.now();
  counting.acked = 0;
  counting.sent = 0;
  counting.on = true;
  await sleep(windowMs);
  counting.on = false;
  const seconds = (performance.now() - t0) / 1000;
  const server = meter.stop();
  const cpuMsPerSecond = (server.cpuPercent / 100) * 1000;
  return {
    sentPerSecond: counting.sent / seconds,
    ackedPerSecond: counting.acked / seconds,
    serverCpuPercent: server.cpuPercent,
    // CPU the server spends per 1000 samples (ingest, storage, fan-out, and rules in the second run).
    cpuMsPer1000Samples: counting.acked > 0 ? (cpuMsPerSecond / (counting.acked / seconds)) * 1000 : NaN,
    serverRssBytes: server.rssBytes,
    machineCpuPercent: server.machineCpuPercent,
  };
}

/** Averages the figures of several windows. */
function mean(runs) {
  const out = {};
  for (const key of Object.keys(runs[0])) out[key] = runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
  return out;
}

export async function runAlertRules(target, scope, { hosts: hostCount, rules, rate, windowMs, warmupMs }) {
  const hosts = await target.provisionHosts(hostCount, 16);
  const counting = { on: false, acked: 0, sent: 0 };
  const fleet = await connectAgents(target, scope, hosts, {
    onAck: (seqs) => {
      if (counting.on) counting.acked += seqs;
    },
  });
  const stop = sendMetrics(scope, fleet, rate, () => {
    if (counting.on) counting.sent += 1;
  });
  await sleep(warmupMs);
  // Interleaved (0, rules, 0, rules) so that the store growing over the run weighs on both sides alike.
  const without = [];
  const withRules = [];
  for (let round = 0; round < 2; round += 1) {
    without.push(await measure(target, fleet, counting, windowMs));
    const ids = await target.createAlertRules(rules, ruleCondition);
    // Warm-up again: each host loads its open alerts once, on its first sample after the rules arrive.
    await sleep(warmupMs);
    withRules.push(await measure(target, fleet, counting, windowMs));
    if (round === 0) {
      await target.deleteAlertRules(ids);
      await sleep(warmupMs);
    }
  }
  stop();
  return {
    hosts: fleet.agents.length,
    agentFailures: fleet.failures,
    rules,
    rate,
    windowMs,
    without: mean(without),
    withRules: mean(withRules),
    windows: { without, withRules },
  };
}

/** The table of the scenario. */
export function renderAlertRules(title, r) {
  if (!r) return `${title}\n  (no result)`;
  const row = (label, f) =>
    `  ${label.padEnd(28)} ${f(r.without).padStart(12)} ${f(r.withRules).padStart(12)}`;
  const pct = (a, b) => (((b - a) / a) * 100).toFixed(1);
  return [
    title,
    `  ${''.padEnd(28)} ${'0 rules'.padStart(12)} ${`${r.rules} rules`.padStart(12)}`,
    row('samples sent /s', (m) => m.sentPerSecond.toFixed(0)),
    row('samples acked /s', (m) => m.ackedPerSecond.toFixed(0)),
    row('server CPU %', (m) => m.serverCpuPercent.toFixed(1)),
    row('server CPU ms / 1000 samples', (m) => m.cpuMsPer1000Samples.toFixed(1)),
    row('server RSS MiB', (m) => (m.serverRssBytes / 1048576).toFixed(0)),
    row('machine CPU %', (m) => m.machineCpuPercent.toFixed(0)),
    `  per window (CPU ms / 1000 samples): 0 rules ${r.windows.without.map((m) => m.cpuMsPer1000Samples.toFixed(0)).join(', ')}; ${r.rules} rules ${r.windows.withRules.map((m) => m.cpuMsPer1000Samples.toFixed(0)).join(', ')}`,
    `  change with rules: acked/s ${pct(r.without.ackedPerSecond, r.withRules.ackedPerSecond)} %, CPU per sample ${pct(r.without.cpuMsPer1000Samples, r.withRules.cpuMsPer1000Samples)} %`,
  ].join('\n');
}
