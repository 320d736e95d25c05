/**
 * @module domain/containers — the containers of each host: the newest state of every container, kept in
 * memory as samples arrive (with when each was last seen), and its history. An instance that has not
 * seen the host's samples (another instance holds the agent, or it just started) answers from the
 * newest stored list.
 */
import type { ContainerInfo, HostContainer, MetricsSample } from '@hostwire/protocol';
import type { Actor } from '../context.js';
import { ApiError } from '../errors.js';
import { queryContainerHistory } from '../realtime/container-history.js';
import type { DomainDeps } from './deps.js';

/** A container gone from the host's samples is still listed (with its old lastSeenAt) this long. */
const FORGET_AFTER_MS = 24 * 3600_000;

interface Seen {
  info: ContainerInfo;
  lastSeenAt: number;
}

export function createContainers(deps: DomainDeps) {
  /** hostId → container name → newest state. */
  const newest = new Map<string, Map<string, Seen>>();

  function toList(seen: Map<string, Seen>): HostContainer[] {
    return [...seen.values()]
      .map((s) => ({ ...s.info, lastSeenAt: s.lastSeenAt }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // A deleted host's containers leave memory on every instance (the store rows go with the host).
  const stopControl = deps.bus.onControl((event) => {
    if (event.kind === 'host.deleted') newest.delete(event.hostId);
  });

  return {
    /** Stops following host deletions (at shutdown). */
    close(): void {
      stopControl();
    },

    /** Records the containers of a host's newest live sample (called by metrics ingest). */
    observe(hostId: string, sample: Pick<MetricsSample, 'ts' | 'containers'>): void {
      if (!sample.containers) return;
      let seen = newest.get(hostId);
      if (!seen) {
        seen = new Map<string, Seen>();
        newest.set(hostId, seen);
      }
      for (const info of sample.containers) {
        const before = seen.get(info.name);
        if (!before || sample.ts >= before.lastSeenAt) seen.set(info.name, { info, lastSeenAt: sample.ts });
      }
      for (const [name, s] of seen) if (sample.ts - s.lastSeenAt > FORGET_AFTER_MS) seen.delete(name);
    },

    /** Forgets a host's containers (a deleted host; tests use it to read them back from the store). */
    forget(hostId: string): void {
      newest.delete(hostId);
    },

    /** The newest state of every container of a host the caller may see. */
    async list(actor: Actor, hostId: string): Promise<HostContainer[]> {
      const { host } = await deps.access.requireHost(actor.userId, hostId, 'viewer');
      const seen = newest.get(host.id);
      if (seen) return toList(seen);
      const stored = await deps.store.containers.latest(host.id);
      return (stored?.containers ?? []).map((c) => ({ ...c, lastSeenAt: stored?.ts ?? 0 }));
    },

    /** History of one container (404 when the host never reported it in the range and does not have it now). */
    async history(
      actor: Actor,
      hostId: string,
      name: string,
      range: { from: number; to: number; step?: number | undefined },
    ) {
      const { host } = await deps.access.requireHost(actor.userId, hostId, 'viewer');
      const history = await queryContainerHistory(deps.store, deps.config.metrics, host.id, name, range);
      if (history.t.length === 0) {
        const known =
          newest.get(host.id)?.has(name) ??
          (await deps.store.containers.latest(host.id))?.containers.some((c) => c.name === name) ??
          false;
        if (!known) throw new ApiError('not_found', `The host has no container "${name}"`);
      }
      return history;
    },
  };
}

export type Containers = ReturnType<typeof createContainers>;
