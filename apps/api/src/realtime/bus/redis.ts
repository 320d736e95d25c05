/** @module realtime/bus/redis — the multi-instance Bus: Redis pub/sub fan-out, agent routing keys and control events. */
import { randomUUID } from 'node:crypto';
import { ServerToAgent } from '@hostwire/protocol';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.js';
import {
  frameFromData,
  type Bus,
  type ControlEvent,
  type Frame,
  type FrameClass,
  type Unsubscribe,
} from './types.js';

export interface RedisBusOptions {
  logger?: Logger;
  /** Lifetime of an `agent:<hostId>` routing key; refreshed every third of it while the agent stays. */
  agentKeyTtlSeconds?: number;
  /** Prepended to every key and channel, so several deployments (or test runs) can share one Redis. */
  keyPrefix?: string;
}

/** Counters for what the backplane could not carry (Redis down or erroring). */
export interface RedisBusStats {
  /** Frames and control events delivered locally but not sent to other instances. */
  publishFailures: number;
}

/** A Bus over Redis, plus counters for metrics. */
export interface RedisBus extends Bus {
  stats(): RedisBusStats;
}

const FRAME_CLASSES: ReadonlySet<string> = new Set<FrameClass>(['metrics', 'logs', 'event']);
const KEY_BATCH = 500;
// Deletes each key that still names this instance: a newer instance's claim survives an older release.
const RELEASE_SCRIPT = `local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n`;
// Sets each key that is free or already ours: never takes a host back from the instance that replaced us.
const REFRESH_SCRIPT = `local n = 0
for _, key in ipairs(KEYS) do
  local owner = redis.call('GET', key)
  if owner == false or owner == ARGV[1] then redis.call('SET', key, ARGV[1], 'EX', ARGV[2]); n = n + 1 end
end
return n`;

function connectionOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    // Nothing queues while Redis is away: commands fail at once and the bus catches them (bounded memory).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The bus resubscribes its own desired channel set on every `ready` (see resync below).
    autoResubscribe: false,
    commandTimeout: 5_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 3_000) + Math.floor(Math.random() * 100),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Connects the two Redis connections (commands and subscriber) and resolves once each is ready or has
 * failed its first attempt: a bus created while Redis is down still works locally, reports unhealthy and
 * joins the backplane when Redis comes back.
 */
export async function createRedisBus(url: string, options: RedisBusOptions = {}): Promise<RedisBus> {
  const instanceId = randomUUID();
  const prefix = options.keyPrefix ?? 'hostwire:';
  const ttlSeconds = options.agentKeyTtlSeconds ?? 60;
  const log = options.logger;
  const topicPrefix = `${prefix}topic:`;
  const instanceChannel = `${prefix}instance:${instanceId}`;
  const controlChannel = `${prefix}control`;
  const ownEcho = `[${JSON.stringify(instanceId)},`;
  const agentKey = (hostId: string) => `${prefix}agent:${hostId}`;
  /** A hash per watched host: one field per instance with viewers (expires if every instance dies). */
  const watchKey = (hostId: string) => `${prefix}watch:${hostId}`;

  const topics = new Map<string, Set<(frame: Frame) => void>>();
  const agents = new Map<string, (message: ServerToAgent) => void>();
  const pendingReleases = new Set<string>();
  const controlHandlers = new Set<(event: ControlEvent) => void>();
  const gapHandlers = new Set<(topics: string[]) => void>();
  const stats: RedisBusStats = { publishFailures: 0 };
  let outageLogged = false;
  let subSynced = false;
  let subLost = false;
  let closed = false;

  const cmd = new Redis(url, connectionOptions(`hostwire-cmd-${instanceId}`));
  const sub = new Redis(url, connectionOptions(`hostwire-sub-${instanceId}`));

  // A throwing handler must not stop the others, nor break ioredis's reply parser when called from it.
  function call<T>(label: string, handler: (arg: T) => void, arg: T): void {
    try {
      handler(arg);
    } catch (err) {
      log?.error({ err }, `bus ${label} handler threw`);
    }
  }
  function publishFailed(err: unknown): void {
    stats.publishFailures += 1;
    if (outageLogged) return;
    outageLogged = true;
    log?.warn({ err }, 'redis bus: publishing to other instances failed; delivering locally only');
  }
  function runKeyScript(script: string, hostIds: string[], extra: (string | number)[]): Promise<void> {
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < hostIds.length; i += KEY_BATCH) {
      const keys = hostIds.slice(i, i + KEY_BATCH).map(agentKey);
      batches.push(cmd.eval(script, keys.length, ...keys, instanceId, ...extra));
    }
    return Promise.all(batches).then(() => undefined);
  }
  function refreshClaims(): void {
    if (cmd.status !== 'ready') return;
    if (agents.size > 0) {
      runKeyScript(REFRESH_SCRIPT, [...agents.keys()], [ttlSeconds]).catch((err: unknown) =>
        log?.warn({ err }, 'redis bus: refreshing agent routing keys failed'),
      );
    }
    const releases = [...pendingReleases].filter((hostId) => !agents.has(hostId));
    pendingReleases.clear();
    if (releases.length > 0) releaseKeys(releases);
  }
  function releaseKeys(hostIds: string[]): void {
    if (cmd.status !== 'ready') {
      for (const hostId of hostIds) pendingReleases.add(hostId);
      return;
    }
    runKeyScript(RELEASE_SCRIPT, hostIds, []).catch((err: unknown) => {
      for (const hostId of hostIds) if (!agents.has(hostId)) pendingReleases.add(hostId);
      log?.warn({ err }, 'redis bus: releasing agent routing keys failed');
    });
  }

  function deliverFrame(topic: string, frame: Frame): void {
    const handlers = topics.get(topic);
    if (handlers) for (const handler of handlers) call('topic', handler, frame);
  }
  function deliverControl(event: ControlEvent): void {
    for (const handler of controlHandlers) call('control', handler, event);
  }
  function handleMessage(channel: string, message: string): void {
    if (channel === controlChannel) {
      const parsed: unknown = JSON.parse(message);
      if (
        isRecord(parsed) &&
        parsed.from !== instanceId &&
        isRecord(parsed.event) &&
        typeof parsed.event.kind === 'string'
      ) {
        deliverControl(parsed.event as ControlEvent);
      }
    } else if (channel === instanceChannel) {
      const parsed: unknown = JSON.parse(message);
      if (!isRecord(parsed) || typeof parsed.hostId !== 'string') return;
      const handler = agents.get(parsed.hostId);
      const result = ServerToAgent.safeParse(parsed.message);
      // The agent may have left this instance since the sender looked it up: the message is dropped.
      if (!result.success)
        log?.warn({ hostId: parsed.hostId }, 'redis bus: dropped an invalid agent message');
      else if (handler) call('agent', handler, result.data);
    } else if (channel.startsWith(topicPrefix) && !message.startsWith(ownEcho)) {
      const newline = message.indexOf('\n');
      const header: unknown = newline > 0 ? JSON.parse(message.slice(0, newline)) : undefined;
      if (!Array.isArray(header) || typeof header[1] !== 'string' || !FRAME_CLASSES.has(header[1])) return;
      const [, cls, coalesceKey, streamId, lines] = header as [string, FrameClass, unknown, unknown, unknown];
      deliverFrame(
        channel.slice(topicPrefix.length),
        frameFromData(message.slice(newline + 1), cls, {
          ...(typeof coalesceKey === 'string' ? { coalesceKey } : {}),
          ...(typeof streamId === 'string' ? { streamId } : {}),
          ...(typeof lines === 'number' ? { lines } : {}),
        }),
      );
    }
  }

  let firstSync: () => void = () => undefined;
  const firstSyncDone = new Promise<void>((resolve) => (firstSync = resolve));
  const firstCmd = new Promise<void>((resolve) => {
    const settle = () => {
      cmd.off('ready', settle).off('error', settle);
      resolve();
    };
    cmd.on('ready', settle).on('error', settle);
  });

  // ioredis only resubscribes channels acknowledged before the loss; topics added or dropped during an
  // outage would be missed, so on every `ready` the bus sends its whole desired set, then reports the gap.
  function resync(): void {
    const wasLost = subLost;
    subLost = false;
    const channels = [instanceChannel, controlChannel, ...[...topics.keys()].map((t) => topicPrefix + t)];
    sub.subscribe(...channels).then(
      () => {
        if (closed || sub.status !== 'ready') return;
        subSynced = true;
        firstSync();
        if (!wasLost || topics.size === 0) return;
        log?.warn({ topics: topics.size }, 'redis bus: subscriber reconnected; reporting a gap');
        const missed = [...topics.keys()];
        for (const handler of gapHandlers) call('gap', handler, missed);
      },
      (err: unknown) => {
        subLost ||= wasLost;
        firstSync();
        log?.warn({ err }, 'redis bus: resubscribing failed; retrying on the next connection');
      },
    );
  }
  sub.on('ready', () => {
    if (!closed) resync();
  });
  sub.on('message', (channel: string, message: string) => {
    try {
      handleMessage(channel, message);
    } catch (err) {
      log?.warn({ err, channel }, 'redis bus: dropped a malformed message');
    }
  });
  for (const conn of [cmd, sub]) {
    conn.on('error', (err: Error) => {
      if (conn === sub) firstSync();
      log?.debug(
        { err, connection: conn === cmd ? 'commands' : 'subscriber' },
        'redis bus: connection error',
      );
    });
  }
  sub.on('close', () => {
    if (subSynced) log?.warn('redis bus: subscriber connection lost');
    subSynced = false;
    subLost = true;
  });
  cmd.on('ready', () => {
    outageLogged = false;
    // Redis may have restarted (and lost the keys) or the keys expired during the outage.
    refreshClaims();
  });

  const refreshTimer = setInterval(refreshClaims, (ttlSeconds * 1000) / 3);
  refreshTimer.unref();
  await Promise.all([firstCmd, firstSyncDone]);

  return {
    instanceId,
    publish(topic, frame) {
      deliverFrame(topic, frame);
      if (cmd.status !== 'ready') {
        publishFailed(undefined);
        return;
      }
      const header = JSON.stringify([
        instanceId,
        frame.class,
        frame.coalesceKey ?? null,
        frame.streamId ?? null,
        frame.lines ?? null,
      ]);
      cmd.publish(topicPrefix + topic, `${header}\n${frame.data}`).catch(publishFailed);
    },
    subscribe(topic, handler): Unsubscribe {
      let set = topics.get(topic);
      if (!set) {
        topics.set(topic, (set = new Set()));
        if (sub.status === 'ready')
          sub.subscribe(topicPrefix + topic).catch((err: unknown) => log?.debug({ err }, 'subscribe failed'));
      }
      set.add(handler);
      return () => {
        if (!set.delete(handler) || set.size > 0 || topics.get(topic) !== set) return;
        topics.delete(topic);
        if (sub.status === 'ready')
          sub
            .unsubscribe(topicPrefix + topic)
            .catch((err: unknown) => log?.debug({ err }, 'unsubscribe failed'));
      };
    },
    claimAgent(hostId, handler) {
      agents.set(hostId, handler);
      pendingReleases.delete(hostId);
      // The newest connection wins, wherever it lands: an unconditional SET takes the host over.
      if (cmd.status === 'ready') {
        cmd
          .set(agentKey(hostId), instanceId, 'EX', ttlSeconds)
          .catch((err: unknown) =>
            log?.warn({ err, hostId }, 'redis bus: claiming an agent failed; retrying on the next refresh'),
          );
      }
      return () => {
        if (agents.get(hostId) !== handler) return;
        agents.delete(hostId);
        releaseKeys([hostId]);
      };
    },
    async sendToAgent(hostId, message) {
      const local = agents.get(hostId);
      if (local) {
        call('agent', local, message);
        return true;
      }
      try {
        const owner = await cmd.get(agentKey(hostId));
        if (!owner || owner === instanceId) return false;
        const receivers = await cmd.publish(
          `${prefix}instance:${owner}`,
          JSON.stringify({ hostId, message }),
        );
        return receivers > 0;
      } catch (err) {
        log?.warn({ err, hostId }, 'redis bus: routing a message to an agent failed');
        return false;
      }
    },
    async isAgentConnected(hostId) {
      if (agents.has(hostId)) return true;
      try {
        return (await cmd.exists(agentKey(hostId))) === 1;
      } catch (err) {
        log?.warn({ err, hostId }, 'redis bus: looking up an agent failed');
        return false;
      }
    },
    async watchHost(hostId, watched) {
      const key = watchKey(hostId);
      try {
        const tx = cmd.multi();
        if (watched) tx.hset(key, instanceId, Date.now()).expire(key, 3600);
        else tx.hdel(key, instanceId);
        tx.hlen(key);
        const count = (await tx.exec())?.at(-1)?.[1];
        return typeof count === 'number' ? count : watched ? 1 : 0;
      } catch (err) {
        log?.warn({ err, hostId }, 'redis bus: recording a host watcher failed');
        return watched ? 1 : 0;
      }
    },
    async hostWatchers(hostId) {
      try {
        return await cmd.hlen(watchKey(hostId));
      } catch (err) {
        log?.warn({ err, hostId }, 'redis bus: reading host watchers failed');
        return 0;
      }
    },
    broadcast(event) {
      deliverControl(event);
      if (cmd.status !== 'ready') {
        stats.publishFailures += 1;
        log?.warn({ kind: event.kind }, 'redis bus: control event not sent to other instances (Redis down)');
        return;
      }
      cmd.publish(controlChannel, JSON.stringify({ from: instanceId, event })).catch((err: unknown) => {
        stats.publishFailures += 1;
        log?.warn({ err, kind: event.kind }, 'redis bus: control event not sent to other instances');
      });
    },
    onControl(handler) {
      controlHandlers.add(handler);
      return () => void controlHandlers.delete(handler);
    },
    onGap(handler) {
      gapHandlers.add(handler);
      return () => void gapHandlers.delete(handler);
    },
    isHealthy: () => cmd.status === 'ready' && subSynced,
    stats: () => ({ ...stats }),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(refreshTimer);
      const held = [...agents.keys()];
      agents.clear();
      topics.clear();
      controlHandlers.clear();
      gapHandlers.clear();
      subSynced = false;
      if (cmd.status === 'ready' && held.length > 0) {
        await runKeyScript(RELEASE_SCRIPT, held, []).catch((err: unknown) =>
          log?.warn({ err }, 'redis bus: releasing agent routing keys on close failed'),
        );
      }
      await Promise.all(
        [cmd, sub].map(async (conn) => {
          if (conn.status !== 'ready') return conn.disconnect();
          await conn.quit().catch(() => conn.disconnect());
        }),
      );
    },
  };
}
