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
import { ExpositionWriter, LabelSet } from './exposition.js';

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

/** Renders the fleet; a label set repeated within a host (two mounts of one path) is written once. */
export function renderFleetMetrics(hosts: readonly FleetHost[]): string {
  const w = new ExpositionWriter();
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
  const cLimit = w.family('hostwire_container_memory_limit_bytes', 'Container memory limit, bytes (0: none)');
  const cRestarts = w.family('hostwire_container_restarts', 'How often the engine restarted the container');

  const once = (seen: Set<string>, key: string) => !seen.has(key) && Boolean(seen.add(key));

  for (const host of hosts) {
    const labels = LabelSet.of({ host_id: host.hostId, host: host.name });
    up.add(labels, host.status === 'online' ? 1 : 0);
    const latest = host.latest;
    if (!latest) continue;
    lastSample.add(labels, latest.ts / 1000);
    for (const [key, family] of series) family.add(labels, latest.series[key]);
    if (latest.uptime !== null) uptime.add(labels, latest.uptime);
    addPerItem(
      latest.filesystems,
      (fs) => fs.mount,
      (fs) => {
        const fsLabels = labels.with({ mountpoint: fs.mount, fstype: fs.fstype });
        fsSize.add(fsLabels, fs.total);
        fsUsed.add(fsLabels, fs.used);
        fsPercent.add(fsLabels, percent(fs.used, fs.total));
      },
    );
    addPerItem(
      latest.interfaces,
      (nic) => nic.name,
      (nic) => {
        const nicLabels = labels.with({ device: nic.name });
        ifRx.add(nicLabels, nic.rxBps);
        ifTx.add(nicLabels, nic.txBps);
      },
    );
    addPerItem(
      latest.disks,
      (disk) => disk.name,
      (disk) => {
        const diskLabels = labels.with({ device: disk.name });
        diskRead.add(diskLabels, disk.readBps);
        diskWrite.add(diskLabels, disk.writeBps);
      },
    );
    const seenContainers = new Set<string>();
    for (const c of latest.containers) {
      if (!once(seenContainers, c.name)) continue;
      const cLabels = labels.with({ container: c.name });
      cUp.add(cLabels, isContainerDown(c) ? 0 : 1);
      cInfo.add(cLabels.with({ image: c.image, state: c.state, health: c.health }), 1);
      const values = extractContainerSeries(c);
      for (const [key, family] of cSeries) family.add(cLabels, values[key]);
      cLimit.add(cLabels, c.memoryLimitBytes);
      cRestarts.add(cLabels, c.restartCount);
    }
  }
  return w.text();

  /** Calls `emit` once per distinct key of `items`. */
  function addPerItem<T>(items: readonly T[], key: (item: T) => string, emit: (item: T) => void): void {
    const seen = new Set<string>();
    for (const item of items) if (once(seen, key(item))) emit(item);
  }
}
