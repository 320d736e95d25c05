/** @module realtime/bus/types — the Bus: topic fan-out, agent routing and control events, on one instance or many. */
import type { ServerToAgent, ServerToClient } from '@hostwire/protocol';

/**
 * How a frame behaves under backpressure on a slow socket: `metrics` coalesce to the newest per
 * `coalesceKey`, `logs` are dropped and counted per `streamId`, `event` frames are always queued.
 */
export type FrameClass = 'metrics' | 'logs' | 'event';

/** A message serialized once, shared by every socket that receives it. */
export interface Frame {
  readonly data: string;
  readonly class: FrameClass;
  readonly coalesceKey?: string;
  readonly streamId?: string;
  /** The message's `type`, for metrics labels (computed once, not per socket). */
  readonly type: string;
  /** UTF-8 size of `data` (computed once, not per socket). */
  readonly bytes: number;
  /** Lines of a `logs.lines` frame (computed once; counted when a congested socket drops it). */
  readonly lines?: number;
  /**
   * The message `data` was serialized from, when the frame was built in this process: local receivers
   * read it instead of parsing `data` again. Frames from another instance carry only `data`.
   */
  readonly message?: ServerToClient | RelayMessage;
}

/**
 * What instances relay to each other on internal topics (an agent's tail frames and replies), never to a
 * browser. `hostId` names the host whose agent sent it; the receiving instance checks it.
 */
export type RelayMessage = (
  | { type: 'logs.lines'; streamId: string; lines: unknown[]; dropped?: number }
  | { type: 'logs.ended'; streamId: string; reason: string }
  | { type: 'ack'; id: string }
  | { type: 'error'; id: string; code?: string; message?: string }
) & { hostId?: string };

/** Events every instance must see (sessions ending, hosts deleted, memberships changing, agents moving). */
export type ControlEvent =
  | { kind: 'session.revoked'; sessionId: string }
  | { kind: 'user.memberships-changed'; userId: string }
  | { kind: 'host.deleted'; hostId: string; organizationId: string }
  | { kind: 'host.revoked'; hostId: string }
  | { kind: 'agent.connected'; hostId: string; epoch: number; instanceId: string };

export type Unsubscribe = () => void;

export interface Bus {
  /** This instance's id (unique per process). */
  readonly instanceId: string;
  /** Delivers a frame to every subscriber of `topic`, on every instance. */
  publish(topic: string, frame: Frame): void;
  /** Receives the frames of `topic` published anywhere. */
  subscribe(topic: string, handler: (frame: Frame) => void): Unsubscribe;
  /** Declares that this instance holds the live connection of `hostId`; messages for it reach `handler`. */
  claimAgent(hostId: string, handler: (message: ServerToAgent) => void): Unsubscribe;
  /** Sends to the agent of `hostId` wherever it is connected; false when no instance holds it. */
  sendToAgent(hostId: string, message: ServerToAgent): Promise<boolean>;
  /** True when some instance holds the agent of `hostId`. */
  isAgentConnected(hostId: string): Promise<boolean>;
  /**
   * Records whether this instance has viewers of `hostId` and returns how many instances do, so live
   * mode follows the viewers of the whole cluster, not of one instance.
   */
  watchHost(hostId: string, watched: boolean): Promise<number>;
  /** How many instances have viewers of `hostId`. */
  hostWatchers(hostId: string): Promise<number>;
  /** Sends a control event to every instance, this one included. */
  broadcast(event: ControlEvent): void;
  onControl(handler: (event: ControlEvent) => void): Unsubscribe;
  /** Called with the topics that may have missed frames while the backplane was down. */
  onGap(handler: (topics: string[]) => void): Unsubscribe;
  /** False while the backplane is unreachable (readiness). */
  isHealthy(): boolean;
  close(): Promise<void>;
}

/** Serializes a server-to-client message once into a Frame (typed against the protocol's union). */
export function createFrame(
  message: ServerToClient,
  cls: FrameClass = 'event',
  extra: { coalesceKey?: string; streamId?: string } = {},
): Frame {
  return build(message, cls, extra);
}

/** Serializes a message for one socket (Connection.send): to a browser or to an agent. */
export function createSocketFrame(message: ServerToClient | ServerToAgent): Frame {
  return frameFromData(JSON.stringify(message), 'event', {}, message.type);
}

/** Serializes a message only instances exchange (see RelayMessage) once into a Frame. */
export function createRelayFrame(message: RelayMessage): Frame {
  return build(message, 'event', {});
}

function build(
  message: ServerToClient | RelayMessage,
  cls: FrameClass,
  extra: { coalesceKey?: string; streamId?: string; lines?: number },
): Frame {
  const lines = message.type === 'logs.lines' ? message.lines.length : undefined;
  const data = JSON.stringify(message);
  const frame = frameFromData(data, cls, lines === undefined ? extra : { ...extra, lines }, message.type);
  return { ...frame, message };
}

const TYPE_PREFIX = /^\{"type":"([A-Za-z0-9._-]{1,40})"/;

/** Wraps already-serialized JSON (a frame received from the backplane) into a Frame. */
export function frameFromData(
  data: string,
  cls: FrameClass,
  extra: { coalesceKey?: string; streamId?: string; lines?: number } = {},
  type: string = TYPE_PREFIX.exec(data)?.[1] ?? 'other',
): Frame {
  return { data, class: cls, ...extra, type, bytes: Buffer.byteLength(data) };
}
