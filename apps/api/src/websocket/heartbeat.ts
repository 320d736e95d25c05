/** @module websocket/heartbeat — one timer per gateway: ping every socket, drop the silent, touch live hosts. */
import type { GatewayRuntime } from './runtime.js';

/** Hosts per `touch` statement (stays under every database's bound-parameter limit). */
const TOUCH_BATCH = 500;

/**
 * Every `intervalMs`: a socket that did not answer the previous ping is terminated (its close handler
 * marks the host offline, so within two intervals); every other socket is pinged. The `last_seen_at`
 * of every connected agent is refreshed in batches. Returns a stop function.
 */
export function startHeartbeat(rt: GatewayRuntime, intervalMs: number): () => void {
  const { ctx, registry } = rt;
  let touching = false;
  const timer = setInterval(() => {
    for (const connection of registry.connections()) {
      if (!connection.alive) {
        ctx.logger.info(
          { event: 'ws.heartbeat.timeout', kind: connection.kind, connectionId: connection.id },
          'no pong: terminating',
        );
        connection.terminate();
        continue;
      }
      connection.alive = false;
      try {
        connection.ws.ping();
      } catch (error) {
        ctx.logger.debug({ err: error, connectionId: connection.id }, 'ping failed');
      }
    }
    if (touching) return;
    const hostIds = registry.agentHostIds();
    if (hostIds.length === 0) return;
    touching = true;
    rt.track(
      touchHosts(rt, hostIds).finally(() => {
        touching = false;
      }),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function touchHosts(rt: GatewayRuntime, hostIds: string[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < hostIds.length; i += TOUCH_BATCH) {
    await rt.ctx.store.hosts.touch(hostIds.slice(i, i + TOUCH_BATCH), now);
  }
}
