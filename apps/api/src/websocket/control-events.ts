/** @module websocket/control-events — sessions ending, memberships changing, hosts revoked, agents moving. */
import { CLOSE_CODES } from '@hostwire/protocol';
import { ApiError } from '../errors.js';
import type { ControlEvent } from '../realtime/bus/types.js';
import { enqueue } from './client-handler.js';
import { sendError } from './inbound.js';
import type { GatewayRuntime } from './runtime.js';
import { authorizeTopic } from './topic-access.js';

/**
 * Applies a control event (from this instance or another) to the local sockets:
 * - `session.revoked` → that session's browser sockets close with 4001;
 * - `user.memberships-changed` → every subscription of the user's sockets is re-authorized, the lost
 *   ones dropped with a `forbidden` error, then the hub ends what else the user may no longer see;
 * - `host.deleted` / `host.revoked` → the host's agent socket closes with 4001;
 * - `agent.connected` elsewhere → a local socket of that host is stale and closes with 4000.
 */
export function handleControlEvent(rt: GatewayRuntime, event: ControlEvent): void {
  const { ctx, registry } = rt;
  switch (event.kind) {
    case 'session.revoked':
      for (const entry of registry.clientsOfSession(event.sessionId)) {
        entry.connection.close(CLOSE_CODES.CREDENTIALS_REVOKED, 'session ended');
      }
      return;
    case 'user.memberships-changed':
      rt.track(reauthorizeUser(rt, event.userId));
      return;
    case 'host.deleted':
    case 'host.revoked': {
      const agent = registry.agent(event.hostId);
      if (!agent) return;
      agent.connection.close(
        CLOSE_CODES.CREDENTIALS_REVOKED,
        event.kind === 'host.deleted' ? 'host deleted' : 'credentials revoked',
      );
      return;
    }
    case 'agent.connected': {
      if (ctx.domain.presence.isThisInstance(event.instanceId)) return;
      const agent = registry.agent(event.hostId);
      if (!agent) return;
      // The host is online on the other instance: leave without marking it offline.
      registry.removeAgent(agent);
      agent.connection.close(CLOSE_CODES.REPLACED, 'replaced');
      return;
    }
  }
}

export async function reauthorizeUser(rt: GatewayRuntime, userId: string): Promise<void> {
  const { ctx, registry, fanout } = rt;
  const entries = registry.clientsOfUser(userId);
  if (entries.length > 0) {
    const memberships = await ctx.domain.sessions.memberships(userId);
    const organizationIds = new Set(memberships.map((m) => m.organizationId));
    await Promise.all(
      entries.map((entry) =>
        enqueue(rt, entry, undefined, async () => {
          registry.setClientOrganizations(entry, organizationIds);
          for (const topic of [...entry.subscriptions]) {
            try {
              await authorizeTopic(ctx, userId, topic);
            } catch (error) {
              if (!(error instanceof ApiError && error.code === 'forbidden')) throw error;
              fanout.remove(topic, entry);
              sendError(entry.connection, 'forbidden', `access to ${topic} was removed`);
            }
          }
        }),
      ),
    );
  }
  await ctx.hub.accessChanged(userId);
}
