/**
 * @module observability/fleet-exposition — an organization's fleet in the Prometheus text format: one
 * gauge per host figure (`hostwire_host_*{host_id,host}`), per filesystem (`mountpoint`), interface and
 * disk (`device`), and per container (`hostwire_container_*{host_id,host,container}`). Names follow the
 * Prometheus conventions (base units, `_bytes`, `_percent`, `_per_second`).
 */
import {
  CONTAINER_SERIES,
  extractContainerSeries,
  isContainerDown,
  METRIC_SERIES,
  type ContainerSeries,
  type MetricSeries,
} from '@hostwire/protocol';
import type { FleetHost } from '../domain/fleet-metrics.js';
import { ChunkPool, ExpositionWriter, LabelSet } from './exposition.js';

/** One gauge per metrics series; a Record, so a series added to the protocol must be named here. */
export const HOST_SERIES_METRICS: Readonly<Record<MetricSeries, { name: string; help: string }>> = {
  cpu: { name: 'hostwire_host_cpu_percent', help: 'CPU busy, percent of all cores' },
  memory: { name: 'hostwire_host_memory_percent', help: 'Memory used, percent of total' },
  swap: { name: 'hostwire_host_swap_percent', help: 'Swap used, percent of total' },
  disk: { name: 'hostwire_host_disk_percent', help: 'Space used on the fullest filesystem, percent' },
  diskRead: { name: 'hostwire_host_disk_read_bytes_per_second', help: 'Bytes read from disks per second' },
  diskWrite: { name: 'hostwire_host_disk_write_bytes_per_second', help: 'Bytes written to disks per second' },
  netRx: {
    name: 'hostwire_host_network_receive_bytes_per_second',
    help: 'Bytes received on all interfaces per second',
  },
  netTx: {
    name: 'hostwire_host_network_transmit_bytes_per_second',
    help: 'Bytes sent on all interfaces per second',
  },
  load1: { name: 'hostwire_host_load1', help: 'Load average over 1 minute' },
  load5: { name: 'hostwire_host_load5', help: 'Load average over 5 minutes' },
  load15: { name: 'hostwire_host_load15', help: 'Load average over 15 minutes' },
};

export const CONTAINER_SERIES_METRICS: Readonly<Record<ContainerSeries, { name: string; help: string }>> = {
  cpu: { name: 'hostwire_container_cpu_percent', help: 'Container CPU, percent of one core' },
  memory: { name: 'hostwire_container_memory_bytes', help: 'Container memory in use, bytes' },
  netRx: {
    name: 'hostwire_container_network_receive_bytes_per_second',
    help: 'Bytes the container received per second',
  },
  netTx: {
    name: 'hostwire_container_network_transmit_bytes_per_second',
    help: 'Bytes the container sent per second',
  },
  blockRead: {
    name: 'hostwire_container_block_read_bytes_per_second',
    help: 'Bytes the container read from block devices per second',
  },
  blockWrite: {
    name: 'hostwire_container_block_write_bytes_per_second',
    help: 'Bytes the container wrote to block devices per second',
  },
};

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, (part / whole) * 100) : 0;
}

/** An item's label set (a filesystem, an interface, a container…), found again by its label values. */
interface Slot {
  a: string;
  b: string;
  c: string;
  d: string;
  set: LabelSet;
}

type ItemKind = 'fs' | 'nic' | 'disk' | 'container' | 'info';

/** The labels an item adds to its host's, by kind, from its (up to four) values. */
function itemLabels(kind: ItemKind, a: string, b: string, c: string, d: string): Record<string, string> {
  switch (kind) {
    case 'fs':
      return { mountpoint: a, fstype: b };
    case 'nic':
    case 'disk':
      return { device: a };
    case 'container':
      return { container: a };
    case 'info':
      return { container: a, image: b, state: c, health: d };
  }
}

/** A host's label sets, kept from one scrape to the next (most names never change). */
interface HostLabels {
  name: string;
  labels: LabelSet;
  /** Per kind, the items' label sets, in the order the host last reported them. */
  slots: Record<ItemKind, Slot[]>;
  /** The scrape that last used it: entries not used by a scrape are dropped after it. */
  generation: number;
}

/** At most this many remembered items per kind and host (a host cycling through container names). */
const MAX_SLOTS = 1024;

/**
 * The label set of the `index`-th item of `kind` with values a–d: where it was last time, else anywhere in
 * the host's slots, else made (and remembered at that position).
 */
function slotOf(
  host: HostLabels,
  kind: ItemKind,
  index: number,
  a: string,
  b = '',
  c = '',
  d = '',
): LabelSet {
  const slots = host.slots[kind];
  const at = slots[index];
  if (at !== undefined && at.a === a && at.b === b && at.c === c && at.d === d) return at.set;
  for (const slot of slots) if (slot.a === a && slot.b === b && slot.c === c && slot.d === d) return slot.set;
  const set = host.labels.with(itemLabels(kind, a, b, c, d));
  const made = { a, b, c, d, set };
  if (index < slots.length) slots[index] = made;
  else if (slots.length < MAX_SLOTS) slots.push(made);
  return set;
}

/**
 * Renders an organization's fleet as encoded chunks (write them out in order). Keeps each host's label
 * sets between scrapes, rendered, escaped and encoded once; a label set repeated within a host (two mounts
 * of one path) is written once.
 */
export class FleetRenderer {
  private readonly cache = new Map<string, HostLabels>();
  private readonly pool = new ChunkPool();
  private generation = 0;

  /**
   * The exposition as chunks, and `release`, to call once they were sent (the response finished): their
   * buffers serve the next scrape. Never call it while anything may still read them.
   */
  render(hosts: readonly FleetHost[]): { chunks: Buffer[]; release: () => void } {
    const generation = ++this.generation;
    const w = new ExpositionWriter(this.pool);
    const up = w.family('hostwire_host_up', 'Whether the host agent is connected (1) or not (0)');
    const lastSample = w.family(
      'hostwire_host_last_sample_timestamp_seconds',
      'When the newest sample of the host was taken, seconds since the epoch',
    );
    const series = METRIC_SERIES.map(
      (s) => [s, w.family(HOST_SERIES_METRICS[s].name, HOST_SERIES_METRICS[s].help)] as const,
    );
    const uptime = w.family('hostwire_host_uptime_seconds', 'Seconds since the host booted');
    const fsSize = w.family('hostwire_host_filesystem_size_bytes', 'Filesystem size, bytes');
    const fsUsed = w.family('hostwire_host_filesystem_used_bytes', 'Filesystem space used, bytes');
    const fsPercent = w.family('hostwire_host_filesystem_used_percent', 'Filesystem space used, percent');
    const ifRx = w.family(
      'hostwire_host_network_interface_receive_bytes_per_second',
      'Bytes received on the interface per second',
    );
    const ifTx = w.family(
      'hostwire_host_network_interface_transmit_bytes_per_second',
      'Bytes sent on the interface per second',
    );
    const diskRead = w.family(
      'hostwire_host_disk_device_read_bytes_per_second',
      'Bytes read from the disk device per second',
    );
    const diskWrite = w.family(
      'hostwire_host_disk_device_write_bytes_per_second',
      'Bytes written to the disk device per second',
    );
    const cUp = w.family(
      'hostwire_container_up',
      'Whether the container runs and is not unhealthy (1) or not (0)',
    );
    const cInfo = w.family('hostwire_container_info', 'The container image, state and health (always 1)');
    const cSeries = CONTAINER_SERIES.map(
      (s) => [s, w.family(CONTAINER_SERIES_METRICS[s].name, CONTAINER_SERIES_METRICS[s].help)] as const,
    );
    const cLimit = w.family(
      'hostwire_container_memory_limit_bytes',
      'Container memory limit, bytes (0: none)',
    );
    const cRestarts = w.family('hostwire_container_restarts', 'How often the engine restarted the container');

    const seriesKeys = series.map(([key]) => key);
    const seriesFamilies = series.map(([, family]) => family);
    const containerKeys = cSeries.map(([key]) => key);
    const containerFamilies = cSeries.map(([, family]) => family);
    /** Label sets written for the current host: a repeated item (two mounts of one path) is written once. */
    const written = new Set<LabelSet>();
    const fresh = (set: LabelSet): boolean => !written.has(set) && Boolean(written.add(set));

    for (const host of hosts) {
      const cached = this.labelsOf(host, generation);
      const labels = cached.labels;
      written.clear();
      up.add(labels, host.status === 'online' ? 1 : 0);
      const latest = host.latest;
      if (!latest) continue;
      lastSample.add(labels, latest.ts / 1000);
      for (let i = 0; i < seriesKeys.length; i++)
        seriesFamilies[i]?.add(labels, latest.series[seriesKeys[i] as MetricSeries]);
      if (latest.uptime !== null) uptime.add(labels, latest.uptime);
      for (let i = 0; i < latest.filesystems.length; i++) {
        const fs = latest.filesystems[i];
        if (!fs) continue;
        const set = slotOf(cached, 'fs', i, fs.mount, fs.fstype);
        if (!fresh(set)) continue;
        fsSize.add(set, fs.total);
        fsUsed.add(set, fs.used);
        fsPercent.add(set, percent(fs.used, fs.total));
      }
      for (let i = 0; i < latest.interfaces.length; i++) {
        const nic = latest.interfaces[i];
        if (!nic) continue;
        const set = slotOf(cached, 'nic', i, nic.name);
        if (!fresh(set)) continue;
        ifRx.add(set, nic.rxBps);
        ifTx.add(set, nic.txBps);
      }
      for (let i = 0; i < latest.disks.length; i++) {
        const disk = latest.disks[i];
        if (!disk) continue;
        const set = slotOf(cached, 'disk', i, disk.name);
        if (!fresh(set)) continue;
        diskRead.add(set, disk.readBps);
        diskWrite.add(set, disk.writeBps);
      }
      for (let i = 0; i < latest.containers.length; i++) {
        const c = latest.containers[i];
        if (!c) continue;
        const set = slotOf(cached, 'container', i, c.name);
        if (!fresh(set)) continue;
        cUp.add(set, isContainerDown(c) ? 0 : 1);
        cInfo.add(slotOf(cached, 'info', i, c.name, c.image, c.state, c.health), 1);
        const values = extractContainerSeries(c);
        for (let k = 0; k < containerKeys.length; k++)
          containerFamilies[k]?.add(set, values[containerKeys[k] as ContainerSeries]);
        cLimit.add(set, c.memoryLimitBytes);
        cRestarts.add(set, c.restartCount);
      }
    }
    for (const [hostId, entry] of this.cache) if (entry.generation !== generation) this.cache.delete(hostId);
    const taken = w.taken();
    return { chunks: w.chunks(), release: () => this.pool.give(taken) };
  }

  private labelsOf(host: FleetHost, generation: number): HostLabels {
    let entry = this.cache.get(host.hostId);
    if (!entry || entry.name !== host.name) {
      entry = {
        name: host.name,
        labels: LabelSet.of({ host_id: host.hostId, host: host.name }),
        slots: { fs: [], nic: [], disk: [], container: [], info: [] },
        generation,
      };
      this.cache.set(host.hostId, entry);
    }
    entry.generation = generation;
    return entry;
  }
}

/** Renders once, without keeping label sets (tests, one-off use). */
export function renderFleetMetrics(hosts: readonly FleetHost[]): Buffer[] {
  return new FleetRenderer().render(hosts).chunks;
}
