#!/usr/bin/env node
/**
 * @module bench/run — the benchmark suite (`npm run bench`): fanout, connect-storm, slow-consumer and
 * agent-footprint, each against Hostwire and the bare ws relay, printed as tables plus a summary; the
 * fleet's Prometheus endpoint; and alert-rules, Hostwire's ingest with 0 and then 100 alert rules side by side.
 *   node bench/run.mjs [--quick] [--scenario fanout|connect-storm|slow-consumer|agent-footprint|prometheus|alert-rules] [--json FILE]
 * Exit 0 once the runs completed (the figures are measurements, not pass/fail); 1 when a run failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runConnectStorm, runFanout, runSlowConsumer } from './gateway.mjs';
import { prometheusEnv, renderPrometheus, runPrometheusScrape } from './prometheus.mjs';
import { renderAlertRules, runAlertRules } from './lib/alert-rules.mjs';
import { openFilesLimit } from './lib/process.mjs';
import { renderFanout, renderSlow, renderStorm, renderSummary } from './lib/report.mjs';
import { runWithTarget } from './lib/scope.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = [
  'fanout',
  'connect-storm',
  'slow-consumer',
  'agent-footprint',
  'prometheus',
  'alert-rules',
];
/** Time allowed per run on top of its measurement windows (start, provisioning, connects, teardown). */
const SETUP_ALLOWANCE_MS = 60_000;

const PROFILES = {
  full: {
    fanout: [
      { name: 'fanout 1/s', agents: 50, rate: 1, clients: 200, subs: 5 },
      { name: 'fanout 10/s (live)', agents: 50, rate: 10, clients: 200, subs: 5 },
    ],
    fanoutWindowMs: 10_000,
    fanoutWarmupMs: 2000,
    graceMs: 2000,
    stormAgents: 1000,
    slow: { windowMs: 10_000, warmupMs: 2000, graceMs: 2000, observeCloseMs: 36_000 },
    footprintArgs: ['--slow', '8', '--fast', '8', '--warmup', '3', '--collects', '50'],
    prometheus: { hosts: 10_000, scrapes: 5 },
    alertRules: { hosts: 1000, rules: 100, rate: 1, windowMs: 8000, warmupMs: 3000, limitSamples: 20 },
  },
  quick: {
    fanout: [{ name: 'fanout 10/s (live)', agents: 20, rate: 10, clients: 50, subs: 5 }],
    fanoutWindowMs: 3000,
    fanoutWarmupMs: 1000,
    graceMs: 1000,
    stormAgents: 200,
    slow: { windowMs: 3000, warmupMs: 1000, graceMs: 1000, observeCloseMs: 0 },
    footprintArgs: ['--slow', '2', '--fast', '2', '--warmup', '2', '--collects', '10'],
    prometheus: { hosts: 1000, scrapes: 3 },
    alertRules: { hosts: 200, rules: 100, rate: 1, windowMs: 3000, warmupMs: 1000, limitSamples: 5 },
  },
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write('usage: node bench/run.mjs [--quick] [--scenario <name>]... [--json FILE]\n');
  process.stdout.write(`scenarios: ${SCENARIOS.join(', ')}\n`);
  process.exit(0);
}
const chosen = values.scenario ?? SCENARIOS;
for (const name of chosen) {
  if (!SCENARIOS.includes(name)) {
    process.stderr.write(`unknown scenario "${name}"; one of ${SCENARIOS.join(', ')}\n`);
    process.exit(2);
  }
}
const profile = values.quick ? PROFILES.quick : PROFILES.full;
const errors = [];
/** Wall time of each run of the current scenario, printed under its table. */
let timings = [];
const results = {
  fanout: new Map(),
  storm: undefined,
  slow: undefined,
  footprint: undefined,
  prometheus: undefined,
  alertRules: undefined,
};

const print = (text = '') => process.stdout.write(`${text}\n`);

/** Runs one measurement against one target; a failure is recorded and printed, never thrown. */
async function attempt(label, kind, timeoutMs, fn, env) {
  const t0 = performance.now();
  try {
    const result = await runWithTarget(kind, timeoutMs, fn, env);
    timings.push(`${kind} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    errors.push(`${label} on ${kind}: ${error.message}`);
    print(`!! ${label} on ${kind} failed: ${error.message}`);
    return undefined;
  }
}

async function fanout() {
  for (const spec of profile.fanout) {
    const options = {
      ...spec,
      windowMs: profile.fanoutWindowMs,
      warmupMs: profile.fanoutWarmupMs,
      graceMs: profile.graceMs,
    };
    const timeout = options.windowMs + options.warmupMs + options.graceMs + SETUP_ALLOWANCE_MS;
    const hw = await attempt(spec.name, 'hostwire', timeout, (t, s) => runFanout(t, s, options));
    const bare = await attempt(spec.name, 'bare', timeout, (t, s) => runFanout(t, s, options));
    results.fanout.set(spec.name, { hw, bare });
    const title = `${spec.name}: ${spec.agents} agents x ${spec.rate} sample/s, ${spec.clients} clients x ${spec.subs} hosts, ${options.windowMs / 1000} s window`;
    report(renderFanout(title, hw, bare));
  }
}

async function connectStorm() {
  // Each process (bench and server) holds one fd per agent socket, plus files, pipes and HTTP.
  const limit = openFilesLimit();
  const agents = Math.min(profile.stormAgents, limit - 256);
  if (agents < profile.stormAgents)
    print(`(connect-storm scaled down to ${agents} agents: open files limit ${limit})`);
  const hw = await attempt('connect-storm', 'hostwire', 90_000, (t, s) => runConnectStorm(t, s, { agents }));
  const bare = await attempt('connect-storm', 'bare', 90_000, (t, s) => runConnectStorm(t, s, { agents }));
  results.storm = { hw, bare };
  report(
    renderStorm(`connect-storm: ${agents} agents connecting at once (tokens checked by Hostwire)`, hw, bare),
  );
}

async function slowConsumer() {
  const o = profile.slow;
  const timeout = Math.max(o.windowMs + o.graceMs, o.observeCloseMs) + o.warmupMs + SETUP_ALLOWANCE_MS;
  const hw = await attempt('slow-consumer', 'hostwire', timeout, (t, s) => runSlowConsumer(t, s, o));
  const bare = await attempt('slow-consumer', 'bare', timeout, (t, s) =>
    runSlowConsumer(t, s, { ...o, observeCloseMs: 0 }),
  );
  results.slow = { hw, bare };
  report(
    renderSlow(
      `slow-consumer: 1 agent flooding ~7 KB samples, 1 healthy + 1 paused client, ${o.windowMs / 1000} s window`,
      hw,
      bare,
    ),
  );
}

/** The fleet's Prometheus endpoint with every host's newest sample in memory (Hostwire only: no peer has one). */
async function prometheusScrape() {
  const env = prometheusEnv();
  const options = { ...profile.prometheus, env };
  // Connecting the agents dominates; on 2 cores 10,000 take well under a minute.
  const timeout = 150_000;
  results.prometheus = await attempt(
    'prometheus',
    'hostwire',
    timeout,
    (t, s) => runPrometheusScrape(t, s, options),
    env,
  );
  report(
    renderPrometheus(
      `prometheus: GET /api/orgs/:orgId/prometheus with a bearer token, ${options.hosts} hosts`,
      results.prometheus,
    ),
  );
}

/**
 * Runs bench/alert-eval.mjs (the evaluation alone, in-process: µs per sample, or with `--limits` the
 * contract's limits) and prints what it says.
 */
function alertEval(o, extra = [], timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(HERE, 'alert-eval.mjs'), '--hosts', String(o.hosts), '--rules', String(o.rules), ...extra],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const timer = setTimeout(() => {
      errors.push(`alert-eval ${extra.join(' ')}: exceeded ${timeoutMs / 1000} s`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) errors.push(`alert-eval exited with ${code ?? signal}`);
      print();
      resolve();
    });
  });
}

async function alertRules() {
  const o = profile.alertRules;
  const limit = openFilesLimit();
  const hosts = Math.min(o.hosts, limit - 256);
  const timeout = 4 * (o.windowMs + 2 * o.warmupMs) + 60_000;
  const r = await attempt('alert-rules', 'hostwire', timeout, (t, s) => runAlertRules(t, s, { ...o, hosts }));
  results.alertRules = r;
  report(
    renderAlertRules(
      `alert-rules: ${hosts} agents x ${o.rate} sample/s, 0 and ${o.rules} rules on every host, interleaved, 2 x ${o.windowMs / 1000} s windows each`,
      r,
    ),
  );
  print('alert-eval: the rules alone, in-process (domain.alerts.samples as ingest calls it):');
  await alertEval(o);
  await alertEval(o, ['--limits', '--samples', String(o.limitSamples)], 180_000);
}

/** Prints a scenario's table and the wall time its runs took. */
function report(text) {
  print(text);
  print(`(runs took: ${timings.join(', ')})\n`);
  timings = [];
}

function agentFootprint() {
  const script = path.join(HERE, 'agent-footprint.mjs');
  print('== agent-footprint ==');
  if (!existsSync(script)) {
    print('(skipped: bench/agent-footprint.mjs is not there)\n');
    return Promise.resolve();
  }
  if (!existsSync(path.join(HERE, '../apps/agent/dist/bin.js'))) {
    print(
      '(skipped: the agent is not built; run `npm run build -w @hostwire/protocol -w @hostwire/agent`)\n',
    );
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...profile.footprintArgs], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => {
      errors.push('agent-footprint: exceeded 120 s');
      child.kill('SIGKILL');
    }, 120_000);
    const onSignal = () => child.kill('SIGKILL');
    process.once('exit', onSignal);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onSignal);
      if (code !== 0) errors.push(`agent-footprint exited with ${code ?? signal}`);
      results.footprint = { code, signal };
      print();
      resolve();
    });
  });
}

const load = loadavg();
const cores = availableParallelism();
print(
  `Hostwire bench (${values.quick ? 'quick' : 'full'}): node ${process.version}, ${cores} cores, load average ${load.map((l) => l.toFixed(2)).join(' ')}, open files limit ${openFilesLimit()}`,
);
if (load[0] > cores * 0.75)
  print(
    `!! the machine is already busy (load ${load[0].toFixed(1)} on ${cores} cores): figures will be noisy; "machine CPU %" rows show the contention`,
  );
print();
const started = performance.now();
if (chosen.includes('fanout')) await fanout();
if (chosen.includes('connect-storm')) await connectStorm();
if (chosen.includes('slow-consumer')) await slowConsumer();
if (chosen.includes('agent-footprint')) await agentFootprint();
if (chosen.includes('prometheus')) await prometheusScrape();
if (chosen.includes('alert-rules')) await alertRules();
const ownTables = new Set(['agent-footprint', 'prometheus', 'alert-rules']);
if (chosen.some((s) => !ownTables.has(s))) print(renderSummary(results));
print(
  `\ncompleted in ${((performance.now() - started) / 1000).toFixed(0)} s${errors.length ? ` with ${errors.length} error(s):\n  ${errors.join('\n  ')}` : ''}`,
);
if (values.json) {
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        profile: values.quick ? 'quick' : 'full',
        load,
        results: { ...results, fanout: Object.fromEntries(results.fanout) },
        errors,
      },
      null,
      2,
    ),
  );
}
process.exit(errors.length ? 1 : 0);
