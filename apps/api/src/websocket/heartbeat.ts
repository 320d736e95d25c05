/** @module websocket/heartbeat — one timer per gateway: ping every socket, drop the silent (presence renews the hosts). */
import type { GatewayRuntime } from './runtime.js';

/**
 * Every `intervalMs`: a socket that did not answer the previous ping is terminated (its close handler
 * marks the host offline, so within two intervals); every other socket is pinged. Returns a stop function.
 */
export function startHeartbeat(rt: GatewayRuntime, intervalMs: number): () => void {
  const { ctx, registry } = rt;
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
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
