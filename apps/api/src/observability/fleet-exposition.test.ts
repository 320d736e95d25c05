// The fleet renderer keeps label sets between scrapes: what it writes must follow renames, reordered and
// replaced items, and write a repeated item of one host once.
import type { ContainerInfo } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import type { FleetHost, LatestSample } from '../domain/fleet-metrics.js';
import { FleetRenderer } from './fleet-exposition.js';

const container = (name: string, state = 'running'): ContainerInfo => ({
  id: name,
  name,
  image: `img/${name}`,
  state,
  health: 'none',
  cpuPercent: 1,
  memoryBytes: 2,
  memoryLimitBytes: 0,
  netRxBps: 0,
  netTxBps: 0,
  blockReadBps: 0,
  blockWriteBps: 0,
  restartCount: 0,
});

function latest(overrides: Partial<LatestSample> = {}): LatestSample {
  return {
    ts: 1_000_000,
    series: {
      cpu: 1,
      memory: 2,
      swap: 0,
      disk: 3,
      diskRead: 0,
      diskWrite: 0,
      netRx: 0,
      netTx: 0,
      load1: 0,
      load5: 0,
      load15: 0,
    },
    uptime: null,
    filesystems: [],
    interfaces: [],
    disks: [],
    containers: [],
    ...overrides,
  };
}

const lines = (renderer: FleetRenderer, hosts: FleetHost[], prefix: string): string[] => {
  const { chunks, release } = renderer.render(hosts);
  const text = Buffer.concat(chunks).toString('utf8');
  release();
  return text.split('\n').filter((l) => l.startsWith(prefix));
};

describe('FleetRenderer', () => {
  it('writes a repeated filesystem of one host once', () => {
    const host: FleetHost = {
      hostId: 'h1',
      name: 'a',
      status: 'online',
      latest: latest({
        filesystems: [
          { mount: '/', fstype: 'ext4', total: 10, used: 5 },
          { mount: '/', fstype: 'ext4', total: 10, used: 5 },
        ],
      }),
    };
    expect(lines(new FleetRenderer(), [host], 'hostwire_host_filesystem_size_bytes')).toEqual([
      'hostwire_host_filesystem_size_bytes{host_id="h1",host="a",mountpoint="/",fstype="ext4"} 10',
    ]);
  });

  it('follows a rename, reordered and replaced containers, and a changed state between scrapes', () => {
    const renderer = new FleetRenderer();
    const host = (name: string, containers: ContainerInfo[]): FleetHost => ({
      hostId: 'h1',
      name,
      status: 'online',
      latest: latest({ containers }),
    });
    expect(lines(renderer, [host('a', [container('x'), container('y')])], 'hostwire_container_up')).toEqual([
      'hostwire_container_up{host_id="h1",host="a",container="x"} 1',
      'hostwire_container_up{host_id="h1",host="a",container="y"} 1',
    ]);
    expect(
      lines(renderer, [host('b', [container('y'), container('z', 'exited')])], 'hostwire_container_'),
    ).toEqual(
      expect.arrayContaining([
        'hostwire_container_up{host_id="h1",host="b",container="y"} 1',
        'hostwire_container_up{host_id="h1",host="b",container="z"} 0',
        'hostwire_container_info{host_id="h1",host="b",container="z",image="img/z",state="exited",health="none"} 1',
      ]),
    );
    const again = lines(renderer, [host('b', [container('z'), container('y')])], 'hostwire_container_info');
    expect(again).toEqual([
      'hostwire_container_info{host_id="h1",host="b",container="z",image="img/z",state="running",health="none"} 1',
      'hostwire_container_info{host_id="h1",host="b",container="y",image="img/y",state="running",health="none"} 1',
    ]);
  });
});
