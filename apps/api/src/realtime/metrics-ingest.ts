/** @module realtime/metrics-ingest — stores agent samples once per (host, seq), acks them, and fans them out. */
import { extractSeries, summarizeSample, topicFor, type MetricsSample } from '@hostwire/protocol';
import { createFrame } from './bus/types.js';
import type { HubContext } from './hub-context.js';
import type { AgentSession } from './types.js';

export function createMetricsIngest(ctx: HubContext) {
  const watched = new Set<string>();

  function intervalFor(hostId: string): number {
    return watched.has(hostId) ? ctx.config.metrics.liveIntervalMs : ctx.config.metrics.slowIntervalMs;
  }

  return {
    /** One transaction per batch; acks every seq of the batch once it is durably stored (new or duplicate). */
    async ingest(agent: AgentSession, samples: MetricsSample[]): Promise<void> {
      const ordered = [...samples].sort((a, b) => a.seq - b.seq);
      const newest = ordered.reduce((a, b) => (b.ts >= a.ts ? b : a));
      const summary = summarizeSample(newest);
      const fresh = await ctx.store.metrics.ingest(
        agent.hostId,
        ordered.map((s) => ({ seq: s.seq, ts: s.ts, values: extractSeries(s) })),
        summary,
      );
      ctx.metrics.samplesIngested.inc(fresh.length);
      agent.send({ type: 'metrics.ack', seqs: ordered.map((s) => s.seq) });
      if (fresh.length === 0) return;
      // Live viewers need the present, not a replayed backlog: publish the newest new sample only.
      const freshSet = new Set(fresh);
      const live = ordered.filter((s) => freshSet.has(s.seq)).reduce((a, b) => (b.ts >= a.ts ? b : a));
      ctx.bus.publish(
        topicFor.host(agent.hostId),
        createFrame({ type: 'metrics', hostId: agent.hostId, sample: live }, 'metrics', {
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
            summary: summarizeSample(live),
          },
          'metrics',
          { coalesceKey: `summary:${agent.hostId}` },
        ),
      );
    },

    /** Live mode: 1 s sampling while anyone watches the host, the slow interval otherwise. */
    setWatched(hostId: string, isWatched: boolean): void {
      if (isWatched) watched.add(hostId);
      else watched.delete(hostId);
      void ctx.bus.sendToAgent(hostId, { type: 'metrics.interval', intervalMs: intervalFor(hostId) });
    },

    agentConnected(agent: AgentSession): void {
      agent.send({ type: 'metrics.interval', intervalMs: intervalFor(agent.hostId) });
    },
  };
}
