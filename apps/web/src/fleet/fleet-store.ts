/**
 * @module fleet-store — the fleet's hosts outside React: live events change a Map at once, and views
 * see a new snapshot at most once per animation frame, however many summaries arrive in between.
 */
import type { Host, ServerToClient } from '@hostwire/protocol';

/** What a view renders: the hosts and when each one's newest sample arrived. */
export interface FleetSnapshot {
  /** null until the first load. */
  hosts: readonly Host[] | null;
  /** Browser time of each host's newest sample (its own timestamp when it came with the list). */
  sampleAt: ReadonlyMap<string, number>;
  /** Hosts that were online when the browser lost the server (they read "reconnecting" for a while). */
  onlineAtLoss: ReadonlySet<string>;
}

/** Runs a callback before the next paint; returns a cancel function. */
export type FrameScheduler = (callback: () => void) => () => void;

const animationFrame: FrameScheduler = (callback) => {
  const id = requestAnimationFrame(callback);
  return () => cancelAnimationFrame(id);
};

/** The hosts of one organization, fed by the host list and the `org:` topic. */
export class FleetStore {
  private readonly hosts = new Map<string, Host>();
  private readonly sampleAt = new Map<string, number>();
  private onlineAtLoss: ReadonlySet<string> = new Set();
  private loaded = false;
  private snapshot: FleetSnapshot = { hosts: null, sampleAt: new Map(), onlineAtLoss: new Set() };
  private readonly listeners = new Set<() => void>();
  private cancelFrame: (() => void) | null = null;
  /** How many snapshots were published (the 1000-host measurement reads it). */
  renders = 0;

  constructor(
    readonly organizationId: string,
    private readonly now: () => number = Date.now,
    private readonly schedule: FrameScheduler = animationFrame,
  ) {}

  /** Replaces every host with a fresh list. */
  load(hosts: readonly Host[]): void {
    this.hosts.clear();
    for (const host of hosts) this.putHost(host);
    for (const id of [...this.sampleAt.keys()]) if (!this.hosts.has(id)) this.sampleAt.delete(id);
    this.loaded = true;
    this.changed();
  }

  /** Adds or replaces one host (a fetched record). */
  upsert(host: Host): void {
    if (host.organizationId !== this.organizationId) return;
    this.putHost(host);
    this.changed();
  }

  /** The host with `id`, if listed. */
  get(id: string): Host | undefined {
    return this.hosts.get(id);
  }

  /**
   * Applies a live event of the `org:` topic. Returns the id of a host whose full record should be
   * fetched (a new host, or one whose agent details changed).
   */
  apply(message: ServerToClient): string | undefined {
    if (!('organizationId' in message) || message.organizationId !== this.organizationId) return undefined;
    switch (message.type) {
      case 'host.status': {
        const host = this.hosts.get(message.hostId);
        if (!host) return message.hostId;
        this.hosts.set(host.id, {
          ...host,
          status: message.status,
          lastSeenAt: message.lastSeenAt ?? host.lastSeenAt,
        });
        this.changed();
        return undefined;
      }
      case 'host.summary': {
        const host = this.hosts.get(message.hostId);
        if (!host) return message.hostId;
        this.hosts.set(host.id, { ...host, summary: message.summary });
        this.sampleAt.set(host.id, this.now());
        this.changed();
        // Figures from a host listed without agent details: it enrolled since, so its record has them.
        return host.agent === null ? host.id : undefined;
      }
      case 'host.upserted': {
        const host = this.hosts.get(message.hostId);
        if (host) {
          this.hosts.set(host.id, { ...host, name: message.name });
          this.changed();
        }
        return message.hostId;
      }
      case 'host.removed':
        if (this.hosts.delete(message.hostId)) {
          this.sampleAt.delete(message.hostId);
          this.changed();
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** The browser lost the server: remember who was online, to say "reconnecting" rather than "offline". */
  connectionLost(): void {
    this.onlineAtLoss = new Set(
      [...this.hosts.values()].filter((h) => h.status === 'online').map((h) => h.id),
    );
    this.changed();
  }

  /** Listens for new snapshots (useSyncExternalStore's subscribe). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current snapshot (the same object until something changed and a frame passed). */
  getSnapshot = (): FleetSnapshot => this.snapshot;

  /** Publishes pending changes now instead of at the next frame. */
  flush(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    this.publish();
  }

  /** Stops a pending frame (the view unmounted). */
  dispose(): void {
    this.cancelFrame?.();
    this.cancelFrame = null;
    this.listeners.clear();
  }

  private putHost(host: Host): void {
    this.hosts.set(host.id, host);
    const ts = host.summary?.ts;
    // A listed summary is as old as its own timestamp (never in the future, whatever the agent's clock).
    if (ts === undefined) return;
    const at = Math.min(ts, this.now());
    if (at > (this.sampleAt.get(host.id) ?? -Infinity)) this.sampleAt.set(host.id, at);
  }

  private changed(): void {
    if (this.cancelFrame) return;
    this.cancelFrame = this.schedule(() => {
      this.cancelFrame = null;
      this.publish();
    });
  }

  private publish(): void {
    this.renders++;
    this.snapshot = {
      hosts: this.loaded ? [...this.hosts.values()] : null,
      sampleAt: new Map(this.sampleAt),
      onlineAtLoss: this.onlineAtLoss,
    };
    for (const listener of this.listeners) listener();
  }
}
