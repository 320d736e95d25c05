/** @module realtime/types — the seam between the WebSocket gateway (connections) and the hub (features). */
import type {
  AgentToServer,
  ClientActionCancel,
  ClientActionRun,
  ClientLogsSubscribe,
  ClientLogsUnsubscribe,
  ClientLogsCheck,
  ServerToAgent,
  ServerToClient,
} from '@hostwire/protocol';
import type { z } from 'zod';
import type { Frame } from './bus/types.js';

/** A live, authenticated agent connection as the hub sees it. */
export interface AgentSession {
  readonly hostId: string;
  readonly organizationId: string;
  /** Grows with every new connection of the same host; a stale session's cleanup checks it. */
  readonly epoch: number;
  send(message: ServerToAgent): void;
}

/** A live, authenticated browser connection as the hub sees it. */
export interface ClientSession {
  readonly connectionId: string;
  readonly userId: string;
  readonly sessionId: string;
  /** The client's address, as resolved at the handshake (audited with the actions it starts). */
  readonly ip: string | null;
  /** Sends a pre-serialized frame through the socket's backpressure policy. */
  sendFrame(frame: Frame): void;
  send(message: ServerToClient): void;
}

export type ClientFeatureRequest =
  | z.infer<typeof ClientLogsSubscribe>
  | z.infer<typeof ClientLogsUnsubscribe>
  | z.infer<typeof ClientLogsCheck>
  | z.infer<typeof ClientActionRun>
  | z.infer<typeof ClientActionCancel>;

/** Extra fields of the `ack` answering a feature request. */
export interface AckFields {
  streamId?: string;
  actionId?: string;
}

/** What the gateway calls; the hub implements it. Errors thrown are ApiErrors answered to the client. */
export interface RealtimeHandlers {
  /** The agent's connection became its host's live one (the host turns online). */
  agentConnected(agent: AgentSession): Promise<void>;
  agentMessage(
    agent: AgentSession,
    message: Exclude<AgentToServer, { type: 'ack' | 'error' }>,
  ): Promise<void>;
  /** The agent answered a request the hub sent with an id. */
  agentReply(agent: AgentSession, reply: Extract<AgentToServer, { type: 'ack' | 'error' }>): void;
  /** The connection closed (the host turns offline unless a newer connection holds it). */
  agentDisconnected(agent: AgentSession): Promise<void>;
  clientRequest(client: ClientSession, request: ClientFeatureRequest): Promise<AckFields>;
  clientClosed(client: ClientSession): void;
  /** The first viewer of `host:<hostId>` arrived (true) or the last one left (false), on this instance. */
  hostWatchersChanged(hostId: string, watched: boolean): void;
  /** A user lost access to an organization (or its session ended): end what it no longer may see. */
  accessChanged(userId: string): Promise<void>;
}
