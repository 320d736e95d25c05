/** @module realtime/metrics-ingest — live fan-out at once; storage batched across agents; acks after commit. */
import { extractSeries, summarizeSample, topicFor, type MetricsSample } from '@hostwire/protocol';
import { IngestGuard } from '../domain/ingest-guard.js';
import { containerValues } from '../store/repositories/container-metrics.js';
import type { IngestBatch } from '../store/repositories/metrics.js';
import { createFrame } from './bus/types.js';
import type { HubContext } from './hub-context.js';
import type { AgentSession } from './types.js';

/** How long samples wait for others to share their transaction. */
const FLUSH_INTERVAL_MS = 50;
/** A batch this large is written at once. */
const FLUSH_SAMPLES = 2000;
/** Above this many waiting samples, agents wait for the store (their sockets stop being read). */
const HIGH_WATER_SAMPLES = 20_000;

/** A promise with its resolver (Promise.withResolvers needs Node 22). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Pending {
  agent: AgentSession;
  batch: IngestBatch;
}

export function createMetricsIngest(ctx: HubContext) {
  const guard = new IngestGuard({
    samplesPerMinute: ctx.config.ingest.samplesPerMinute,
    maxClockSkewMs: ctx.config.ingest.maxClockSkewMs,
    maxAgeMs: ctx.config.metrics.rawRetentionMs,
  });
  /** Newest sample time published live per host: a replayed backlog is stored, not shown as live. */
  const liveTs = new Map<string, number>();
  let queue: Pending[] = [];
  let queuedSamples = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let drained: { promise: Promise<void>; resolve: () => void } | undefined;

  const intervalFor = (watchers: number) =>
    watchers > 0 ? ctx.config.metrics.liveIntervalMs : ctx.config.metrics.slowIntervalMs;
  /** Per host, the last watch change: a quick subscribe/unsubscribe applies in order. */
  const watchChains = new Map<string, Promise<void>>();

  function publishLive(agent: AgentSession, newest: MetricsSample): void {
    if (newest.ts <= (liveTs.get(agent.hostId) ?? 0)) return;
    liveTs.set(agent.hostId, newest.ts);
    ctx.domain.containers.observe(agent.hostId, newest);
    ctx.bus.publish(
      topicFor.host(agent.hostId),
      createFrame({ type: 'metrics', hostId: agent.hostId, sample: newest }, 'metrics', {
        coalesceKey: `metrics:${agent.hostId}`,
      }),
    );
    ctx.bus.publish(
      topicFor.org(agent.organizationId),
      createFrame(
        {
          type: 'host.summary',
          organizationId: agent.organizationId,
          hostId: agent.hostId,
          summary: summarizeSample(newest),
        },
        'metrics',
        { coalesceKey: `summary:${agent.hostId}` },
      ),
    );
  }

  function schedule(): void {
    if (queuedSamples >= FLUSH_SAMPLES) {
      clearTimeout(timer);
      timer = undefined;
      void flush();
    } else {
      timer ??= setTimeout(() => {
        timer = undefined;
        void flush();
      }, FLUSH_INTERVAL_MS);
    }
  }

  /** Writes everything queued in one transaction, then acks each agent the seqs it sent. */
  async function flush(): Promise<void> {
    if (flushing) return flushing;
    if (queue.length === 0) return;
    const taken = queue;
    queue = [];
    queuedSamples = 0;
    const waiting = drained;
    drained = undefined;
    flushing = (async () => {
      try {
        const fresh = await ctx.store.metrics.ingest(taken.map((p) => p.batch));
        let stored = 0;
        for (const list of fresh.values()) stored += list.length;
        ctx.metrics.samplesIngested.inc(stored);
        // Every seq of a frame is durable now (new or already stored): the agent may drop them all.
        for (const { agent, batch } of taken)
          agent.send({ type: 'metrics.ack', seqs: batch.samples.map((s) => s.seq) });
      } catch (error) {
        // Unacked samples stay in the agents' outboxes and come back on their next connection.
        ctx.logger.error({ err: error, frames: taken.length }, 'storing metrics failed');
      } finally {
        flushing = undefined;
        waiting?.resolve();
        if (queue.length > 0) schedule();
      }
    })();
    return flushing;
  }

  return {
    /** Publishes the newest sample live, queues the batch for storage; waits only when the store falls behind. */
    ingest(agent: AgentSession, received: MetricsSample[]): Promise<void> {
      const verdict = guard.check(agent.hostId, received);
      if (verdict.overQuota) {
        ctx.metrics.samplesRefused.inc({ reason: 'quota' }, received.length);
        agent.send({
          type: 'error',
          code: 'rate_limited',
          message: `Over the host's sample quota; retry in ${verdict.retryAfterSeconds} s`,
        });
        return Promise.resolve();
      }
      if (verdict.outOfRange.length > 0) {
        // Acknowledged so the agent forgets them, never stored: their clock is off or they are too old.
        ctx.metrics.samplesRefused.inc({ reason: 'timestamp' }, verdict.outOfRange.length);
        agent.send({ type: 'metrics.ack', seqs: verdict.outOfRange.map((s) => s.seq) });
        ctx.logger.warn(
          { hostId: agent.hostId, count: verdict.outOfRange.length },
          'refused samples with timestamps outside the accepted range',
        );
      }
      const samples = verdict.accepted;
      if (samples.length === 0) return Promise.resolve();
      const ordered = [...samples].sort((a, b) => a.seq - b.seq);
      const newest = ordered.reduce((a, b) => (b.ts >= a.ts ? b : a));
      publishLive(agent, newest);
      ctx.domain.fleetMetrics.observe(agent.hostId, newest);
      ctx.domain.alerts.samples(agent.hostId, agent.organizationId, ordered);
      queue.push({
        agent,
        batch: {
          hostId: agent.hostId,
          samples: ordered.map((s) => ({
            seq: s.seq,
            ts: s.ts,
            values: extractSeries(s),
            ...(s.containers ? { containers: containerValues(s.containers) } : {}),
          })),
          summary: summarizeSample(newest),
          ...(newest.containers ? { containers: { ts: newest.ts, list: newest.containers } } : {}),
        },
      });
      queuedSamples += ordered.length;
      schedule();
      if (queuedSamples <= HIGH_WATER_SAMPLES) return Promise.resolve();
      drained ??= deferred();
      return drained.promise;
    },

    /** Live mode: 1 s sampling while anyone, on any instance, watches the host; the slow interval otherwise. */
    setWatched(hostId: string, isWatched: boolean): void {
      const next = (watchChains.get(hostId) ?? Promise.resolve()).then(async () => {
        const watchers = await ctx.bus.watchHost(hostId, isWatched);
        await ctx.bus.sendToAgent(hostId, { type: 'metrics.interval', intervalMs: intervalFor(watchers) });
      });
      const settled = next.catch((error: unknown) =>
        ctx.logger.warn({ err: error, hostId }, 'live mode change failed'),
      );
      watchChains.set(hostId, settled);
      void settled.then(() => {
        if (watchChains.get(hostId) === settled) watchChains.delete(hostId);
      });
    },

    agentConnected(agent: AgentSession): void {
      void ctx.bus
        .hostWatchers(agent.hostId)
        .then((watchers) => agent.send({ type: 'metrics.interval', intervalMs: intervalFor(watchers) }));
    },

    /** Writes what is still queued (shutdown). */
    async close(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      while (queue.length > 0 || flushing) await (flushing ?? flush());
    },
  };
}
