/** @module realtime/log-sessions — one agent tail per (host, source, filter) and instance, shared by its viewers. */
import { randomUUID } from 'node:crypto';
import {
  logFilterProblem,
  topicFor,
  type LogFilter,
  type LogLine,
  type ServerToClient,
} from '@hostwire/protocol';
import { ApiError } from '../errors.js';
import { createFrame, createRelayFrame, type Frame } from './bus/types.js';
import type { Presence } from '../domain/presence.js';
import type { HubContext } from './hub-context.js';
import type { AgentSession, ClientSession } from './types.js';

const BACKFILL_KEPT = 1000;
const AGENT_REPLY_TIMEOUT_MS = 10_000;

interface TailSession {
  streamId: string;
  hostId: string;
  source: string;
  filter: LogFilter | undefined;
  key: string;
  viewers: Map<string, { client: ClientSession; userId: string }>;
  recent: LogLine[];
  state: 'starting' | 'running' | 'interrupted';
  /** Drops the session's bus subscriptions: its relay topic and its host's topic. */
  unsubscribe: () => void;
}

interface PendingReply {
  resolve: () => void;
  reject: (error: ApiError) => void;
  timer: NodeJS.Timeout;
}

/** Agent frames about a tail, as relayed between instances on `tail:<streamId>`. */
type TailFrame =
  | { type: 'logs.lines'; streamId: string; lines: LogLine[]; dropped?: number }
  | { type: 'logs.ended'; streamId: string; reason: string }
  | { type: 'ack'; id: string }
  | { type: 'error'; id: string; code?: string; message?: string };

/** A tail frame relayed over the bus names the host whose agent sent it; the owner checks it. */
type RelayedFrame = TailFrame & { hostId?: string };

/** The frames of a host's topic a tail follows (the host going away, offline, or changing its sources). */
const HOST_EVENTS = new Set(['host.removed', 'host.status', 'host.agent']);
type HostEvent = { type: string; status?: string; logSources?: { name: string }[] };

/** The bus topic on which the agent's instance relays a tail's frames to the instance that owns it. */
const relayTopic = (streamId: string) => `tail:${streamId}`;
/** Request ids name their stream, so a reply can be relayed too. */
const streamOfRequest = (id: string) => /^logs:([^:]+):/.exec(id)?.[1];

/**
 * The instance where the first viewer subscribed owns the tail: it asks the agent (wherever it is
 * connected) to start it, and follows the host's topic to learn when the agent leaves (interrupted)
 * and announces itself again (resumed). Frames from the agent reach the owner directly when the agent
 * is connected here, or relayed over the bus from the agent's instance.
 */
export function createLogSessions(ctx: HubContext, presence: Presence) {
  const byKey = new Map<string, TailSession>();
  const byStream = new Map<string, TailSession>();
  const pending = new Map<string, PendingReply>();

  const keyOf = (hostId: string, source: string, filter: LogFilter | undefined) =>
    JSON.stringify([
      hostId,
      source,
      filter?.pattern ?? null,
      filter?.regex ?? false,
      filter?.ignoreCase ?? false,
    ]);

  function broadcast(session: TailSession, message: ServerToClient, cls: Frame['class'] = 'event'): void {
    const frame = createFrame(message, cls, { streamId: session.streamId });
    for (const { client } of session.viewers.values()) client.sendFrame(frame);
  }

  /** Asks the agent to start the tail and waits for its ack (or its error, e.g. unknown_source). */
  async function startOnAgent(session: TailSession, backfill: number): Promise<void> {
    const id = `logs:${session.streamId}:${randomUUID().slice(0, 8)}`;
    const reply = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        // The agent may still start the tail later: make sure it does not keep running for nobody.
        void ctx.bus.sendToAgent(session.hostId, { type: 'logs.stop', streamId: session.streamId });
        reject(new ApiError('unavailable', 'The agent did not answer in time'));
      }, AGENT_REPLY_TIMEOUT_MS);
      timer.unref();
      pending.set(id, { resolve, reject, timer });
    });
    const sent = await ctx.bus.sendToAgent(session.hostId, {
      type: 'logs.start',
      id,
      streamId: session.streamId,
      source: session.source,
      ...(session.filter ? { filter: session.filter } : {}),
      backfill,
    });
    if (!sent) {
      settleReply({ type: 'error', id, code: 'agent_offline', message: 'The host agent is not connected' });
    }
    await reply;
  }

  function settleReply(reply: Extract<TailFrame, { id: string }>): boolean {
    const entry = pending.get(reply.id);
    if (!entry) return false;
    pending.delete(reply.id);
    clearTimeout(entry.timer);
    if (reply.type === 'ack') entry.resolve();
    else if (reply.code === 'agent_offline') entry.reject(new ApiError('agent_offline'));
    else {
      const code =
        reply.code === 'unknown_source' || reply.code === 'limit_reached' ? reply.code : 'invalid_message';
      entry.reject(new ApiError(code, reply.message ?? 'The agent refused the tail'));
    }
    return true;
  }

  function end(session: TailSession, reason: string, notify: boolean): void {
    if (notify) broadcast(session, { type: 'logs.ended', streamId: session.streamId, reason });
    byKey.delete(session.key);
    byStream.delete(session.streamId);
    session.unsubscribe();
  }

  function removeViewer(session: TailSession, connectionId: string): void {
    session.viewers.delete(connectionId);
    if (session.viewers.size > 0) return;
    end(session, 'no viewers', false);
    void ctx.bus.sendToAgent(session.hostId, { type: 'logs.stop', streamId: session.streamId });
  }

  function receive(session: TailSession, frame: TailFrame): void {
    if (frame.type === 'ack' || frame.type === 'error') {
      settleReply(frame);
    } else if (frame.type === 'logs.ended') {
      end(session, frame.reason, true);
    } else {
      if (frame.dropped)
        broadcast(session, { type: 'logs.dropped', streamId: session.streamId, count: frame.dropped });
      if (frame.lines.length === 0) return;
      session.recent.push(...frame.lines);
      if (session.recent.length > BACKFILL_KEPT)
        session.recent.splice(0, session.recent.length - BACKFILL_KEPT);
      broadcast(session, { type: 'logs.lines', streamId: session.streamId, lines: frame.lines }, 'logs');
    }
  }

  /** Follows the host: offline interrupts the tail, the agent's next hello resumes it, deletion ends it. */
  function onHostEvent(session: TailSession, event: HostEvent): void {
    if (event.type === 'host.removed') {
      end(session, 'the host was deleted', true);
    } else if (
      event.type === 'host.status' &&
      event.status === 'offline' &&
      session.state !== 'interrupted'
    ) {
      session.state = 'interrupted';
      broadcast(session, {
        type: 'logs.interrupted',
        streamId: session.streamId,
        reason: 'agent disconnected',
      });
    } else if (event.type === 'host.agent' && session.state === 'interrupted') {
      if (!event.logSources?.some((s) => s.name === session.source)) {
        end(session, 'the agent no longer offers this source', true);
        return;
      }
      session.state = 'starting';
      startOnAgent(session, 0).then(
        () => {
          session.state = 'running';
          broadcast(session, { type: 'logs.resumed', streamId: session.streamId });
        },
        (error: unknown) => {
          session.state = 'interrupted';
          if (error instanceof ApiError && error.code === 'unknown_source')
            end(session, 'the agent no longer offers this source', true);
        },
      );
    }
  }

  /** Refuses a tail past the caps per socket, per user and (for a new agent tail) per host. */
  function checkCaps(client: ClientSession, hostId: string, newTail: boolean): void {
    const caps = ctx.config.logTails;
    let onSocket = 0;
    let ofUser = 0;
    let onHost = 0;
    for (const session of byStream.values()) {
      if (session.hostId === hostId) onHost += 1;
      if (session.viewers.has(client.connectionId)) onSocket += 1;
      for (const viewer of session.viewers.values()) if (viewer.userId === client.userId) ofUser += 1;
    }
    const refuse = (what: string, cap: number) => {
      throw new ApiError('limit_reached', `At most ${cap} log tails ${what}; close one first`);
    };
    if (onSocket >= caps.perSocket) refuse('per connection', caps.perSocket);
    if (ofUser >= caps.perUser) refuse('per user', caps.perUser);
    if (newTail && onHost >= caps.perHost) refuse('per host', caps.perHost);
  }

  function open(hostId: string, source: string, filter: LogFilter | undefined, key: string): TailSession {
    const streamId = randomUUID();
    const session: TailSession = {
      streamId,
      hostId,
      source,
      filter,
      key,
      viewers: new Map(),
      recent: [],
      state: 'starting',
      unsubscribe: () => undefined,
    };
    // A frame built here carries its message; only one from another instance is parsed (once, here).
    const offRelay = ctx.bus.subscribe(relayTopic(streamId), (frame) => {
      const relayed = (frame.message ?? JSON.parse(frame.data)) as RelayedFrame;
      // Only the agent of this tail's host may feed it, whichever instance relays its frames.
      if (relayed.hostId !== hostId) return;
      const { hostId: _sender, ...tailFrame } = relayed;
      receive(session, tailFrame);
    });
    const offHost = ctx.bus.subscribe(topicFor.host(hostId), (frame) => {
      // Metrics, the bulk of a host's frames, never matter to a tail.
      if (!HOST_EVENTS.has(frame.type)) return;
      onHostEvent(session, (frame.message ?? JSON.parse(frame.data)) as HostEvent);
    });
    session.unsubscribe = () => {
      offRelay();
      offHost();
    };
    byKey.set(key, session);
    byStream.set(streamId, session);
    return session;
  }

  return {
    async subscribe(
      client: ClientSession,
      request: { hostId: string; source: string; filter?: LogFilter; backfill: number },
    ): Promise<string> {
      const { host } = await ctx.access.requireHost(client.userId, request.hostId, 'viewer');
      const here = presence.hello(host.id);
      const announced = here ?? ((await presence.isConnected(host.id)) ? host.agent : null);
      if (!announced) throw new ApiError('agent_offline');
      if (!announced.logSources.some((s) => s.name === request.source)) {
        throw new ApiError('unknown_source', `The host does not offer the log source "${request.source}"`);
      }
      const problem = logFilterProblem(request.filter);
      if (problem !== undefined) throw new ApiError('invalid_message', problem);
      const key = keyOf(host.id, request.source, request.filter);
      const existing = byKey.get(key);
      checkCaps(client, host.id, existing === undefined);
      if (existing) {
        existing.viewers.set(client.connectionId, { client, userId: client.userId });
        const backfill = existing.recent.slice(-request.backfill);
        if (backfill.length > 0)
          queueMicrotask(() =>
            client.send({ type: 'logs.lines', streamId: existing.streamId, lines: backfill }),
          );
        return existing.streamId;
      }
      const session = open(host.id, request.source, request.filter, key);
      session.viewers.set(client.connectionId, { client, userId: client.userId });
      try {
        await startOnAgent(session, request.backfill);
      } catch (error) {
        end(session, 'failed to start', false);
        throw error;
      }
      session.state = 'running';
      return session.streamId;
    },

    unsubscribe(client: ClientSession, streamId: string): void {
      const session = byStream.get(streamId);
      if (!session?.viewers.has(client.connectionId))
        throw new ApiError('not_found', 'No such log stream on this connection');
      removeViewer(session, client.connectionId);
    },

    clientClosed(client: ClientSession): void {
      for (const session of [...byStream.values()])
        if (session.viewers.has(client.connectionId)) removeViewer(session, client.connectionId);
    },

    /** Drops the viewers of a user who may no longer see a host. */
    async accessChanged(userId: string): Promise<void> {
      for (const session of [...byStream.values()]) {
        for (const [connectionId, viewer] of [...session.viewers]) {
          if (viewer.userId !== userId) continue;
          const allowed = await ctx.access.requireHost(userId, session.hostId, 'viewer').then(
            () => true,
            () => false,
          );
          if (allowed) continue;
          viewer.client.send({ type: 'logs.ended', streamId: session.streamId, reason: 'access removed' });
          removeViewer(session, connectionId);
        }
      }
    },

    /** A tail frame from an agent connected here: handled here when this instance owns it, else relayed. */
    fromAgent(agent: AgentSession, frame: Extract<TailFrame, { streamId: string }>): void {
      const session = byStream.get(frame.streamId);
      if (session) {
        if (session.hostId === agent.hostId) receive(session, frame);
        return;
      }
      ctx.bus.publish(relayTopic(frame.streamId), createRelayFrame({ ...frame, hostId: agent.hostId }));
    },

    /** An agent's answer to a `logs.start`: settled here, or relayed to the instance that asked. */
    agentReply(
      agent: AgentSession,
      reply: { type: 'ack'; id: string } | { type: 'error'; id?: string; code?: string; message?: string },
    ): void {
      if (reply.id === undefined) return;
      const frame: Extract<TailFrame, { id: string }> =
        reply.type === 'ack' ? reply : { ...reply, id: reply.id };
      const streamId = streamOfRequest(reply.id);
      const session = streamId === undefined ? undefined : byStream.get(streamId);
      if (session) {
        if (session.hostId === agent.hostId) settleReply(frame);
        return;
      }
      if (streamId)
        ctx.bus.publish(relayTopic(streamId), createRelayFrame({ ...frame, hostId: agent.hostId }));
    },

    close(): void {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
      for (const session of [...byStream.values()]) session.unsubscribe();
    },
  };
}
