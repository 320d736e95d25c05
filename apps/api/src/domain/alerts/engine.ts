/**
 * @module domain/alerts/engine — evaluates rules as samples arrive and as hosts go offline.
 *
 * - An in-memory index of each organization's rules (reloaded on every rule change, on every instance), so
 *   ingest runs no query per rule; a per-host cache of its open alerts, loaded once per host.
 * - Container rules: each glob is compiled once with the index and matches in linear time; the rules a
 *   container name matches are remembered (container-rules.ts), and a frame spends a bounded number of glob
 *   steps on names not seen before. A sample evaluates at most ALERT_EVALUATIONS_PER_SAMPLE
 *   (rule, container) pairs and a rule opens at most ALERT_MAX_OPEN_PER_EVALUATION alerts per sample; past
 *   any bound, a counter on /metrics and a warning once per window say so (limit-reports.ts).
 * - Samples are evaluated on the instance that holds the host's agent (presence's lease in the store). The
 *   store is only written on a transition; each is a compare-and-set (transitions.ts), and a lost race
 *   reloads the host's open alerts from the store.
 * - host_offline: evaluated at once on presence changes, and by a periodic sweep that only the holder of
 *   the store-backed lease `alerts.sweep` runs (hosts nobody saw go offline: their instance died).
 */
import {
  compareAlert,
  compileGlob,
  containerSeriesValue,
  extractSeries,
  isContainerDown,
  type AlertCondition,
  type CompiledGlob,
  type HostStatus,
  type MetricsSample,
  type SeriesValues,
} from '@hostwire/protocol';
import { frameFromData } from '../../realtime/bus/types.js';
import type { AlertRow } from '../../store/repositories/alerts.js';
import { unitOfWork, type DomainDeps } from '../deps.js';
import {
  createContainerRuleIndex,
  NEW_NAME_STEPS_PER_FRAME,
  planSample,
  type ContainerRuleIndex,
  type MatchBudget,
} from './container-rules.js';
import { createLimitReports } from './limit-reports.js';
import { snapshotOf, snapshotOfDeleted, type RuleSnapshot, type Transitions } from './transitions.js';
import { ruleView } from './views.js';

/** Instances tell each other that an organization's rules changed on this bus topic. */
const RULES_TOPIC = 'alerts:rules';
const SAMPLE_KINDS = ['metric', 'container_down', 'container_metric'] as const;
/** Resolved alerts and finished deliveries are kept this long. */
const HISTORY_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3600_000;
/** How often every instance re-reads all rules, whatever the bus said. */
const RELOAD_EVERY_MS = 60_000;

interface CompiledRule extends RuleSnapshot {
  condition: AlertCondition;
  forMs: number;
  /** null: every host of the organization. */
  hostIds: ReadonlySet<string> | null;
  /** The open-alert key of a metric rule (no container). */
  metricKey: string;
  /** The container glob of a container rule, compiled once. */
  glob: CompiledGlob | null;
}

type CompiledContainerRule = CompiledRule & { glob: CompiledGlob };

interface OrgRules {
  metric: CompiledRule[];
  containers: ContainerRuleIndex<CompiledContainerRule>;
  offline: CompiledRule[];
}

interface HostAlerts {
  organizationId: string;
  loaded: boolean;
  /** Open alerts by `ruleId|container`. */
  open: Map<string, AlertRow>;
  /** The open alerts of each container by rule id (kept with `open`, by `remember` and `forget`). */
  openByContainer: Map<string, Map<string, AlertRow>>;
  /** Keys with a transition under way: further samples wait for its outcome. */
  busy: Set<string>;
  /** When each container with an open alert was last in a sample. */
  containerSeen: Map<string, number>;
  /** Newest sample time evaluated (a replayed backlog is not evaluated again). */
  lastTs: number;
  chain: Promise<void>;
}

interface Observation {
  rule: CompiledRule;
  container: string;
  holds: boolean;
  value: number | null;
}

const keyOf = (ruleId: string, container: string) => `${ruleId}|${container}`;

function compile(row: Parameters<typeof ruleView>[0]): CompiledRule {
  const rule = ruleView(row);
  const condition = rule.condition;
  return {
    ...snapshotOf(rule),
    condition,
    forMs: rule.forSeconds * 1000,
    hostIds: rule.hostIds ? new Set(rule.hostIds) : null,
    metricKey: keyOf(rule.id, ''),
    glob:
      condition.kind === 'container_down' || condition.kind === 'container_metric'
        ? compileGlob(condition.container)
        : null,
  };
}

const isContainerRule = (rule: CompiledRule): rule is CompiledContainerRule => rule.glob !== null;

function remember(state: HostAlerts, key: string, row: AlertRow): void {
  state.open.set(key, row);
  if (row.container === '') return;
  const rules = state.openByContainer.get(row.container);
  if (rules) rules.set(row.rule_id, row);
  else state.openByContainer.set(row.container, new Map([[row.rule_id, row]]));
}

function forget(state: HostAlerts, key: string, row: AlertRow): void {
  state.open.delete(key);
  const rules = state.openByContainer.get(row.container);
  if (!rules) return;
  rules.delete(row.rule_id);
  if (rules.size > 0) return;
  state.openByContainer.delete(row.container);
  state.containerSeen.delete(row.container);
}

const signatureOf = (rows: readonly { id: string; updated_at: number }[]) =>
  rows
    .map((r) => `${r.id}:${r.updated_at}`)
    .sort()
    .join(',');

const applies = (rule: CompiledRule, hostId: string) => rule.hostIds === null || rule.hostIds.has(hostId);

export function createAlertEngine(deps: DomainDeps, transitions: Transitions, wake: () => void) {
  const log = deps.logger.child({ component: 'alerts' });
  const limits = createLimitReports(log);
  const index = new Map<string, OrgRules>();
  const hosts = new Map<string, HostAlerts>();
  const offlineChains = new Map<string, Promise<void>>();
  const leaseOwner = deps.bus.instanceId;
  const unsubscribers: (() => void)[] = [];
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping = false;
  let closed = false;
  let lastPrune = 0;

  /** Per organization, the ids and versions of the rules indexed (a reload that changes nothing keeps the caches). */
  const signatures = new Map<string, string>();

  /** Per organization, each indexed rule compiled, with the row it was compiled from (as JSON). */
  const compiledRules = new Map<string, Map<string, { version: string; rule: CompiledRule }>>();

  function setRules(organizationId: string, rows: Parameters<typeof ruleView>[0][]): void {
    signatures.set(organizationId, signatureOf(rows));
    // A reload recompiles only the rules that changed (creating 500 rules reloads the index 500 times).
    const before = compiledRules.get(organizationId);
    const now = new Map<string, { version: string; rule: CompiledRule }>();
    const compiled = rows.flatMap((row) => {
      const version = JSON.stringify(row);
      const known = before?.get(row.id);
      if (known?.version === version) {
        now.set(row.id, known);
        return [known.rule];
      }
      try {
        const rule = compile(row);
        now.set(row.id, { version, rule });
        return [rule];
      } catch (error) {
        log.warn({ err: error, ruleId: row.id }, 'skipping an alert rule that does not parse');
        return [];
      }
    });
    if (now.size === 0) compiledRules.delete(organizationId);
    else compiledRules.set(organizationId, now);
    const metric = compiled.filter((r) => r.kind === 'metric');
    const containers = createContainerRuleIndex(compiled.filter(isContainerRule));
    const offline = compiled.filter((r) => r.kind === 'host_offline');
    if (compiled.length === 0) index.delete(organizationId);
    else index.set(organizationId, { metric, containers, offline });
    // The open alerts cached for the organization's hosts may belong to changed rules: reload them.
    for (const [hostId, state] of hosts) if (state.organizationId === organizationId) hosts.delete(hostId);
  }

  /** Replaces the whole index with the store's rules; caches of organizations whose rules changed are dropped. */
  async function reloadAll(): Promise<void> {
    const byOrg = new Map<string, Parameters<typeof ruleView>[0][]>();
    for (const row of await deps.store.alerts.listAllRules())
      byOrg.set(row.organization_id, [...(byOrg.get(row.organization_id) ?? []), row]);
    for (const organizationId of new Set([...index.keys(), ...byOrg.keys()])) {
      const rows = byOrg.get(organizationId) ?? [];
      if (signatures.get(organizationId) !== signatureOf(rows)) setRules(organizationId, rows);
    }
  }

  async function reloadOrganization(organizationId: string): Promise<void> {
    setRules(organizationId, await deps.store.alerts.listRules(organizationId));
  }

  /** Runs `work` after the host's previous alert work; failures are logged. */
  function enqueue(state: HostAlerts, work: () => Promise<void>): void {
    state.chain = state.chain
      .then(work)
      .catch((error: unknown) => log.error({ err: error }, 'alert evaluation failed'));
  }

  async function loadHost(hostId: string, state: HostAlerts): Promise<void> {
    const rows = await deps.store.alerts.listOpenForHost(hostId, SAMPLE_KINDS);
    state.open.clear();
    state.openByContainer.clear();
    const now = Date.now();
    for (const row of rows) {
      remember(state, keyOf(row.rule_id, row.container), row);
      if (row.container !== '') state.containerSeen.set(row.container, now);
    }
    state.loaded = true;
  }

  function apply(hostId: string, state: HostAlerts, o: Observation, ts: number, key: string): void {
    if (state.busy.has(key)) return;
    const open = state.open.get(key);
    if (o.holds) {
      if (open?.state === 'firing') return;
      if (!open) {
        const firing = o.rule.forMs === 0;
        transition(hostId, state, key, async (now) => {
          const host = await deps.store.hosts.findById(hostId);
          if (!host) return 'stale';
          const done = await unitOfWork(deps, (tx, outbox) =>
            transitions.open(
              tx,
              outbox,
              o.rule,
              { hostId, hostName: host.name, container: o.container },
              firing ? 'firing' : 'pending',
              ts,
              o.value,
              now,
            ),
          );
          if (!done) return 'stale';
          remember(state, key, done.row);
          if (o.container !== '') state.containerSeen.set(o.container, ts);
          return done.deliveries;
        });
      } else if (open.state === 'pending' && ts - open.started_at >= o.rule.forMs) {
        transition(hostId, state, key, async (now) => {
          const done = await unitOfWork(deps, (tx, outbox) =>
            transitions.fire(tx, outbox, open, o.rule, o.value, now),
          );
          if (!done) return 'stale';
          remember(state, key, done.row);
          return done.deliveries;
        });
      }
    } else if (open) {
      transition(hostId, state, key, async (now) => {
        const done = await unitOfWork(deps, (tx, outbox) =>
          transitions.resolve(tx, outbox, open, o.rule, now),
        );
        if (!done) return 'stale';
        forget(state, key, open);
        return done.deliveries;
      });
    }
  }

  /** Runs one store transition for `key`; a lost race reloads the host's open alerts. */
  function transition(
    hostId: string,
    state: HostAlerts,
    key: string,
    work: (now: number) => Promise<number | 'stale'>,
  ): void {
    state.busy.add(key);
    enqueue(state, async () => {
      try {
        const outcome = await work(Date.now());
        if (outcome === 'stale') await loadHost(hostId, state);
        else if (outcome > 0) wake();
      } finally {
        state.busy.delete(key);
      }
    });
  }

  function evaluate(hostId: string, state: HostAlerts, rules: OrgRules, samples: MetricsSample[]): void {
    // The glob steps this frame may spend on container names the organization has not seen yet.
    const budget: MatchBudget = { steps: NEW_NAME_STEPS_PER_FRAME };
    for (const sample of samples) {
      if (sample.ts <= state.lastTs) continue;
      state.lastTs = sample.ts;
      // The series of a sample are extracted once, for all the rules that need them.
      let values: SeriesValues | undefined;
      for (const rule of rules.metric) {
        if (!applies(rule, hostId) || rule.condition.kind !== 'metric') continue;
        const condition = rule.condition;
        // The hot path (every sample, every metric rule): no allocation unless the state changes.
        const value = (values ??= extractSeries(sample))[condition.series];
        const holds = compareAlert(value, condition.op, condition.threshold);
        const open = state.open.get(rule.metricKey);
        if (holds ? open?.state === 'firing' : open === undefined) continue;
        apply(hostId, state, { rule, container: '', holds, value }, sample.ts, rule.metricKey);
      }
      // An agent without a container engine says nothing about containers: nothing to evaluate.
      if (sample.containers && rules.containers.rules.length > 0)
        evaluateContainers(hostId, state, rules.containers, sample, sample.containers, budget);
    }
  }

  /**
   * The container rules of one sample, container by container: only the rules its name matches (remembered
   * per name), within ALERT_EVALUATIONS_PER_SAMPLE, the frame's budget for new names, and
   * ALERT_MAX_OPEN_PER_EVALUATION.
   */
  function evaluateContainers(
    hostId: string,
    state: HostAlerts,
    rules: ContainerRuleIndex<CompiledContainerRule>,
    sample: MetricsSample,
    containers: NonNullable<MetricsSample['containers']>,
    budget: MatchBudget,
  ): void {
    const bounds = deps.config.alerts;
    const plan = planSample(
      rules,
      (rule) => applies(rule, hostId),
      containers.length,
      bounds.maxContainerEvaluationsPerSample,
    );
    if (plan.skipped > 0)
      limits.report(
        `evaluations|${hostId}`,
        plan.skipped,
        deps.metrics.alertEvaluationsSkipped.labels('limit'),
        {
          hostId,
          organizationId: state.organizationId,
          containers: containers.length,
          rules: plan.applicable,
          evaluatedRules: plan.evaluated,
          skippedEvaluations: plan.skipped,
          skippedRuleIds: plan.skippedRuleIds.slice(0, 20),
          limit: bounds.maxContainerEvaluationsPerSample,
        },
        'a sample needs more container rule evaluations than ALERT_EVALUATIONS_PER_SAMPLE allows: the newest rules were not evaluated on this host',
      );
    if (plan.evaluated === 0) return;
    const { allowed } = plan;
    const opened = new Uint16Array(rules.rules.length);
    let capped: Uint16Array | undefined;
    let deferred = 0;

    /** One (rule, container) observation; opening a new alert counts against the rule's bound. */
    const consider = (slot: number, name: string, holds: boolean, value: number | null, row?: AlertRow) => {
      if (holds && row?.state === 'firing') return;
      const rule = rules.rules[slot];
      if (!rule) return;
      const key = keyOf(rule.id, name);
      if (state.busy.has(key)) return;
      if (holds && !row) {
        if ((opened[slot] ?? 0) >= bounds.maxOpenPerEvaluation) {
          capped ??= new Uint16Array(rules.rules.length);
          capped[slot] = (capped[slot] ?? 0) + 1;
          return;
        }
        opened[slot] = (opened[slot] ?? 0) + 1;
      }
      apply(hostId, state, { rule, container: name, holds, value }, sample.ts, key);
    };

    for (const c of containers) {
      const open = state.openByContainer.get(c.name);
      if (open) state.containerSeen.set(c.name, sample.ts);
      const matches = rules.matching(c.name, budget);
      if (!matches) {
        deferred += 1;
        continue;
      }
      if (isContainerDown(c)) {
        for (const slot of matches.down) {
          const rule = allowed[slot] === 1 ? rules.rules[slot] : undefined;
          if (rule) consider(slot, c.name, true, null, open?.get(rule.id));
        }
      } else if (open) {
        // Up again: its open container_down alerts resolve (the common case, an up container with no open
        // alert, costs nothing here whatever the number of rules).
        for (const [ruleId, row] of open) {
          const slot = rules.slotOf(ruleId);
          if (slot === undefined || allowed[slot] !== 1) continue;
          if (rules.rules[slot]?.condition.kind === 'container_down')
            consider(slot, c.name, false, null, row);
        }
      }
      const running = c.state === 'running';
      for (const slot of matches.metric) {
        const condition = allowed[slot] === 1 ? rules.rules[slot]?.condition : undefined;
        if (condition?.kind !== 'container_metric') continue;
        const value = containerSeriesValue(c, condition.series);
        const holds = running && compareAlert(value, condition.op, condition.threshold);
        const row = open?.get(rules.rules[slot]?.id ?? '');
        if (holds || row) consider(slot, c.name, holds, value, row);
      }
    }
    if (state.openByContainer.size > 0)
      resolveVanished(containers, sample.ts, state, rules, consider, allowed);
    if (deferred > 0)
      limits.report(
        `new-names|${hostId}`,
        deferred * plan.evaluated,
        deps.metrics.alertEvaluationsSkipped.labels('new_names'),
        {
          hostId,
          organizationId: state.organizationId,
          deferredContainers: deferred,
          skippedEvaluations: deferred * plan.evaluated,
          stepsPerFrame: NEW_NAME_STEPS_PER_FRAME,
        },
        'a sample brought more new container names than one frame may match against the rules: the others are evaluated from the next samples on',
      );
    if (capped) reportCapped(hostId, state, rules, capped);
  }

  /**
   * Open alerts of containers that left the samples: still down until the container has been gone for
   * ALERT_CONTAINER_GONE_SECONDS (removed for good), then resolved; their metric alerts resolve at once.
   */
  function resolveVanished(
    containers: NonNullable<MetricsSample['containers']>,
    ts: number,
    state: HostAlerts,
    rules: ContainerRuleIndex<CompiledContainerRule>,
    consider: (slot: number, name: string, holds: boolean, value: number | null, row?: AlertRow) => void,
    allowed: Uint8Array,
  ): void {
    const present = new Set(containers.map((c) => c.name));
    for (const [name, open] of state.openByContainer) {
      if (present.has(name)) continue;
      const lastSeen = state.containerSeen.get(name) ?? ts;
      const gone = ts - lastSeen >= deps.config.alerts.containerGoneMs;
      for (const [ruleId, row] of open) {
        const slot = rules.slotOf(ruleId);
        if (slot === undefined || allowed[slot] !== 1) continue;
        const holds = rules.rules[slot]?.condition.kind === 'container_down' && !gone;
        consider(slot, name, holds, null, row);
      }
    }
  }

  function reportCapped(
    hostId: string,
    state: HostAlerts,
    rules: ContainerRuleIndex<CompiledContainerRule>,
    capped: Uint16Array,
  ): void {
    for (let slot = 0; slot < capped.length; slot += 1) {
      const count = capped[slot] ?? 0;
      const rule = rules.rules[slot];
      if (count === 0 || !rule) continue;
      limits.report(
        `opens|${rule.id}|${hostId}`,
        count,
        deps.metrics.alertOpensCapped,
        {
          ruleId: rule.id,
          ruleName: rule.name,
          hostId,
          organizationId: state.organizationId,
          cappedAlerts: count,
          limit: deps.config.alerts.maxOpenPerEvaluation,
        },
        'an alert rule would open more alerts in one sample than ALERT_MAX_OPEN_PER_EVALUATION allows: the others open at later samples while they still hold',
      );
    }
  }

  /** host_offline rules of one host, against its current status (presence changes call this). */
  async function evaluateOffline(
    hostId: string,
    organizationId: string,
    status: HostStatus,
    at: number,
  ): Promise<void> {
    const rules = index.get(organizationId)?.offline.filter((r) => applies(r, hostId)) ?? [];
    if (rules.length === 0) return;
    const open = await deps.store.alerts.listOpenForHost(hostId, ['host_offline']);
    const host = status === 'offline' ? await deps.store.hosts.findById(hostId) : undefined;
    let deliveries = 0;
    const now = Date.now();
    for (const rule of rules) {
      const alert = open.find((a) => a.rule_id === rule.id);
      if (status === 'online' && alert) {
        const done = await unitOfWork(deps, (tx, outbox) =>
          transitions.resolve(tx, outbox, alert, rule, now),
        );
        deliveries += done?.deliveries ?? 0;
      } else if (status === 'offline' && !alert && host && host.lastSeenAt !== null) {
        const since = host.lastSeenAt ?? at;
        const state = now - since >= rule.forMs ? 'firing' : 'pending';
        const target = { hostId, hostName: host.name, container: '' };
        const done = await unitOfWork(deps, (tx, outbox) =>
          transitions.open(tx, outbox, rule, target, state, since, null, now),
        );
        deliveries += done?.deliveries ?? 0;
      }
    }
    if (deliveries > 0) wake();
  }

  /** The lease holder's periodic pass: host_offline pending → firing, hosts nobody saw go offline, orphans. */
  async function sweep(): Promise<void> {
    const now = Date.now();
    const leaseMs = deps.config.alerts.sweepMs * 3;
    if (!(await deps.store.alerts.acquireLease('alerts.sweep', leaseOwner, now, now + leaseMs))) return;
    let deliveries = 0;
    const offlineRules = [...index.values()].flatMap((rules) => rules.offline);
    const open = await deps.store.alerts.listOpenForRules(offlineRules.map((r) => r.id));
    const openByKey = new Map(open.map((a) => [`${a.rule_id}|${a.host_id}`, a]));
    const byOrg = new Map<string, CompiledRule[]>();
    for (const rule of offlineRules)
      byOrg.set(rule.organizationId, [...(byOrg.get(rule.organizationId) ?? []), rule]);
    for (const [organizationId, rules] of byOrg) {
      const orgHosts = await deps.store.alerts.listHostStates(organizationId);
      for (const rule of rules) {
        for (const host of orgHosts) {
          // A host whose agent never connected is not "offline" yet (it is being set up).
          if (!applies(rule, host.id) || host.last_seen_at === null) continue;
          const alert = openByKey.get(`${rule.id}|${host.id}`);
          openByKey.delete(`${rule.id}|${host.id}`);
          const at = Date.now();
          if (host.status === 'online') {
            if (alert) {
              const done = await unitOfWork(deps, (tx, outbox) =>
                transitions.resolve(tx, outbox, alert, rule, at),
              );
              deliveries += done?.deliveries ?? 0;
            }
            continue;
          }
          const since = host.last_seen_at;
          const held = at - since >= rule.forMs;
          if (!alert) {
            const target = { hostId: host.id, hostName: host.name, container: '' };
            const done = await unitOfWork(deps, (tx, outbox) =>
              transitions.open(tx, outbox, rule, target, held ? 'firing' : 'pending', since, null, at),
            );
            deliveries += done?.deliveries ?? 0;
          } else if (alert.state === 'pending' && at - alert.started_at >= rule.forMs) {
            const done = await unitOfWork(deps, (tx, outbox) =>
              transitions.fire(tx, outbox, alert, rule, null, at),
            );
            deliveries += done?.deliveries ?? 0;
          }
        }
      }
    }
    // Left over: alerts of hosts that no longer exist or no longer match their rule.
    const rulesById = new Map(offlineRules.map((r) => [r.id, r]));
    for (const alert of openByKey.values()) {
      const rule = rulesById.get(alert.rule_id);
      if (!rule) continue;
      const done = await unitOfWork(deps, (tx, outbox) =>
        transitions.resolve(tx, outbox, alert, rule, Date.now()),
      );
      deliveries += done?.deliveries ?? 0;
    }
    for (const alert of await deps.store.alerts.listOpenWithoutRule()) {
      const rule = snapshotOfDeleted(alert);
      await unitOfWork(deps, (tx, outbox) => transitions.resolve(tx, outbox, alert, rule, Date.now()));
    }
    if (deliveries > 0) wake();
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      await deps.store.alerts.pruneHistory(now - HISTORY_MS);
    }
  }

  /** Resolves every open alert of a deleted host (each instance tries; the store lets one succeed). */
  async function resolveHost(hostId: string): Promise<void> {
    hosts.delete(hostId);
    let deliveries = 0;
    for (const alert of await deps.store.alerts.listOpenForHost(hostId)) {
      const row = await deps.store.alerts.findRule(alert.rule_id);
      const rule: RuleSnapshot = row ? compile(row) : snapshotOfDeleted(alert);
      const done = await unitOfWork(deps, (tx, outbox) =>
        transitions.resolve(tx, outbox, alert, rule, Date.now()),
      );
      deliveries += done?.deliveries ?? 0;
    }
    if (deliveries > 0) wake();
  }

  return {
    async start(): Promise<void> {
      await reloadAll();
      unsubscribers.push(
        deps.bus.subscribe(RULES_TOPIC, (frame) => {
          const { organizationId } = JSON.parse(frame.data) as { organizationId: string };
          void reloadOrganization(organizationId).catch((error: unknown) =>
            log.warn({ err: error }, 'reloading alert rules failed'),
          );
        }),
        deps.bus.onControl((event) => {
          if (event.kind === 'host.deleted')
            void resolveHost(event.hostId).catch((error: unknown) =>
              log.warn({ err: error }, 'resolving the alerts of a deleted host failed'),
            );
        }),
      );
      // Rule changes announced while the backplane was down were lost: reload every rule.
      unsubscribers.push(
        deps.bus.onGap((topics) => {
          if (topics.includes(RULES_TOPIC))
            void reloadAll().catch((error: unknown) =>
              log.warn({ err: error }, 'reloading alert rules failed'),
            );
        }),
      );
      let sweeps = 0;
      sweepTimer = setInterval(() => {
        if (sweeping || closed) return;
        sweeps += 1;
        // A safety net under the bus: every instance re-reads all rules now and then.
        if ((sweeps * deps.config.alerts.sweepMs) % RELOAD_EVERY_MS < deps.config.alerts.sweepMs)
          void reloadAll().catch((error: unknown) =>
            log.warn({ err: error }, 'reloading alert rules failed'),
          );
        sweeping = true;
        sweep()
          .catch((error: unknown) => log.warn({ err: error }, 'alert sweep failed'))
          .finally(() => (sweeping = false));
      }, deps.config.alerts.sweepMs);
      sweepTimer.unref();
    },

    /** The organization's rules changed (this instance wrote them): reload here now, and everywhere. */
    async rulesChanged(organizationId: string): Promise<void> {
      await reloadOrganization(organizationId);
      deps.bus.publish(RULES_TOPIC, frameFromData(JSON.stringify({ organizationId }), 'event'));
    },

    /** Samples just accepted from a host's agent: synchronous unless a rule changes state. */
    samples(hostId: string, organizationId: string, samples: MetricsSample[]): void {
      const rules = index.get(organizationId);
      if (!rules || rules.metric.length + rules.containers.rules.length === 0) return;
      let state = hosts.get(hostId);
      if (!state) {
        const fresh: HostAlerts = {
          organizationId,
          loaded: false,
          open: new Map(),
          openByContainer: new Map(),
          busy: new Set(),
          containerSeen: new Map(),
          lastTs: 0,
          chain: Promise.resolve(),
        };
        hosts.set(hostId, fresh);
        enqueue(fresh, () => loadHost(hostId, fresh));
        state = fresh;
      }
      if (state.loaded) {
        evaluate(hostId, state, rules, samples);
        return;
      }
      const pending = state;
      enqueue(pending, () => {
        const current = index.get(organizationId);
        if (current) evaluate(hostId, pending, current, samples);
        return Promise.resolve();
      });
    },

    /** A host went online or offline (presence). */
    hostStatus(hostId: string, organizationId: string, status: HostStatus, at: number): void {
      // Every (re)connection re-reads the host's open alerts: another instance may have changed them
      // while the agent was connected there.
      hosts.delete(hostId);
      if (!index.get(organizationId)?.offline.length) return;
      const next = (offlineChains.get(hostId) ?? Promise.resolve())
        .then(() => evaluateOffline(hostId, organizationId, status, at))
        .catch((error: unknown) => log.warn({ err: error, hostId }, 'host_offline evaluation failed'));
      offlineChains.set(hostId, next);
      void next.then(() => {
        if (offlineChains.get(hostId) === next) offlineChains.delete(hostId);
      });
    },

    /** Runs one sweep now (tests and the first pass after start). */
    sweep,

    async close(): Promise<void> {
      closed = true;
      clearInterval(sweepTimer);
      for (const unsubscribe of unsubscribers) unsubscribe();
      while (sweeping) await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([...offlineChains.values(), ...[...hosts.values()].map((h) => h.chain)]);
      await deps.store.alerts.releaseLease('alerts.sweep', leaseOwner).catch(() => undefined);
    },
  };
}

export type AlertEngine = ReturnType<typeof createAlertEngine>;
