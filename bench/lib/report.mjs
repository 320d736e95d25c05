/** @module bench/lib/report — the tables printed per scenario and the closing summary of ratios. */
import { fmt, mib, ratio, table } from './stats.mjs';

const HEADER = ['metric', 'Hostwire', 'bare ws', 'Hostwire / bare'];

/** One metric row: both values, and their ratio when `withRatio`. */
function row(name, hw, bare, digits = 0, withRatio = true, show = (v) => fmt(v, digits)) {
  return [name, show(hw), show(bare), withRatio ? ratio(hw, bare) : ''];
}

/** CPU seconds the server spends per 1000 delivered frames (lower is cheaper). */
export function cpuPerThousandFrames(result) {
  return result && result.receivedPerSecond > 0
    ? (result.serverCpuPercent / 100 / result.receivedPerSecond) * 1000
    : NaN;
}

export function renderFanout(title, hw = {}, bare = {}) {
  const l = (r, q) => r.latencyMs?.[q];
  return [
    `== ${title} ==`,
    table(HEADER, [
      row('samples sent /s', hw.sentPerSecond, bare.sentPerSecond, 1, false),
      row('metrics.ack /s', hw.ackedPerSecond, bare.ackedPerSecond, 1),
      row('frames received /s', hw.receivedPerSecond, bare.receivedPerSecond),
      row('frames expected /s', hw.expectedPerSecond, bare.expectedPerSecond, 0, false),
      row('delivered % (2 s grace)', hw.deliveredPercent, bare.deliveredPercent, 1, false),
      row('latency p50 ms', l(hw, 'p50'), l(bare, 'p50'), 2),
      row('latency p95 ms', l(hw, 'p95'), l(bare, 'p95'), 2),
      row('latency p99 ms', l(hw, 'p99'), l(bare, 'p99'), 2),
      row('server CPU % (1 core)', hw.serverCpuPercent, bare.serverCpuPercent, 1),
      row('server CPU s / 1k frames', cpuPerThousandFrames(hw), cpuPerThousandFrames(bare), 3),
      row('server RSS', hw.serverRssBytes, bare.serverRssBytes, 0, true, mib),
      row(
        'connect failures agents / clients',
        pair(hw.agentFailures, hw.clientFailures, 0),
        pair(bare.agentFailures, bare.clientFailures, 0),
        0,
        false,
      ),
      row(
        'bench CPU % / loop lag p99 ms',
        pair(hw.benchCpuPercent, hw.benchLoopLagP99Ms, 1),
        pair(bare.benchCpuPercent, bare.benchLoopLagP99Ms, 1),
        0,
        false,
      ),
      row('machine CPU % (all cores)', hw.machineCpuPercent, bare.machineCpuPercent, 0, false),
    ]),
  ].join('\n');
}

function pair(a, b, digits) {
  return a === undefined ? undefined : `${fmt(a, 0)} / ${fmt(b, digits)}`;
}

function counts(map) {
  const entries = Object.entries(map ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}:${v}`).join(' ') : '0';
}

export function renderStorm(title, hw = {}, bare = {}) {
  return [
    `== ${title} ==`,
    table(HEADER, [
      row('agents welcomed', hw.welcomed, bare.welcomed, 0, false),
      row('time until all welcomed ms', hw.allWelcomedMs, bare.allWelcomedMs, 0),
      row('connects /s', hw.connectsPerSecond, bare.connectsPerSecond, 0),
      row('welcome p50 ms', hw.welcomeMs?.p50, bare.welcomeMs?.p50, 0),
      row('welcome p99 ms', hw.welcomeMs?.p99, bare.welcomeMs?.p99, 0),
      row('refused (HTTP status:count)', counts(hw.refused), counts(bare.refused), 0, false, String),
      row('failed (error:count)', counts(hw.failed), counts(bare.failed), 0, false, String),
      row('server CPU % (1 core)', hw.serverCpuPercent, bare.serverCpuPercent, 1),
      row('server RSS', hw.serverRssBytes, bare.serverRssBytes, 0, true, mib),
      row('machine CPU % (all cores)', hw.machineCpuPercent, bare.machineCpuPercent, 0, false),
    ]),
  ].join('\n');
}

export function rssGrowth(result) {
  return result ? result.rssAfterBytes - result.rssBeforeBytes : NaN;
}

export function renderSlow(title, hw = {}, bare = {}) {
  const growth = (r) => (r?.rssAfterBytes === undefined ? undefined : rssGrowth(r));
  const rows = [
    row('flood batches acked /s', hw.batchesAckedPerSecond, bare.batchesAckedPerSecond, 0),
    row('healthy client received /s', hw.healthyReceivedPerSecond, bare.healthyReceivedPerSecond, 0),
    row(
      'healthy delivered % (2 s grace)',
      hw.healthyDeliveredPercent,
      bare.healthyDeliveredPercent,
      1,
      false,
    ),
    row('healthy latency p50 ms', hw.healthyLatencyMs?.p50, bare.healthyLatencyMs?.p50, 1),
    row('healthy latency p99 ms', hw.healthyLatencyMs?.p99, bare.healthyLatencyMs?.p99, 1),
    row('server RSS idle', hw.rssIdleBytes, bare.rssIdleBytes, 0, false, mib),
    row('server RSS window start', hw.rssBeforeBytes, bare.rssBeforeBytes, 0, false, mib),
    row('server RSS window end', hw.rssAfterBytes, bare.rssAfterBytes, 0, false, mib),
    row('server RSS growth in window', growth(hw), growth(bare), 0, false, mib),
    row('server send queue held', hw.sendQueueBytes, undefined, 0, false, (v) =>
      v === undefined ? '-' : `${fmt(v)} B`,
    ),
    row('frames coalesced', hw.framesCoalesced ?? (hw.target ? 0 : undefined), undefined, 0, false),
    row(
      '4008 slow-consumer close after s',
      hw.closedByServerAfterMs === null ? 'no' : hw.closedByServerAfterMs / 1000,
      'n/a',
      1,
      false,
    ),
    row(
      'slow client close code seen',
      hw.slowClientCloseCode ?? 'none',
      bare.slowClientCloseCode ?? 'none',
      0,
      false,
      String,
    ),
  ];
  return [`== ${title} ==`, table(HEADER, rows)].join('\n');
}

/** The closing block: one line of ratios per scenario that ran. */
export function renderSummary(results) {
  const lines = [
    '== summary: Hostwire relative to the bare ws relay (1.00x = same; throughput > 1 is better, latency/CPU < 1 is better) ==',
  ];
  for (const [name, { hw, bare }] of results.fanout) {
    lines.push(
      `${name.padEnd(22)} throughput ${ratio(hw?.receivedPerSecond, bare?.receivedPerSecond)}  latency p50 ${ratio(hw?.latencyMs?.p50, bare?.latencyMs?.p50)} p99 ${ratio(hw?.latencyMs?.p99, bare?.latencyMs?.p99)}  CPU/frame ${ratio(cpuPerThousandFrames(hw), cpuPerThousandFrames(bare))}  RSS ${ratio(hw?.serverRssBytes, bare?.serverRssBytes)}`,
    );
  }
  if (results.storm) {
    const { hw, bare } = results.storm;
    lines.push(
      `${'connect-storm'.padEnd(22)} time to all welcomed ${ratio(hw?.allWelcomedMs, bare?.allWelcomedMs)}  connects/s ${ratio(hw?.connectsPerSecond, bare?.connectsPerSecond)}  refused+failed ${fmt((hw?.refusedCount ?? NaN) + (hw?.failedCount ?? NaN))} vs ${fmt((bare?.refusedCount ?? NaN) + (bare?.failedCount ?? NaN))}`,
    );
  }
  if (results.slow) {
    const { hw, bare } = results.slow;
    const close = hw?.closedByServerAfterMs
      ? `4008 after ${fmt(hw.closedByServerAfterMs / 1000, 1)} s`
      : 'no 4008 in the run';
    lines.push(
      `${'slow-consumer'.padEnd(22)} RSS growth ${mib(rssGrowth(hw))} vs ${mib(rssGrowth(bare))}  ingest ${ratio(hw?.batchesAckedPerSecond, bare?.batchesAckedPerSecond)}  ${close}`,
    );
  }
  return lines.join('\n');
}
