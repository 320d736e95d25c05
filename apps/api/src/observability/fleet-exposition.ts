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

/** A host's label sets, kept from one scrape to the next (most names never change). */
interface HostLabels {
  name: string;
  labels: LabelSet;
  /** Per item (`fs\0/var\0ext4`, `nic\0eth0`, …): the host's labels plus the item's. */
  items: Map<string, LabelSet>;
  /** The scrape that last used it: entries not used by a scrape are dropped after it. */
  generation: number;
}

/**
 * Renders an organization's fleet as encoded chunks (write them out in order). Keeps each host's label
 * sets between scrapes, rendered and escaped once; a label set repeated within a host (two mounts of one
 * path) is written once.
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

    for (const host of hosts) {
      const cached = this.labelsOf(host, generation);
      const labels = cached.labels;
      /** The item's label set, from the cache; undefined when the key was already written for this host. */
      const seen = new Set<string>();
      const item = (key: string, extra: () => Readonly<Record<string, string>>): LabelSet | undefined => {
        if (seen.has(key)) return undefined;
        seen.add(key);
        let set = cached.items.get(key);
        if (!set) cached.items.set(key, (set = labels.with(extra())));
        return set;
      };
      up.add(labels, host.status === 'online' ? 1 : 0);
      const latest = host.latest;
      if (!latest) continue;
      lastSample.add(labels, latest.ts / 1000);
      for (const [key, family] of series) family.add(labels, latest.series[key]);
      if (latest.uptime !== null) uptime.add(labels, latest.uptime);
      for (const fs of latest.filesystems) {
        const set = item(`fs\0${fs.mount}\0${fs.fstype}`, () => ({
          mountpoint: fs.mount,
          fstype: fs.fstype,
        }));
        if (!set) continue;
        fsSize.add(set, fs.total);
        fsUsed.add(set, fs.used);
        fsPercent.add(set, percent(fs.used, fs.total));
      }
      for (const nic of latest.interfaces) {
        const set = item(`nic\0${nic.name}`, () => ({ device: nic.name }));
        if (!set) continue;
        ifRx.add(set, nic.rxBps);
        ifTx.add(set, nic.txBps);
      }
      for (const disk of latest.disks) {
        const set = item(`disk\0${disk.name}`, () => ({ device: disk.name }));
        if (!set) continue;
        diskRead.add(set, disk.readBps);
        diskWrite.add(set, disk.writeBps);
      }
      for (const c of latest.containers) {
        const set = item(`c\0${c.name}`, () => ({ container: c.name }));
        if (!set) continue;
        cUp.add(set, isContainerDown(c) ? 0 : 1);
        const info = item(`ci\0${c.name}\0${c.image}\0${c.state}\0${c.health}`, () => ({
          container: c.name,
          image: c.image,
          state: c.state,
          health: c.health,
        }));
        if (info) cInfo.add(info, 1);
        const values = extractContainerSeries(c);
        for (const [key, family] of cSeries) family.add(set, values[key]);
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
        items: new Map(),
        generation,
      };
      this.cache.set(host.hostId, entry);
    }
    entry.generation = generation;
    // Items a host no longer reports (a container removed) would pile up: start over past a bound.
    if (entry.items.size > 4096) entry.items.clear();
    return entry;
  }
}

/** Renders once, without keeping label sets (tests, one-off use). */
export function renderFleetMetrics(hosts: readonly FleetHost[]): Buffer[] {
  return new FleetRenderer().render(hosts).chunks;
}
