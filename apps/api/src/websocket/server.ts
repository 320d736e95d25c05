/** @module websocket/server — the gateway: limits and authentication before the 101, then the handlers; shutdown. */
import { randomInt } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, formatRetryHint } from '@hostwire/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveClientIp } from '../client-ip.js';
import type { AppContext } from '../context.js';
import { redactUrl } from '../logger.js';
import type { ConnectionKind } from '../observability/metrics.js';
import { handleAgentConnection } from './agent-handler.js';
import { authenticateWebSocket, type WebSocketAuthResult } from './auth.js';
import { handleClientConnection } from './client-handler.js';
import { recoverFromGap } from './backplane-gap.js';
import { handleControlEvent } from './control-events.js';
import { startHeartbeat } from './heartbeat.js';
import { ConnectionLimits, type Release } from './limits.js';
import { writeRefusal, type Refusal } from './refusal.js';
import { GatewayRuntime } from './runtime.js';

/** The WebSocket side of a running server. */
export interface Gateway {
  /**
   * Open sockets: agents, clients, and per organization its agents plus its members' browser sockets.
   */
  counts(): { agents: number; clients: number; byOrganization: Record<string, number> };
  /** Per-socket send-queue state (bytes held by the gateway, bytes buffered by ws), for diagnostics and tests. */
  connectionStats(): { id: string; kind: ConnectionKind; heldBytes: number; bufferedAmount: number }[];
  /**
   * Stops accepting (503), closes every socket with 1001 and a `retry-after=<1-10>` hint, terminates the
   * ones still open after `timeoutMs`, and stops the timers.
   */
  close(timeoutMs: number): Promise<void>;
  /** Resolves once the cleanup of every closed socket so far (presence, hub) has finished. */
  settled(): Promise<void>;
}

export interface GatewayOptions {
  /** Overrides the 30 s a socket may stay congested before 4008 (tests). */
  slowConsumerTimeoutMs?: number;
}

const HANDSHAKE_TIMEOUT = Symbol('handshake timeout');

/** Reconnect hint for a fleet: 1-10 s at random, so thousands of agents do not come back at once. */
function jitteredRetrySeconds(): number {
  return randomInt(1, 11);
}

/** What an upgrade gets once shutdown started: 503 with a spread-out retry hint. */
function shuttingDownRefusal(): Refusal {
  return {
    status: 503,
    code: 'unavailable',
    reason: 'shutting down',
    retryAfterSeconds: jitteredRetrySeconds(),
  };
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof HANDSHAKE_TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof HANDSHAKE_TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(HANDSHAKE_TIMEOUT), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Attaches the WebSocket gateway to `server`: `/ws/agent/:hostId` and `/ws/client`. Every upgrade
 * passes the limits, then authentication (under a deadline), and only then gets its 101.
 */
export function attachGateway(server: http.Server, ctx: AppContext, options: GatewayOptions = {}): Gateway {
  const { config, logger, metrics } = ctx;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.ws.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const rt = new GatewayRuntime(ctx, options.slowConsumerTimeoutMs);
  const limits = new ConnectionLimits(config.ws);
  const stopHeartbeat = startHeartbeat(rt, config.ws.heartbeatMs);
  const stopControl = ctx.bus.onControl((event) => {
    try {
      handleControlEvent(rt, event);
    } catch (error) {
      logger.error({ err: error, event: event.kind }, 'control event failed');
    }
  });

  const stopGap = ctx.bus.onGap((topics) => {
    logger.warn({ topics: topics.length }, 'backplane reconnected; telling followers about the gap');
    rt.track(recoverFromGap(rt, topics));
  });

  function refuse(req: http.IncomingMessage, socket: Duplex, ip: string, refusal: Refusal): void {
    metrics.upgradesRefused.inc({ status: String(refusal.status) });
    logger.info(
      {
        event: 'ws.refused',
        status: refusal.status,
        code: refusal.code,
        reason: refusal.reason,
        ip,
        url: redactUrl(req.url),
      },
      'WebSocket upgrade refused',
    );
    writeRefusal(socket, refusal);
  }

  function accept(
    ws: WebSocket,
    auth: Extract<WebSocketAuthResult, { ok: true }>,
    ip: string,
    helloSlot: Release,
  ): void {
    ws.on('error', (error) => logger.debug({ err: error, kind: auth.principal.kind }, 'WebSocket error'));
    if (auth.principal.kind === 'agent') handleAgentConnection(rt, ws, auth.principal, helloSlot);
    else handleClientConnection(rt, ws, auth.principal, ip);
  }

  async function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ip = resolveClientIp(req, config.trustProxy);
    if (ctx.lifecycle.shuttingDown) {
      return refuse(req, socket, ip, shuttingDownRefusal());
    }
    const admitted = limits.admitUpgrade(ip);
    if (!admitted.ok) return refuse(req, socket, ip, admitted.refusal);
    // The slot is held until this socket closes, whether it is refused, upgraded or abandoned.
    socket.once('close', admitted.release);

    const auth = await withDeadline(authenticateWebSocket(req, ctx), config.ws.handshakeTimeoutMs);
    if (socket.destroyed) return;
    if (auth === HANDSHAKE_TIMEOUT) {
      return refuse(req, socket, ip, {
        status: 503,
        code: 'unavailable',
        reason: 'authentication timed out',
        retryAfterSeconds: 1,
      });
    }
    if (!auth.ok)
      return refuse(req, socket, ip, { status: auth.status, code: auth.code, reason: auth.reason });
    if (ctx.lifecycle.shuttingDown) {
      return refuse(req, socket, ip, shuttingDownRefusal());
    }
    let helloSlot: Release = () => undefined;
    if (auth.principal.kind === 'client') {
      const user = limits.admitUser(auth.principal.userId);
      if (!user.ok) return refuse(req, socket, ip, user.refusal);
      socket.once('close', user.release);
    } else {
      const slot = limits.admitAgentBeforeHello(auth.principal.hostId, ip);
      if (!slot.ok) return refuse(req, socket, ip, slot.refusal);
      helloSlot = slot.release;
      socket.once('close', helloSlot);
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, auth, ip, helloSlot));
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    // Before any await: a reset during authentication must not become an uncaught 'error'.
    socket.on('error', (error) => logger.debug({ err: error }, 'upgrade socket error'));
    upgrade(req, socket, head).catch((error: unknown) => {
      logger.error({ err: error, url: redactUrl(req.url) }, 'WebSocket upgrade failed');
      refuse(req, socket, resolveClientIp(req, config.trustProxy), {
        status: 500,
        code: 'internal',
        reason: 'upgrade handler failed',
      });
    });
  }
  server.on('upgrade', onUpgrade);

  let closing: Promise<void> | undefined;
  async function shutdown(timeoutMs: number): Promise<void> {
    ctx.lifecycle.shuttingDown = true;
    stopHeartbeat();
    stopControl();
    stopGap();
    const connections = rt.registry.connections();
    for (const connection of connections)
      connection.close(CLOSE_CODES.GOING_AWAY, formatRetryHint(jitteredRetrySeconds()));
    let timer: NodeJS.Timeout | undefined;
    const allClosed = Promise.all(connections.map((c) => c.closed));
    await Promise.race([allClosed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    for (const connection of connections) connection.terminate();
    await allClosed;
    await rt.settled();
    rt.fanout.close();
    server.off('upgrade', onUpgrade);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    counts: () => rt.registry.counts(),
    settled: () => rt.settled(),
    connectionStats: () =>
      rt.registry.connections().map((c) => ({
        id: c.id,
        kind: c.kind,
        heldBytes: c.heldBytes,
        bufferedAmount: c.ws.bufferedAmount,
      })),
    close(timeoutMs) {
      closing ??= shutdown(timeoutMs);
      return closing;
    },
  };
}
