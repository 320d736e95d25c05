/**
 * @module alerts-store — the organization's firing and recently resolved alerts, outside React: loaded over
 * HTTP, kept live by `alert.firing` / `alert.resolved` frames, read by the fleet rows, the host header and
 * the Alerts page through one snapshot.
 */
import type { Alert, ServerToClient } from '@hostwire/protocol';

/** Resolved alerts kept in the list. */
const MAX_RESOLVED = 100;

export interface AlertsSnapshot {
  /** null until the first load. */
  firing: readonly Alert[] | null;
  resolved: readonly Alert[];
  /** Firing alerts by host id. */
  byHost: ReadonlyMap<string, readonly Alert[]>;
}

const EMPTY: AlertsSnapshot = { firing: null, resolved: [], byHost: new Map() };

function indexByHost(firing: readonly Alert[]): Map<string, Alert[]> {
  const byHost = new Map<string, Alert[]>();
  for (const alert of firing) byHost.set(alert.hostId, [...(byHost.get(alert.hostId) ?? []), alert]);
  return byHost;
}

export class AlertsStore {
  private snapshot: AlertsSnapshot = EMPTY;
  private readonly listeners = new Set<() => void>();

  constructor(readonly organizationId: string) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): AlertsSnapshot => this.snapshot;

  /** Replaces everything with what the server listed (newest change first). */
  load(alerts: readonly Alert[]): void {
    const firing = alerts.filter((a) => a.state === 'firing');
    const resolved = alerts.filter((a) => a.state === 'resolved').slice(0, MAX_RESOLVED);
    this.set({ firing, resolved, byHost: indexByHost(firing) });
  }

  /** Applies a frame; true when it changed something. */
  apply(message: ServerToClient): boolean {
    if (message.type !== 'alert.firing' && message.type !== 'alert.resolved') return false;
    if (message.organizationId !== this.organizationId) return false;
    const alert = message.alert;
    const others = (this.snapshot.firing ?? []).filter((a) => a.id !== alert.id);
    const firing = message.type === 'alert.firing' ? [alert, ...others] : others;
    const resolved =
      message.type === 'alert.resolved'
        ? [alert, ...this.snapshot.resolved.filter((a) => a.id !== alert.id)].slice(0, MAX_RESOLVED)
        : this.snapshot.resolved;
    this.set({ firing, resolved, byHost: indexByHost(firing) });
    return true;
  }

  private set(next: AlertsSnapshot): void {
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}
