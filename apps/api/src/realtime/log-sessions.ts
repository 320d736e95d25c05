/** @module realtime/log-sessions — one agent tail per (host, source, filter), shared by every viewer. */
import { randomUUID } from 'node:crypto';
import type { LogFilter, LogLine, ServerToClient } from '@hostwire/protocol';
import { ApiError } from '../errors.js';
import { createFrame, type Frame } from './bus/types.js';
import type { AgentDirectory, HubContext } from './hub-context.js';
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
}

interface PendingReply {
  resolve: () => void;
  reject: (error: ApiError) => void;
  timer: NodeJS.Timeout;
}

export function createLogSessions(ctx: HubContext, directory: AgentDirectory) {
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
    const id = `logs-${randomUUID()}`;
    const reply = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
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
      const entry = pending.get(id);
      if (entry) clearTimeout(entry.timer);
      pending.delete(id);
      throw new ApiError('agent_offline');
    }
    await reply;
  }

  function end(session: TailSession, reason: string, notify: boolean): void {
    if (notify) broadcast(session, { type: 'logs.ended', streamId: session.streamId, reason });
    byKey.delete(session.key);
    byStream.delete(session.streamId);
  }

  function removeViewer(session: TailSession, connectionId: string): void {
    session.viewers.delete(connectionId);
    if (session.viewers.size > 0) return;
    end(session, 'no viewers', false);
    void ctx.bus.sendToAgent(session.hostId, { type: 'logs.stop', streamId: session.streamId });
  }

  return {
    async subscribe(
      client: ClientSession,
      request: { hostId: string; source: string; filter?: LogFilter; backfill: number },
    ): Promise<string> {
      const { host } = await ctx.access.requireHost(client.userId, request.hostId, 'viewer');
      const hello = directory.hello(host.id);
      if (!hello) throw new ApiError('agent_offline');
      if (!hello.logSources.some((s) => s.name === request.source)) {
        throw new ApiError('unknown_source', `The host does not offer the log source "${request.source}"`);
      }
      if (request.filter?.regex) {
        try {
          new RegExp(request.filter.pattern, 'u');
        } catch {
          throw new ApiError('invalid_message', 'The filter is not a valid regular expression');
        }
      }
      const key = keyOf(host.id, request.source, request.filter);
      let session = byKey.get(key);
      if (session) {
        session.viewers.set(client.connectionId, { client, userId: client.userId });
        const backfill = session.recent.slice(-request.backfill);
        if (backfill.length > 0) {
          queueMicrotask(() =>
            client.send({ type: 'logs.lines', streamId: session?.streamId ?? '', lines: backfill }),
          );
        }
        return session.streamId;
      }
      session = {
        streamId: randomUUID(),
        hostId: host.id,
        source: request.source,
        filter: request.filter,
        key,
        viewers: new Map([[client.connectionId, { client, userId: client.userId }]]),
        recent: [],
        state: 'starting',
      };
      byKey.set(key, session);
      byStream.set(session.streamId, session);
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

    lines(agent: AgentSession, streamId: string, lines: LogLine[], dropped: number | undefined): void {
      const session = byStream.get(streamId);
      if (!session || session.hostId !== agent.hostId) {
        // A tail nobody watches any more (or another host's id): tell the agent to stop it.
        agent.send({ type: 'logs.stop', streamId });
        return;
      }
      if (dropped) broadcast(session, { type: 'logs.dropped', streamId, count: dropped });
      if (lines.length === 0) return;
      session.recent.push(...lines);
      if (session.recent.length > BACKFILL_KEPT)
        session.recent.splice(0, session.recent.length - BACKFILL_KEPT);
      broadcast(session, { type: 'logs.lines', streamId, lines }, 'logs');
    },

    ended(agent: AgentSession, streamId: string, reason: string): void {
      const session = byStream.get(streamId);
      if (session && session.hostId === agent.hostId) end(session, reason, true);
    },

    agentReply(reply: { type: 'ack' | 'error'; id?: string; code?: string; message?: string }): void {
      const entry = reply.id === undefined ? undefined : pending.get(reply.id);
      if (!entry || reply.id === undefined) return;
      pending.delete(reply.id);
      clearTimeout(entry.timer);
      if (reply.type === 'ack') entry.resolve();
      else
        entry.reject(
          new ApiError(
            reply.code === 'unknown_source' ? 'unknown_source' : 'invalid_message',
            reply.message ?? 'The agent refused the tail',
          ),
        );
    },

    agentDisconnected(hostId: string): void {
      for (const session of byStream.values()) {
        if (session.hostId !== hostId || session.state === 'interrupted') continue;
        session.state = 'interrupted';
        broadcast(session, {
          type: 'logs.interrupted',
          streamId: session.streamId,
          reason: 'agent disconnected',
        });
      }
    },

    /** After the agent's hello: restart interrupted tails; they resume without viewers doing anything. */
    agentAnnounced(hostId: string): void {
      for (const session of [...byStream.values()]) {
        if (session.hostId !== hostId || session.state !== 'interrupted') continue;
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
    },

    /** Tails currently running on agents (for tests and metrics). */
    count(): number {
      return byStream.size;
    },

    close(): void {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
    },
  };
}
