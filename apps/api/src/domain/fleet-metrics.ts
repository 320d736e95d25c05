/**
 * @module domain/fleet-metrics — the newest sample of every host, in memory, for the organization's
 * Prometheus endpoint (a scrape never reads the store).
 *
 * Fed two ways. The instance that ingests a sample records it at once (`observe`, from realtime/
 * metrics-ingest). With several instances an agent may be held by any of them, so the first scrape of an
 * organization on an instance starts following it on the bus, as the fleet view does: `org:<id>` for hosts
 * coming, going, renamed and their status, and `host:<id>` of each of its hosts for the live `metrics`
 * frames that instance already publishes there. That first scrape also reads each host's newest stored
 * series (one query), so nothing is missing until the next sample; per-filesystem, per-interface and
 * container figures of hosts held elsewhere appear with that next sample. An organization nobody scraped
 * for ORG_IDLE_MS is let go again.
 */
import {
  extractSeries,
  topicFor,
  type ContainerInfo,
  type HostStatus,
  type MetricsSample,
  type SeriesValues,
  type ServerToClient,
} from '@hostwire/protocol';
import type { Actor } from '../context.js';
import type { Frame, Unsubscribe } from '../realtime/bus/types.js';
import type { DomainDeps } from './deps.js';

/** An organization's view is dropped when nobody scraped it for this long. */
export const ORG_IDLE_MS = 10 * 60_000;

/** What is kept of a host's newest sample (processes and per-core figures are not). */
export interface LatestSample {
  ts: number;
  series: SeriesValues;
  uptime: number | null;
  filesystems: readonly MetricsSample['filesystems'][number][];
  interfaces: readonly MetricsSample['network']['interfaces'][number][];
  disks: readonly MetricsSample['disk']['devices'][number][];
  containers: readonly ContainerInfo[];
}

/** A host as the endpoint exports it. */
export interface FleetHost {
  hostId: string;
  name: string;
  status: HostStatus;
  latest: LatestSample | undefined;
}

interface OrgView {
  hosts: Map<string, { name: string; status: HostStatus; unsubscribe: Unsubscribe }>;
  unsubscribe: Unsubscribe;
  ready: Promise<void>;
  lastScrapeAt: number;
}

function fromSample(sample: MetricsSample): LatestSample {
  return {
    ts: sample.ts,
    series: extractSeries(sample),
    uptime: sample.uptime,
    filesystems: sample.filesystems,
    interfaces: sample.network.interfaces,
    disks: sample.disk.devices,
    containers: sample.containers ?? [],
  };
}

/** The message of a bus frame: the object itself when built here, parsed when it came from elsewhere. */
function messageOf(frame: Frame): ServerToClient {
  return (frame.message ?? JSON.parse(frame.data)) as ServerToClient;
}

export function createFleetMetrics(deps: DomainDeps) {
  const latest = new Map<string, LatestSample>();
  const orgs = new Map<string, OrgView>();

  function onHostFrame(frame: Frame): void {
    if (frame.type !== 'metrics') return;
    const message = messageOf(frame);
    if (message.type !== 'metrics') return;
    // The sample this instance ingested itself was already recorded by `observe`.
    const known = latest.get(message.hostId);
    if (known === undefined || message.sample.ts > known.ts)
      latest.set(message.hostId, fromSample(message.sample));
  }

  function addHost(view: OrgView, hostId: string, name: string, status: HostStatus): void {
    const known = view.hosts.get(hostId);
    if (known) {
      known.name = name;
      known.status = status;
      return;
    }
    const unsubscribe = deps.bus.subscribe(topicFor.host(hostId), onHostFrame);
    view.hosts.set(hostId, { name, status, unsubscribe });
  }

  function removeHost(view: OrgView | undefined, hostId: string): void {
    const entry = view?.hosts.get(hostId);
    if (entry) {
      entry.unsubscribe();
      view?.hosts.delete(hostId);
    }
    latest.delete(hostId);
  }

  function applyOrgEvent(view: OrgView, message: ServerToClient): void {
    switch (message.type) {
      case 'host.upserted': {
        const known = view.hosts.get(message.hostId);
        addHost(view, message.hostId, message.name, known?.status ?? 'offline');
        return;
      }
      case 'host.status': {
        const known = view.hosts.get(message.hostId);
        if (known) known.status = message.status;
        return;
      }
      case 'host.removed':
        removeHost(view, message.hostId);
        return;
      default:
        return;
    }
  }

  /** Follows an organization: its topic first (events buffered), then its hosts as stored, then the events. */
  function follow(organizationId: string): OrgView {
    const buffered: ServerToClient[] = [];
    let warm = false;
    const view: OrgView = {
      hosts: new Map(),
      lastScrapeAt: Date.now(),
      ready: Promise.resolve(),
      unsubscribe: deps.bus.subscribe(topicFor.org(organizationId), (frame) => {
        // host.summary comes with every sample of every host: skipped before it is parsed.
        if (frame.type !== 'host.upserted' && frame.type !== 'host.status' && frame.type !== 'host.removed')
          return;
        const message = messageOf(frame);
        if (warm) applyOrgEvent(view, message);
        else buffered.push(message);
      }),
    };
    view.ready = deps.store.latestSamples.ofOrganization(organizationId).then(
      (rows) => {
        if (orgs.get(organizationId) !== view) return;
        for (const row of rows) {
          addHost(view, row.hostId, row.name, row.status);
          if (row.latest && !latest.has(row.hostId))
            latest.set(row.hostId, {
              ts: row.latest.ts,
              series: row.latest.values,
              uptime: null,
              filesystems: [],
              interfaces: [],
              disks: [],
              containers: [],
            });
        }
        warm = true;
        for (const message of buffered.splice(0)) applyOrgEvent(view, message);
      },
      (error: unknown) => {
        // The next scrape tries again.
        release(organizationId, view);
        throw error;
      },
    );
    orgs.set(organizationId, view);
    return view;
  }

  function release(organizationId: string, view: OrgView): void {
    if (orgs.get(organizationId) !== view) return;
    orgs.delete(organizationId);
    view.unsubscribe();
    for (const entry of view.hosts.values()) entry.unsubscribe();
  }

  const stopControl = deps.bus.onControl((event) => {
    if (event.kind === 'host.deleted') removeHost(orgs.get(event.organizationId), event.hostId);
  });
  const idleTimer = setInterval(() => {
    const now = Date.now();
    for (const [organizationId, view] of orgs)
      if (now - view.lastScrapeAt > ORG_IDLE_MS) release(organizationId, view);
  }, 60_000);
  idleTimer.unref();

  return {
    /** The newest sample of a host this instance ingested (called for every accepted batch). */
    observe(hostId: string, sample: MetricsSample): void {
      const known = latest.get(hostId);
      if (known === undefined || sample.ts > known.ts) latest.set(hostId, fromSample(sample));
    },

    /** Every host of the organization with its newest sample (viewer), from memory once followed. */
    async fleet(actor: Actor, organizationId: string): Promise<FleetHost[]> {
      await deps.access.requireOrgRole(actor.userId, organizationId, 'viewer');
      const view = orgs.get(organizationId) ?? follow(organizationId);
      view.lastScrapeAt = Date.now();
      await view.ready;
      const hosts: FleetHost[] = [];
      for (const [hostId, entry] of view.hosts)
        hosts.push({ hostId, name: entry.name, status: entry.status, latest: latest.get(hostId) });
      return hosts;
    },

    close(): void {
      clearInterval(idleTimer);
      stopControl();
      for (const [organizationId, view] of orgs) release(organizationId, view);
    },
  };
}

export type FleetMetrics = ReturnType<typeof createFleetMetrics>;
