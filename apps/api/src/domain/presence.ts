/**
 * @module domain/presence — the one owner of "is this host's agent connected": connect and disconnect, the
 * epoch that keeps a stale connection's cleanup from marking a live host offline, persistence of `status`
 * and `last_seen_at`, and `isConnected` for everyone else.
 *
 * Across instances it heals. The instance holding an agent owns the host's row (`presence_owner` =
 * `<instanceId>:<epoch>`) under a lease it renews every heartbeat interval H (the lease lasts 1.5 H). Every
 * instance sweeps every H/2: an online host whose lease lapsed (its instance died or lost the database) turns
 * offline, at most 2 H after its last renewal, and the fleet sees the same `host.status` as for any other
 * transition. An agent still connected to an instance that lost its rows (it was paused past its lease)
 * is claimed again at the next renewal.
 */
import { topicFor, type AgentHello, type HostStatus, type ServerToAgent } from '@hostwire/protocol';
import { createFrame } from '../realtime/bus/types.js';
import type { DomainDeps } from './deps.js';

/** An agent connection as presence sees it. */
export interface PresenceAgent {
  readonly hostId: string;
  readonly organizationId: string;
  /** Grows with every connection this instance accepts; part of the row's owner. */
  readonly epoch: number;
  /** Delivers a message to this connection (what other instances send the host arrives here). */
  send(message: ServerToAgent): void;
}

interface LocalAgent {
  epoch: number;
  organizationId: string;
  owner: string;
  hello: AgentHello | undefined;
}

/** Hosts per statement (stays under every database's bound-parameter limit). */
const BATCH = 500;

/** Who else hears of status changes in this process (alerts: host_offline). */
export type StatusListener = (hostId: string, organizationId: string, status: HostStatus, at: number) => void;

export function createPresence(deps: DomainDeps, onStatus?: StatusListener) {
  const heartbeatMs = deps.config.ws.heartbeatMs;
  const leaseMs = Math.round(heartbeatMs * 1.5);
  const local = new Map<string, LocalAgent>();
  /** Bus claims by owner: a replaced connection's claim ends when it closes, not when it is replaced. */
  const claims = new Map<string, () => void>();
  /** Per host, the last status change: changes of one host apply in call order. */
  const chains = new Map<string, Promise<void>>();
  const ownerOf = (epoch: number) => `${deps.bus.instanceId}:${epoch}`;
  let timers: NodeJS.Timeout[] = [];
  let renewing = false;
  let sweeping = false;

  function publishStatus(hostId: string, organizationId: string, status: HostStatus, at: number): void {
    const frame = createFrame({ type: 'host.status', organizationId, hostId, status, lastSeenAt: at });
    deps.bus.publish(topicFor.org(organizationId), frame);
    deps.bus.publish(topicFor.host(hostId), frame);
    onStatus?.(hostId, organizationId, status, at);
  }

  /** Runs `change` after the host's previous change; failures are logged, never thrown. */
  function serialize(hostId: string, change: () => Promise<void>): Promise<void> {
    const next = (chains.get(hostId) ?? Promise.resolve())
      .then(change)
      .catch((error: unknown) =>
        deps.logger.error({ err: error, hostId }, 'could not record the host presence'),
      );
    chains.set(hostId, next);
    void next.then(() => {
      if (chains.get(hostId) === next) chains.delete(hostId);
    });
    return next;
  }

  async function claim(hostId: string, organizationId: string, owner: string): Promise<void> {
    const now = Date.now();
    if (await deps.store.hosts.claimPresence(hostId, owner, now, now + leaseMs))
      publishStatus(hostId, organizationId, 'online', now);
  }

  /** Extends the lease of every host held here; re-claims the ones a sweep took while this instance stalled. */
  async function renew(): Promise<void> {
    const held = [...local.entries()];
    for (let i = 0; i < held.length; i += BATCH) {
      const batch = held.slice(i, i + BATCH);
      const now = Date.now();
      const renewed = await deps.store.hosts.renewPresence(
        batch.map(([, agent]) => agent.owner),
        now,
        now + leaseMs,
      );
      if (renewed === batch.length) continue;
      const owners = await deps.store.hosts.presenceOwners(batch.map(([hostId]) => hostId));
      for (const [hostId, agent] of batch) {
        if (owners.get(hostId) === null && local.get(hostId) === agent)
          await serialize(hostId, () => claim(hostId, agent.organizationId, agent.owner));
      }
    }
  }

  /** Turns offline every online host whose lease lapsed, wherever it was held. */
  async function sweep(): Promise<void> {
    const now = Date.now();
    for (const host of await deps.store.hosts.expirePresence(now)) {
      deps.logger.info({ event: 'presence.expired', hostId: host.id }, 'host lease lapsed: offline');
      publishStatus(host.id, host.organizationId, 'offline', host.lastSeenAt ?? now);
    }
  }

  function every(ms: number, busy: () => boolean, work: () => Promise<void>, what: string): void {
    const timer = setInterval(() => {
      if (busy()) return;
      void work().catch((error: unknown) => deps.logger.warn({ err: error }, `presence ${what} failed`));
    }, ms);
    timer.unref();
    timers.push(timer);
  }

  return {
    /**
     * Starts renewing and sweeping. A single SQLite instance first marks every host offline: nothing can
     * be connected before it listens.
     */
    async start(): Promise<void> {
      if (deps.store.dialect === 'sqlite') await deps.store.hosts.markAllOffline(Date.now());
      every(
        heartbeatMs,
        () => renewing,
        async () => {
          renewing = true;
          await renew().finally(() => (renewing = false));
        },
        'renewal',
      );
      every(
        Math.max(25, Math.round(heartbeatMs / 2)),
        () => sweeping,
        async () => {
          sweeping = true;
          await sweep().finally(() => (sweeping = false));
        },
        'sweep',
      );
    },

    /**
     * The agent's connection on this instance is now its host's live one: messages for the host are routed
     * here, the host is online, and then every other instance drops an older socket of the host.
     */
    connected(agent: PresenceAgent): Promise<void> {
      const owner = ownerOf(agent.epoch);
      claims.set(
        owner,
        deps.bus.claimAgent(agent.hostId, (message) => agent.send(message)),
      );
      local.set(agent.hostId, {
        epoch: agent.epoch,
        organizationId: agent.organizationId,
        owner,
        hello: undefined,
      });
      return serialize(agent.hostId, async () => {
        await claim(agent.hostId, agent.organizationId, owner);
        deps.bus.broadcast({
          kind: 'agent.connected',
          hostId: agent.hostId,
          epoch: agent.epoch,
          instanceId: deps.bus.instanceId,
        });
      });
    },

    /** What the agent of this connection announced in `hello`. */
    announced(agent: PresenceAgent, hello: AgentHello): void {
      const entry = local.get(agent.hostId);
      if (entry && entry.epoch === agent.epoch) entry.hello = hello;
    },

    /**
     * The connection closed. The host turns offline only if this connection still owns it: a newer
     * connection (here or on another instance) or a deletion leaves it alone.
     */
    disconnected(agent: PresenceAgent): Promise<void> {
      const owner = ownerOf(agent.epoch);
      claims.get(owner)?.();
      claims.delete(owner);
      const entry = local.get(agent.hostId);
      if (entry && entry.epoch === agent.epoch) local.delete(agent.hostId);
      return serialize(agent.hostId, async () => {
        const now = Date.now();
        if (await deps.store.hosts.releasePresence(agent.hostId, ownerOf(agent.epoch), now))
          publishStatus(agent.hostId, agent.organizationId, 'offline', now);
      });
    },

    /** True for this instance's own id (an `agent.connected` it announced itself). */
    isThisInstance(instanceId: string): boolean {
      return instanceId === deps.bus.instanceId;
    },

    /** True when the host's agent is connected to this instance. */
    isLocal(hostId: string): boolean {
      return local.has(hostId);
    },

    /** True when the host's agent is connected to some instance. */
    async isConnected(hostId: string): Promise<boolean> {
      return local.has(hostId) || deps.bus.isAgentConnected(hostId);
    },

    /** The `hello` of the host's agent when it is connected here. */
    hello(hostId: string): AgentHello | undefined {
      return local.get(hostId)?.hello;
    },

    /** Stops renewing and sweeping, after the last status change finished. */
    async close(): Promise<void> {
      for (const timer of timers) clearInterval(timer);
      timers = [];
      await Promise.all([...chains.values()]);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
