/** @module websocket/backplane-gap — after a backplane outage: tell followers, and redo missed control checks. */
import { CLOSE_CODES } from '@hostwire/protocol';
import { reauthorizeUser } from './control-events.js';
import type { GatewayRuntime } from './runtime.js';

const GAP_REASON = 'the backplane was unreachable; refetch what you show';

/**
 * Frames published elsewhere during the outage are lost, and so are control events (a logout, a removed
 * member, a deleted host): every local follower of the affected topics gets a `gap` frame, every
 * session, membership and agent credential is checked again against the store.
 */
export async function recoverFromGap(rt: GatewayRuntime, topics: readonly string[]): Promise<void> {
  const { ctx, registry } = rt;
  rt.fanout.notifyGap(topics, GAP_REASON);
  const now = Date.now();
  const clients = registry.clientEntries();
  const sessions = new Map<string, boolean>();
  for (const entry of clients) {
    if (!sessions.has(entry.sessionId))
      sessions.set(
        entry.sessionId,
        (await ctx.domain.sessions.findActive(entry.sessionId, now)) !== undefined,
      );
    if (!sessions.get(entry.sessionId))
      entry.connection.close(CLOSE_CODES.CREDENTIALS_REVOKED, 'session ended');
  }
  for (const userId of new Set(clients.map((c) => c.userId))) await reauthorizeUser(rt, userId);
  for (const agent of registry.agentEntries()) {
    const host = await ctx.domain.hosts.find(agent.hostId);
    if (!host || host.tokenVersion !== agent.tokenVersion) {
      agent.connection.close(CLOSE_CODES.CREDENTIALS_REVOKED, host ? 'credentials revoked' : 'host deleted');
    }
  }
}
