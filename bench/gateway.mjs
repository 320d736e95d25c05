#!/usr/bin/env node
/**
 * @module bench/gateway — the load generator: raw agents streaming samples at a fixed rate, raw clients
 * following host topics, measured over a fixed window against Hostwire or the bare ws relay.
 * CLI: node bench/gateway.mjs [fanout|connect-storm|slow-consumer] --target hostwire|bare [--agents N]
 *      [--rate R] [--clients C] [--subs S] [--window SECONDS] [--observe SECONDS] [--control]
 *      [--containers N]  (every sample carries N containers: the ingest cost of container metrics)
 *      → prints the result as JSON. `--control` runs slow-consumer without the paused client.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectClients, connectAgents, sendMetrics } from './lib/fleet.mjs';
import { setSampleContainers } from './lib/peers.mjs';
import { cpuMeter, sleep } from './lib/process.mjs';
import { runWithTarget } from './lib/scope.mjs';
import { runConnectStorm } from './lib/storm.mjs';
import { runSlowConsumer } from './lib/slow-consumer.mjs';
import { Latencies } from './lib/stats.mjs';

export { runConnectStorm, runSlowConsumer };

/** After the window, how long samples sent in it may still arrive and count as delivered (default). */
const GRACE_MS = 2000;

/**
 * Fan-out: `agents` agents each send one sample every 1/`rate` s; `clients` clients each follow `subs`
 * hosts (spread evenly). After `warmupMs`, counts over `windowMs`: samples sent, acks, metrics frames
 * received (throughput), the share of the expected deliveries of the window's samples that arrived by
 * the end of the grace, end-to-end latency (client receive − send time of that host/seq), server CPU
 * and RSS, the machine's CPU, and the load generator's own CPU and event-loop lag.
 */
export async function runFanout(
  target,
  scope,
  { agents, rate, clients, subs, windowMs = 10_000, warmupMs = 2000, graceMs = GRACE_MS },
) {
  const hosts = await target.provisionHosts(agents);
  const counting = { on: false, acked: 0, received: 0, inWindow: 0, sent: 0, expected: 0 };
  const latencies = new Latencies();
  const fleet = await connectAgents(target, scope, hosts, {
    onAck: (seqs) => {
      if (counting.on) counting.acked += seqs;
    },
  });
  const byHost = new Array(hosts.length);
  for (const agent of fleet.agents) byHost[agent.hostIndex] = agent;
  const followers = new Array(hosts.length).fill(0);
  const topicsFor = (i) => {
    const topics = [];
    for (let k = 0; k < Math.min(subs, hosts.length); k += 1) {
      const h = (i * subs + k) % hosts.length;
      followers[h] += 1;
      topics.push(`host:${hosts[h].hostId}`);
    }
    return topics;
  };
  const viewers = await connectClients(target, scope, clients, topicsFor, {
    hostIndex: new Map(hosts.map((h, i) => [h.hostId, i])),
    onMetrics: (hostIndex, seq, receivedAt) => {
      const agent = byHost[hostIndex];
      if (!agent) return;
      if (seq >= agent.windowFrom && seq <= agent.windowTo) counting.inWindow += 1;
      if (!counting.on) return;
      counting.received += 1;
      const sentAt = agent.sentAt.get(seq);
      if (sentAt !== undefined) latencies.push(receivedAt - sentAt);
    },
  });
  for (const agent of fleet.agents) {
    agent.windowFrom = Infinity;
    agent.windowTo = Infinity;
  }

  const stopSending = sendMetrics(scope, fleet, rate, (hostIndex) => {
    if (!counting.on) return;
    counting.sent += 1;
    counting.expected += followers[hostIndex];
  });
  await sleep(warmupMs);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const meter = cpuMeter(target.pid);
  const benchCpu0 = process.cpuUsage();
  lag.enable();
  meter.start();
  const t0 = performance.now();
  for (const agent of fleet.agents) agent.windowFrom = agent.seq + 1;
  counting.on = true;
  await sleep(windowMs);
  counting.on = false;
  for (const agent of fleet.agents) agent.windowTo = agent.seq;
  const seconds = (performance.now() - t0) / 1000;
  const server = meter.stop();
  lag.disable();
  const benchCpu = process.cpuUsage(benchCpu0);
  stopSending();
  // Samples sent in the window still in flight count as delivered if they arrive within the grace.
  await sleep(graceMs);

  return {
    target: target.kind,
    agents: fleet.agents.length,
    agentFailures: fleet.failures,
    clients: viewers.connected,
    clientFailures: viewers.failures,
    subs,
    rate,
    windowSeconds: seconds,
    sentPerSecond: counting.sent / seconds,
    ackedPerSecond: counting.acked / seconds,
    receivedPerSecond: counting.received / seconds,
    expectedPerSecond: counting.expected / seconds,
    deliveredPercent: counting.expected ? (counting.inWindow / counting.expected) * 100 : NaN,
    latencyMs: latencies.summary(),
    serverCpuPercent: server.cpuPercent,
    serverRssBytes: server.rssBytes,
    serverRssPeakBytes: server.rssPeakBytes,
    machineCpuPercent: server.machineCpuPercent,
    benchCpuPercent: ((benchCpu.user + benchCpu.system) / 1e6 / seconds) * 100,
    // The histogram counts the sampling resolution (10 ms) in every delay: subtract it.
    benchLoopLagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - 10),
  };
}

async function cli() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: 'hostwire' },
      agents: { type: 'string', default: '50' },
      rate: { type: 'string', default: '1' },
      clients: { type: 'string', default: '200' },
      subs: { type: 'string', default: '5' },
      window: { type: 'string', default: '10' },
      observe: { type: 'string', default: '0' },
      control: { type: 'boolean', default: false },
      containers: { type: 'string', default: '0' },
    },
  });
  setSampleContainers(Number(values.containers));
  const scenario = positionals[0] ?? 'fanout';
  const n = (v) => Number(v);
  const windowMs = n(values.window) * 1000;
  const observeCloseMs = n(values.observe) * 1000;
  const result = await runWithTarget(
    values.target,
    Math.max(windowMs, observeCloseMs) + 120_000,
    (target, scope) => {
      if (scenario === 'connect-storm') return runConnectStorm(target, scope, { agents: n(values.agents) });
      if (scenario === 'slow-consumer')
        return runSlowConsumer(target, scope, { windowMs, observeCloseMs, slowClient: !values.control });
      return runFanout(target, scope, {
        agents: n(values.agents),
        rate: n(values.rate),
        clients: n(values.clients),
        subs: n(values.subs),
        windowMs,
      });
    },
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
