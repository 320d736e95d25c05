/**
 * @module bench/lib/alert-limits — alert evaluation at the contract's limits, in-process: one organization with
 * the most rules it may have (500), all of them container rules, against samples of 256 containers (the most
 * ALERT_EVALUATIONS_PER_SAMPLE evaluates whole at its default: 128 000 pairs). Two rule sets:
 *   pathological  globs `a*<60–119 a's>b*a` (each distinct) against 249-character names of a's and digits: nothing
 *                 matches, and a backtracking matcher retries every segment at every position;
 *   broad         globs that match every container (`*`, `*-*`, `?*`, …): 128 000 matched pairs per sample,
 *                 none of which holds (thresholds no container reaches, every container running).
 * Each set is timed three ways: the first sample (names never seen), steady (the same names again, as a
 * real host sends them) and churn (new names in every sample). Samples are handed to
 * `domain.alerts.samples()` one at a time with a turn of the event loop in between, as ingest does, so
 * `perf_hooks.monitorEventLoopDelay` sees how long one sample blocks the loop.
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const LIMIT_RULES = 500;
export const LIMIT_CONTAINERS = 256;

const turn = () => new Promise((resolve) => setImmediate(resolve));

function container(name, i) {
  return {
    id: `c0ffee${String(i).padStart(58, '0')}`,
    name,
    image: 'registry.example.com/team/app:1.2.3',
    state: 'running',
    health: 'none',
    cpuPercent: 3.5,
    memoryBytes: 50_000_000,
    memoryLimitBytes: 0,
    netRxBps: 1200,
    netTxBps: 800,
    blockReadBps: 0,
    blockWriteBps: 0,
    restartCount: 0,
  };
}

const RULE_SETS = {
  pathological: {
    describe: 'globs a*<60-119 a>b*a, 249-char names of a and digits, nothing matches',
    glob: (i) => `a*${'a'.repeat(60 + (i % 60))}b*a`,
    // 242 a's, a tag of six digits, a final a: starts and ends like every glob, holds no b.
    names: (round) =>
      Array.from(
        { length: LIMIT_CONTAINERS },
        (_, i) => `${'a'.repeat(242)}${String(round * LIMIT_CONTAINERS + i).padStart(6, '0')}a`,
      ),
  },
  broad: {
    describe: 'globs that match every container, 128 000 matched pairs, none holds',
    glob: (i) => ['*', '*-*', '?*', 'svc*', '*?'][i % 5] + (i >= 5 ? '*'.repeat(1 + (i % 3)) : ''),
    names: (round) => Array.from({ length: LIMIT_CONTAINERS }, (_, i) => `svc-${round}-${i}-web`),
  },
};

function condition(set, i) {
  const container = RULE_SETS[set].glob(i);
  return i % 2 === 0
    ? { kind: 'container_down', container }
    : { kind: 'container_metric', container, series: 'cpu', op: '>', threshold: 1e15 };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * Runs both rule sets; `makeSample(seq, ts, containers)` builds a sample. Each phase stops after
 * `samples` samples or once `budgetMs` of evaluation is spent (a slow matcher needs seconds per sample).
 */
export async function runAlertLimits({ alerts, actor, organizationId, makeSample, samples, budgetMs }) {
  const results = {};
  let seq = 1;
  let ts = Date.now() - 3_600_000;
  for (const set of Object.keys(RULE_SETS)) {
    const ruleIds = [];
    for (let i = 0; i < LIMIT_RULES; i += 1) {
      const rule = await alerts.createRule(actor, organizationId, {
        name: `${set}-${i}`,
        condition: condition(set, i),
        forSeconds: 60,
        channelIds: [],
        severity: 'warning',
      });
      ruleIds.push(rule.id);
    }
    const hostId = `limits-${set}`;
    // Every rule created also reloads the index once more from the bus, which drops the hosts' caches: let
    // those reloads finish. Then the host's first sample loads its open alerts (one query): not timed.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    alerts.samples(hostId, organizationId, [makeSample(seq++, (ts += 1000), [])]);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const cpu = { ms: 0 };
    const timeOne = async (names) => {
      const sample = makeSample(seq++, (ts += 1000), names.map(container));
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      alerts.samples(hostId, organizationId, [sample]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const used = process.cpuUsage(c0);
      cpu.ms = (used.user + used.system) / 1000;
      await turn();
      return ms;
    };
    const phase = async (namesOf) => {
      const times = [];
      let spent = 0;
      let cpuMs = 0;
      for (let k = 0; k < samples && (k === 0 || spent < budgetMs); k += 1) {
        const ms = await timeOne(namesOf(k));
        times.push(ms);
        spent += ms;
        cpuMs += cpu.ms;
      }
      const sorted = [...times].sort((a, b) => a - b);
      return {
        samples: times.length,
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        p50Ms: quantile(sorted, 0.5),
        maxMs: sorted[sorted.length - 1],
        // CPU time of the process over the same calls: the wall time also counts waiting for a core.
        cpuMeanMs: cpuMs / times.length,
      };
    };
    const names = RULE_SETS[set].names(0);
    // A server that has run a while has its matcher compiled by the JIT: warm it up on other names
    // (a host of their own, so the timed host's state is untouched).
    for (let k = 0; k < 3; k += 1)
      alerts.samples(`${hostId}-warm-up`, organizationId, [
        makeSample(seq++, (ts += 1000), RULE_SETS[set].names(1000 + k).map(container)),
      ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const first = await timeOne(names);
    const firstCpu = cpu.ms;
    const steady = await phase(() => names);
    const churn = await phase((k) => RULE_SETS[set].names(k + 1));
    histogram.disable();
    results[set] = {
      describe: RULE_SETS[set].describe,
      firstMs: first,
      firstCpuMs: firstCpu,
      steady,
      churn,
      // The histogram is in nanoseconds; its max is the longest the loop waited for a turn.
      loopBlockMaxMs: histogram.max / 1e6,
    };
    for (const id of ruleIds) await alerts.deleteRule(actor, id);
  }
  return results;
}

export function renderAlertLimits(r) {
  const ms = (v) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  const lines = [
    `limits: ${LIMIT_RULES} container rules x ${LIMIT_CONTAINERS} containers per sample (${LIMIT_RULES * LIMIT_CONTAINERS} pairs), targets: < 5 ms per sample, loop never blocked > 50 ms`,
    `  (wall time per sample and the process's CPU time over it; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores)`,
  ];
  for (const [set, x] of Object.entries(r)) {
    const row = (label, p) =>
      `    ${label.padEnd(34)} mean ${ms(p.meanMs).padStart(9)}  p50 ${ms(p.p50Ms).padStart(9)}  max ${ms(p.maxMs).padStart(9)}  cpu ${ms(p.cpuMeanMs).padStart(9)}  (${p.samples} samples)`;
    lines.push(
      `  ${set}: ${x.describe}`,
      `    ${'first sample (names never seen)'.padEnd(34)} ${ms(x.firstMs)} (cpu ${ms(x.firstCpuMs)})`,
      row('steady (the same names)', x.steady),
      row('churn (new names every sample)', x.churn),
      `    ${'longest event-loop block'.padEnd(34)} ${ms(x.loopBlockMaxMs)}`,
    );
  }
  return lines.join('\n');
}
