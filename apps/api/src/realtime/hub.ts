/** @module realtime/hub — routes agent and client messages to metrics, logs and actions; prunes history. */
import { topicFor } from '@hostwire/protocol';
import type { Hub } from '../context.js';
import { asSocketError } from '../auth/access.js';
import { ApiError } from '../errors.js';
import { createFrame } from './bus/types.js';
import type { HubContext } from './hub-context.js';
import { createLogSessions } from './log-sessions.js';
import { createMetricsIngest } from './metrics-ingest.js';

const PRUNE_INTERVAL_MS = 60_000;

export function createHub(ctx: HubContext): Hub {
  const { presence } = ctx.domain;
  const metrics = createMetricsIngest(ctx);
  const logs = createLogSessions(ctx, presence);
  const { actions } = ctx.domain;

  let pruning = false;
  const pruneTimer = setInterval(() => {
    if (pruning) return;
    pruning = true;
    const now = Date.now();
    const m = ctx.config.metrics;
    ctx.store.metrics
      .prune({ raw: now - m.rawRetentionMs, '1m': now - m.minuteRetentionMs, '1h': now - m.hourRetentionMs })
      .then(() => ctx.store.sessions.pruneExpired(now))
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'pruning failed'))
      .finally(() => {
        pruning = false;
      });
  }, PRUNE_INTERVAL_MS);
  pruneTimer.unref();

  return {
    async agentConnected(agent) {
      await presence.connected(agent);
      metrics.agentConnected(agent);
    },

    async agentMessage(agent, message) {
      switch (message.type) {
        case 'hello': {
          presence.announced(agent, message);
          const info = {
            agentVersion: message.agentVersion,
            hostname: message.hostname,
            os: message.os,
            actions: message.actions,
            logSources: message.logSources,
          };
          await ctx.store.hosts.setAgentInfo(agent.hostId, info);
          ctx.bus.publish(
            topicFor.host(agent.hostId),
            createFrame({ type: 'host.agent', hostId: agent.hostId, ...info }),
          );
          const host = await ctx.store.hosts.findById(agent.hostId);
          if (host) {
            // The fleet view shows agent details too: tell the organization the host changed.
            ctx.bus.publish(
              topicFor.org(agent.organizationId),
              createFrame({
                type: 'host.upserted',
                organizationId: agent.organizationId,
                hostId: agent.hostId,
                name: host.name,
              }),
            );
          }
          return;
        }
        case 'logs.sources': {
          // The agent re-checked which sources exist (or its containers changed): keep the rest of its
          // hello, tell the host's viewers.
          const hello = presence.hello(agent.hostId);
          if (hello) presence.announced(agent, { ...hello, logSources: message.logSources });
          const host = await ctx.store.hosts.findById(agent.hostId);
          if (!host?.agent) return;
          const info = { ...host.agent, logSources: message.logSources };
          await ctx.store.hosts.setAgentInfo(agent.hostId, info);
          ctx.bus.publish(
            topicFor.host(agent.hostId),
            createFrame({ type: 'host.agent', hostId: agent.hostId, ...info }),
          );
          return;
        }
        case 'metrics':
          return metrics.ingest(agent, message.samples);
        case 'logs.lines':
        case 'logs.ended':
          return logs.fromAgent(agent, message);
        case 'action.started':
        case 'action.output':
        case 'action.result':
          return actions.fromAgent(agent, message);
      }
    },

    agentReply(agent, reply) {
      logs.agentReply(agent, reply);
    },

    agentDisconnected(agent) {
      return presence.disconnected(agent);
    },

    async clientRequest(client, request) {
      try {
        switch (request.type) {
          case 'logs.subscribe':
            return { streamId: await logs.subscribe(client, request) };
          case 'logs.unsubscribe':
            logs.unsubscribe(client, request.streamId);
            return {};
          case 'logs.check': {
            await ctx.access.requireHost(client.userId, request.hostId, 'viewer');
            if (!(await ctx.bus.sendToAgent(request.hostId, { type: 'logs.check' })))
              throw new ApiError('agent_offline', 'The host agent is not connected');
            return {};
          }
          case 'action.run':
            return {
              actionId: (
                await actions.run(
                  { userId: client.userId, ip: client.ip },
                  request.hostId,
                  request.action,
                  request.params,
                )
              ).id,
            };
          case 'action.cancel':
            return {
              actionId: (await actions.cancel({ userId: client.userId, ip: client.ip }, request.actionId)).id,
            };
        }
      } catch (error) {
        throw asSocketError(error);
      }
    },

    clientClosed(client) {
      logs.clientClosed(client);
    },

    hostWatchersChanged(hostId, watched) {
      metrics.setWatched(hostId, watched);
    },

    accessChanged(userId) {
      return logs.accessChanged(userId);
    },

    async close() {
      clearInterval(pruneTimer);
      logs.close();
      await metrics.close();
    },
  };
}
