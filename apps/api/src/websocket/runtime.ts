/** @module websocket/runtime — the state one gateway shares between its handlers: registry and fan-out. */
import type { ServerToAgent, ServerToClient } from '@hostwire/protocol';
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.js';
import type { ConnectionKind } from '../observability/metrics.js';
import { Connection } from './connection.js';
import { ConnectionRegistry } from './registry.js';
import { TopicFanout } from './topic-fanout.js';

/** What each handler of one gateway works with. */
export class GatewayRuntime {
  readonly registry = new ConnectionRegistry();
  readonly fanout: TopicFanout;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly ctx: AppContext,
    /** Overrides SLOW_CONSUMER_TIMEOUT_MS (tests). */
    private readonly slowConsumerTimeoutMs?: number,
  ) {
    this.fanout = new TopicFanout(ctx.bus, (hostId, watched) => {
      try {
        ctx.hub.hostWatchersChanged(hostId, watched);
      } catch (error) {
        ctx.logger.error({ err: error, hostId }, 'hostWatchersChanged failed');
      }
    });
  }

  /** Wraps a freshly upgraded socket in the one send path every message goes through. */
  createConnection<Out extends ServerToClient | ServerToAgent>(
    ws: WebSocket,
    kind: ConnectionKind,
  ): Connection<Out> {
    const { config, metrics, logger } = this.ctx;
    return new Connection<Out>(ws, {
      kind,
      softBytes: config.ws.sendBufferSoftBytes,
      hardBytes: config.ws.sendBufferHardBytes,
      ...(this.slowConsumerTimeoutMs === undefined
        ? {}
        : { slowConsumerTimeoutMs: this.slowConsumerTimeoutMs }),
      metrics,
      logger,
    });
  }

  /** The fields both `welcome` frames share. */
  welcomeFields(): {
    serverTime: number;
    heartbeatIntervalMs: number;
    limits: { maxPayloadBytes: number; messagesPerSecond: number };
  } {
    const { ws } = this.ctx.config;
    return {
      serverTime: Date.now(),
      heartbeatIntervalMs: ws.heartbeatMs,
      limits: { maxPayloadBytes: ws.maxPayloadBytes, messagesPerSecond: ws.messagesPerSecond },
    };
  }

  /** Keeps async cleanup in view so shutdown can wait for it; its failure is logged, never thrown. */
  track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) =>
      this.ctx.logger.error({ err: error }, 'WebSocket cleanup failed'),
    );
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  /** Resolves once every tracked piece of work has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
