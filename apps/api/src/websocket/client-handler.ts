/** @module websocket/client-handler — a browser socket: subscriptions, feature requests, session expiry. */
import { ClientToServer, CLOSE_CODES, type ServerToClient } from '@hostwire/protocol';
import type { WebSocket } from 'ws';
import { asSocketError } from '../auth/access.js';
import { ApiError, toApiError } from '../errors.js';
import type { AckFields, ClientFeatureRequest, ClientSession } from '../realtime/types.js';
import type { ClientPrincipal } from './auth.js';
import type { Connection } from './connection.js';
import { InboundGuard, sendError } from './inbound.js';
import type { ClientEntry } from './registry.js';
import type { GatewayRuntime } from './runtime.js';
import { authorizeTopic } from './topic-access.js';

/** Topics one socket may follow at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000;
/** setTimeout's longest delay; longer session expiries are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Takes over an authenticated browser socket: sends `welcome`, registers it, closes it with 4001 when
 * its session expires, and answers every request with an id with exactly one `ack` or `error`.
 */
export function handleClientConnection(
  rt: GatewayRuntime,
  ws: WebSocket,
  principal: ClientPrincipal,
  /** The client's address (behind the trusted proxies), recorded with what the socket does. */
  ip: string | null = null,
): Connection {
  const { ctx, registry, fanout } = rt;
  const connection = rt.createConnection<ServerToClient>(ws, 'client');
  connection.send({
    type: 'welcome',
    ...rt.welcomeFields(),
    userId: principal.userId,
    organizations: principal.organizations,
    sampling: {
      slowIntervalMs: ctx.config.metrics.slowIntervalMs,
      liveIntervalMs: ctx.config.metrics.liveIntervalMs,
    },
  } satisfies ServerToClient);

  const session: ClientSession = {
    connectionId: connection.id,
    userId: principal.userId,
    sessionId: principal.sessionId,
    ip,
    sendFrame: (frame) => connection.sendFrame(frame),
    send: (message) => connection.send(message),
  };
  const entry: ClientEntry = {
    connection,
    session,
    userId: principal.userId,
    sessionId: principal.sessionId,
    organizationIds: new Set(principal.organizations.map((o) => o.id)),
    subscriptions: new Set(),
    chain: Promise.resolve(),
  };
  registry.addClient(entry);
  const expiry = scheduleExpiry(connection, principal.sessionExpiresAt);

  const guard = new InboundGuard(connection, ClientToServer, ctx.config.ws, ctx.metrics);
  ws.on('message', (data, isBinary) => {
    const message = guard.accept(data, isBinary);
    if (message) handleClientMessage(rt, entry, message);
  });

  void connection.closed.then(() => {
    expiry.cancel();
    registry.removeClient(entry);
    fanout.removeAll(entry);
    try {
      ctx.hub.clientClosed(session);
    } catch (error) {
      ctx.logger.error({ err: error, userId: entry.userId }, 'clientClosed failed');
    }
  });
  return connection;
}

function handleClientMessage(rt: GatewayRuntime, entry: ClientEntry, message: ClientToServer): void {
  const { fanout } = rt;
  switch (message.type) {
    case 'subscribe': {
      const { topic } = message;
      void enqueue(rt, entry, message.id, async () => {
        await authorizeTopic(rt.ctx, entry.userId, topic);
        if (!entry.connection.isOpen) return;
        if (!entry.subscriptions.has(topic) && entry.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          throw new ApiError(
            'bad_request',
            `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`,
          );
        }
        fanout.add(topic, entry);
      });
      return;
    }
    case 'unsubscribe': {
      const { topic } = message;
      void enqueue(rt, entry, message.id, () => {
        fanout.remove(topic, entry);
        return Promise.resolve();
      });
      return;
    }
    default:
      void featureRequest(rt, entry, message);
  }
}

/**
 * Runs a subscription change after the socket's earlier ones (a subscribe and the unsubscribe after
 * it cannot swap), then answers it.
 */
export function enqueue(
  rt: GatewayRuntime,
  entry: ClientEntry,
  id: string | undefined,
  work: () => Promise<void>,
): Promise<void> {
  const next = entry.chain.then(async () => {
    try {
      await work();
      if (id !== undefined) entry.connection.send({ type: 'ack', id } satisfies ServerToClient);
    } catch (error) {
      answerError(rt, entry, error, id);
    }
  });
  entry.chain = next;
  return next;
}

async function featureRequest(
  rt: GatewayRuntime,
  entry: ClientEntry,
  request: ClientFeatureRequest,
): Promise<void> {
  try {
    const fields: AckFields = await rt.ctx.hub.clientRequest(entry.session, request);
    if (request.id === undefined) return;
    const ack: { type: 'ack'; id: string; streamId?: string; actionId?: string } = {
      type: 'ack',
      id: request.id,
    };
    if (fields.streamId !== undefined) ack.streamId = fields.streamId;
    if (fields.actionId !== undefined) ack.actionId = fields.actionId;
    entry.connection.send(ack);
  } catch (error) {
    answerError(rt, entry, error, request.id);
  }
}

function answerError(rt: GatewayRuntime, entry: ClientEntry, error: unknown, id: string | undefined): void {
  const apiError = toApiError(asSocketError(error));
  if (apiError.code === 'internal')
    rt.ctx.logger.error({ err: error, userId: entry.userId }, 'client request failed');
  sendError(entry.connection, apiError.code, apiError.message, id);
}

/** Closes the socket with 4001 when the session reaches `expiresAt` (timer unref'd). */
function scheduleExpiry(connection: Connection, expiresAt: number): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const delay = expiresAt - Date.now();
    if (delay <= 0) {
      connection.close(CLOSE_CODES.CREDENTIALS_REVOKED, 'session expired');
      return;
    }
    timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
