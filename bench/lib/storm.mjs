/** @module bench/lib/storm — connect storm: every agent of a fleet opens its socket at the same moment. */
import { closeAll, openPeer } from './peers.mjs';
import { cpuMeter } from './process.mjs';
import { Latencies } from './stats.mjs';

/**
 * Provisions `agents` hosts (Hostwire: create + enroll over HTTP, not timed), then opens every agent
 * socket at once and measures the time until the last `welcome`, each socket's time to `welcome`,
 * refusals by HTTP status, failures by error, and the server's CPU/RSS over the storm.
 */
export async function runConnectStorm(target, scope, { agents, timeoutMs = 30_000 }) {
  const hosts = await target.provisionHosts(agents);
  const endpoints = hosts.map((host) => target.agentEndpoint(host));
  const meter = cpuMeter(target.pid);
  meter.start();
  const t0 = performance.now();
  const results = await Promise.all(
    endpoints.map(({ url, headers }) =>
      openPeer(url, { headers, timeoutMs }).then((result) => {
        if (result.ok) scope.track(result.ws);
        return result;
      }),
    ),
  );
  const allSettledMs = performance.now() - t0;
  const server = meter.stop();

  const latencies = new Latencies();
  let lastWelcome = t0;
  const refused = {};
  const failed = {};
  for (const result of results) {
    if (result.ok) {
      latencies.push(result.welcomeMs);
      lastWelcome = Math.max(lastWelcome, result.at);
    } else if (result.status !== undefined) refused[result.status] = (refused[result.status] ?? 0) + 1;
    else failed[result.error] = (failed[result.error] ?? 0) + 1;
  }
  const welcome = latencies.summary();
  await closeAll(results.filter((r) => r.ok).map((r) => r.ws));
  return {
    target: target.kind,
    attempted: agents,
    welcomed: welcome.count,
    refused,
    failed,
    refusedCount: Object.values(refused).reduce((a, b) => a + b, 0),
    failedCount: Object.values(failed).reduce((a, b) => a + b, 0),
    allWelcomedMs: welcome.count === agents ? lastWelcome - t0 : NaN,
    allSettledMs,
    welcomeMs: welcome,
    connectsPerSecond: welcome.count / (allSettledMs / 1000),
    serverCpuPercent: server.cpuPercent,
    serverRssBytes: server.rssBytes,
    machineCpuPercent: server.machineCpuPercent,
  };
}
