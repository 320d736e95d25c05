/** @module websocket/agent-handler — an agent socket: registration by host, online/offline, frames to the hub. */
import { AgentToServer, CLOSE_CODES, type ServerToAgent } from '@hostwire/protocol';
import type { WebSocket } from 'ws';
import { toApiError } from '../errors.js';
import type { AgentSession } from '../realtime/types.js';
import type { AgentPrincipal } from './auth.js';
import type { Connection } from './connection.js';
import { InboundGuard, sendError } from './inbound.js';
import type { Release } from './limits.js';
import type { AgentEntry } from './registry.js';
import type { GatewayRuntime } from './runtime.js';

/** Above this many frames waiting for the hub, the socket stops reading (TCP pushes back on the agent). */
const MAX_PENDING_FRAMES = 64;

/**
 * Takes over an authenticated agent socket: sends `welcome`, then (after `hello`) makes it the host's live connection
 * (closing an older one with 4000), tells the hub (presence routes the host here and marks it online), then
 * hands frames to the hub one after the other. Its identity is the connection's host, never a message field.
 *
 * The socket takes over (registry, presence claim, online) only once it has sent `hello`, always: an
 * upgrade a proxy replays after a partition (a ghost of a connection the agent already gave up) never says
 * hello, so it can neither kick the agent's live connection (here or on another instance, even when both
 * upgrades land at the same moment) nor mark the host online; it is closed with 1008 after
 * `WS_HANDSHAKE_TIMEOUT_MS`. `hello` must be the first frame: any other frame before it is answered with
 * `hello_required` and closes the socket with 1008, so nothing from a socket that never said hello is held,
 * dispatched or stored. Until then the socket holds one of the host's and the address's `helloSlot`s
 * (`ConnectionLimits.admitAgentBeforeHello`), released at `hello` or close.
 */
export function handleAgentConnection(
  rt: GatewayRuntime,
  ws: WebSocket,
  principal: AgentPrincipal,
  helloSlot: Release,
): Connection {
  const { ctx, registry } = rt;
  const { hostId, organizationId } = principal;
  const connection = rt.createConnection<ServerToAgent>(ws, 'agent');
  connection.send({ type: 'welcome', ...rt.welcomeFields() } satisfies ServerToAgent);

  const epoch = registry.nextEpoch();
  const session: AgentSession = {
    hostId,
    organizationId,
    epoch,
    send: (message) => connection.send(message),
  };
  const entry: AgentEntry = {
    connection,
    session,
    hostId,
    organizationId,
    epoch,
    tokenVersion: principal.tokenVersion,
  };
  let live = false;
  let closed = false;
  let helloSeen: () => void = () => undefined;
  const hello = new Promise<void>((resolve) => (helloSeen = resolve));

  async function takeOver(): Promise<void> {
    const timer = setTimeout(
      () => connection.close(CLOSE_CODES.POLICY_VIOLATION, 'no hello within the handshake timeout'),
      ctx.config.ws.handshakeTimeoutMs,
    );
    await Promise.race([hello, connection.closed]);
    clearTimeout(timer);
    if (closed) return;
    live = true;
    const previous = registry.setAgent(entry);
    previous?.connection.close(CLOSE_CODES.REPLACED, 'replaced');
    ctx.logger.info(
      { event: 'ws.agent.connected', hostId, organizationId, epoch, connectionId: connection.id },
      'agent connected',
    );
    // Presence routes the host's messages here, marks it online and tells the other instances.
    await ctx.hub.agentConnected(session);
  }

  let chain: Promise<void> = takeOver().catch((error: unknown) =>
    ctx.logger.error({ err: error, hostId }, 'agentConnected failed'),
  );

  let pending = 0;
  let paused = false;
  // Agents are budgeted in bytes: a backfill or a metrics replay is many frames, legitimately.
  const guard = new InboundGuard(
    connection,
    AgentToServer,
    { ...ctx.config.ws, bytesPerSecond: ctx.config.ws.agentBytesPerSecond },
    ctx.metrics,
  );
  let saidHello = false;
  ws.on('message', (data, isBinary) => {
    const message = guard.accept(data, isBinary);
    if (!message) return;
    if (!saidHello) {
      if (message.type !== 'hello') return refuseBeforeHello(connection, message);
      saidHello = true;
      helloSlot();
      helloSeen();
    }
    pending += 1;
    if (pending > MAX_PENDING_FRAMES && !paused) {
      paused = true;
      ws.pause();
    }
    chain = chain
      .then(() => dispatch(rt, connection, session, message))
      .finally(() => {
        pending -= 1;
        if (paused && pending <= MAX_PENDING_FRAMES / 2) {
          paused = false;
          ws.resume();
        }
      });
  });

  void connection.closed.then((code) => {
    closed = true;
    ctx.logger.info(
      { event: 'ws.agent.closed', hostId, epoch, code, connectionId: connection.id },
      'agent disconnected',
    );
    rt.track(chain.then(() => (live ? agentClosed(rt, entry) : undefined)));
  });
  return connection;
}

async function dispatch(
  rt: GatewayRuntime,
  connection: Connection,
  session: AgentSession,
  message: AgentToServer,
): Promise<void> {
  const { ctx } = rt;
  try {
    if (message.type === 'ack' || message.type === 'error') {
      ctx.hub.agentReply(session, message);
      return;
    }
    await ctx.hub.agentMessage(session, message);
    if ('id' in message && message.id !== undefined)
      connection.send({ type: 'ack', id: message.id } satisfies ServerToAgent);
  } catch (error) {
    const apiError = toApiError(error);
    const level = apiError.code === 'internal' ? 'error' : 'warn';
    ctx.logger[level]({ err: error, hostId: session.hostId, type: message.type }, 'agent message failed');
    const id = 'id' in message ? message.id : undefined;
    sendError(connection, apiError.code, apiError.message, id);
  }
}

/** A frame other than `hello` came first: answer it (requests get exactly one answer) and close with 1008. */
function refuseBeforeHello(connection: Connection, message: AgentToServer): void {
  sendError(
    connection,
    'hello_required',
    `"${message.type}" before "hello": hello must be the first frame`,
    'id' in message ? message.id : undefined,
  );
  connection.close(CLOSE_CODES.POLICY_VIOLATION, 'hello must be the first frame');
}

/** Leaves the registry; presence marks the host offline only if this connection still held it. */
async function agentClosed(rt: GatewayRuntime, entry: AgentEntry): Promise<void> {
  rt.registry.removeAgent(entry);
  await rt.ctx.hub.agentDisconnected(entry.session);
}
