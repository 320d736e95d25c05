// The fleet's Prometheus endpoint: every host with its newest sample from memory, in a text format that
// promtool accepts, labels escaped, containers included, hosts coming and going, restored after a restart.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CreatedApiToken, MetricsSample } from '@hostwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, makeSample, waitFor, type RawPeer } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = existsSync(PROMTOOL);
if (!hasPromtool) {
  if (process.env.CI === 'true') throw new Error(`${PROMTOOL} is missing, and CI=true requires it`);
  console.warn(`skipped: promtool checks (${PROMTOOL} is missing; apt-get install prometheus)`);
}

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let token = '';
let host = { hostId: '', agentToken: '' };
let agent: RawPeer<{ type: string }>;
const HOST_NAME = 'web "1" \\ east';

const containers: NonNullable<MetricsSample['containers']> = [
  {
    id: 'abc123',
    name: 'api',
    image: 'ghcr.io/acme/api:1.2',
    state: 'running',
    health: 'healthy',
    cpuPercent: 150,
    memoryBytes: 2.5e8,
    memoryLimitBytes: 1e9,
    netRxBps: 10,
    netTxBps: 20,
    blockReadBps: 30,
    blockWriteBps: 40,
    restartCount: 2,
  },
  {
    id: 'def456',
    name: 'worker',
    image: 'acme/worker',
    state: 'exited',
    health: 'none',
    cpuPercent: 0,
    memoryBytes: 0,
    memoryLimitBytes: 0,
    netRxBps: 0,
    netTxBps: 0,
    blockReadBps: 0,
    blockWriteBps: 0,
    restartCount: 0,
  },
];

function sample(seq: number, cpu: number): MetricsSample {
  return makeSample(seq, Date.now(), {
    cpu: { total: cpu, cores: [cpu] },
    filesystems: [
      { mount: '/', fstype: 'ext4', total: 1e11, used: 4e10 },
      { mount: '/var/lib/"data"', fstype: 'xfs', total: 2e11, used: 5e10 },
    ],
    network: {
      rxBps: 1000,
      txBps: 2000,
      interfaces: [
        { name: 'eth0', rxBps: 600, txBps: 1500 },
        { name: 'wg0', rxBps: 400, txBps: 500 },
      ],
    },
    containers,
  });
}

async function scrape(auth: { token?: string; cookie?: string } = { token }): Promise<Response> {
  return server.request('GET', `/api/orgs/${owner.organizationId}/prometheus`, {
    origin: null,
    ...(auth.cookie ? { cookie: auth.cookie } : {}),
    ...(auth.token ? { headers: { authorization: `Bearer ${auth.token}` } } : {}),
  });
}

async function text(): Promise<string> {
  const res = await scrape();
  expect(res.status).toBe(200);
  return res.text();
}

/** `promtool check metrics` reads the exposition on stdin; exit 0 means it parsed (and passed its lint). */
function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
  const created = await server.request('POST', `/api/orgs/${owner.organizationId}/api-tokens`, {
    cookie: owner.cookie,
    body: { name: 'prometheus', role: 'viewer' },
  });
  token = ((await created.json()) as CreatedApiToken).token;
  host = await server.createEnrolledHost(owner.cookie, owner.organizationId, HOST_NAME);
  agent = await connectRawAgent(server, host);
  agent.send({ type: 'metrics', samples: [sample(1, 42.5)] });
  await agent.next((m) => m.type === 'metrics.ack');
});

afterAll(async () => {
  await agent.close();
  await server.cleanup();
});

describe('GET /api/orgs/:orgId/prometheus', () => {
  it('exports every series of the newest sample, per filesystem, interface and container, labels escaped', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    const h = `host_id="${host.hostId}",host="web \\"1\\" \\\\ east"`;
    for (const line of [
      '# TYPE hostwire_host_up gauge',
      `hostwire_host_up{${h}} 1`,
      `hostwire_host_cpu_percent{${h}} 42.5`,
      `hostwire_host_memory_percent{${h}} 25`,
      `hostwire_host_swap_percent{${h}} 0`,
      `hostwire_host_disk_percent{${h}} 40`,
      `hostwire_host_load1{${h}} 0.5`,
      `hostwire_host_load5{${h}} 0.4`,
      `hostwire_host_load15{${h}} 0.3`,
      `hostwire_host_disk_read_bytes_per_second{${h}} 100`,
      `hostwire_host_disk_write_bytes_per_second{${h}} 200`,
      `hostwire_host_network_receive_bytes_per_second{${h}} 1000`,
      `hostwire_host_network_transmit_bytes_per_second{${h}} 2000`,
      `hostwire_host_uptime_seconds{${h}} 1000`,
      `hostwire_host_filesystem_size_bytes{${h},mountpoint="/",fstype="ext4"} 100000000000`,
      `hostwire_host_filesystem_used_bytes{${h},mountpoint="/var/lib/\\"data\\"",fstype="xfs"} 50000000000`,
      `hostwire_host_filesystem_used_percent{${h},mountpoint="/var/lib/\\"data\\"",fstype="xfs"} 25`,
      `hostwire_host_network_interface_receive_bytes_per_second{${h},device="wg0"} 400`,
      `hostwire_host_network_interface_transmit_bytes_per_second{${h},device="eth0"} 1500`,
      `hostwire_host_disk_device_read_bytes_per_second{${h},device="vda"} 100`,
      `hostwire_container_up{${h},container="api"} 1`,
      `hostwire_container_up{${h},container="worker"} 0`,
      `hostwire_container_info{${h},container="api",image="ghcr.io/acme/api:1.2",state="running",health="healthy"} 1`,
      `hostwire_container_cpu_percent{${h},container="api"} 150`,
      `hostwire_container_memory_bytes{${h},container="api"} 250000000`,
      `hostwire_container_memory_limit_bytes{${h},container="api"} 1000000000`,
      `hostwire_container_network_receive_bytes_per_second{${h},container="api"} 10`,
      `hostwire_container_network_transmit_bytes_per_second{${h},container="api"} 20`,
      `hostwire_container_block_read_bytes_per_second{${h},container="api"} 30`,
      `hostwire_container_block_write_bytes_per_second{${h},container="api"} 40`,
      `hostwire_container_restarts{${h},container="api"} 2`,
    ])
      expect(body.split('\n')).toContain(line);
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics', async () => {
    const { status, output } = promtoolCheck(await text());
    expect(output).toBe('');
    expect(status).toBe(0);
    // The check is real: a broken line fails it.
    expect(promtoolCheck('hostwire_host_up{host="x} 1\n').status).not.toBe(0);
  });

  it('answers concurrent and successive scrapes whole (reused buffers never shared while in flight)', async () => {
    const bodies = await Promise.all([text(), text(), text()]);
    const again = await text();
    for (const body of [...bodies, again]) expect(body).toBe(bodies[0]);
    if (hasPromtool) expect(promtoolCheck(again).status).toBe(0);
  });

  it('serves the newest sample: a new one replaces the figures at once', async () => {
    agent.send({ type: 'metrics', samples: [sample(2, 77)] });
    await waitFor(async () => (await text()).includes(`host="web \\"1\\" \\\\ east"} 77\n`));
  });

  it('answers a session cookie too, 401 without credentials, 404 to another organization', async () => {
    expect((await scrape({ cookie: owner.cookie })).status).toBe(200);
    expect((await scrape({})).status).toBe(401);
    const b = await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } });
    const orgB = ((await b.json()) as { organization: { id: string } }).organization.id;
    const created = await server.request('POST', `/api/orgs/${orgB}/api-tokens`, {
      cookie: owner.cookie,
      body: { name: 'b', role: 'owner' },
    });
    const other = ((await created.json()) as CreatedApiToken).token;
    expect((await scrape({ token: other })).status).toBe(404);
    const own = await server.request('GET', `/api/orgs/${orgB}/prometheus`, {
      headers: { authorization: `Bearer ${other}` },
    });
    expect(own.status).toBe(200);
    // An organization without hosts: every family declared, no sample.
    const empty = await own.text();
    expect(empty).toContain('# TYPE hostwire_host_up gauge\n');
    expect(empty.match(/^hostwire_/m)).toBeNull();
  });

  it('follows hosts: a new one appears (up 0), an agent leaving turns up to 0, a deleted one disappears', async () => {
    await text(); // the organization is followed from here on
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'fresh' },
    });
    const fresh = ((await created.json()) as { host: { id: string } }).host.id;
    expect(await text()).toContain(`hostwire_host_up{host_id="${fresh}",host="fresh"} 0\n`);

    const other = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'leaving');
    const peer = await connectRawAgent(server, other);
    await waitFor(async () => (await text()).includes(`host_id="${other.hostId}",host="leaving"} 1\n`));
    await peer.close();
    await waitFor(async () => (await text()).includes(`host_id="${other.hostId}",host="leaving"} 0\n`));

    expect((await server.request('DELETE', `/api/hosts/${fresh}`, { cookie: owner.cookie })).status).toBe(
      204,
    );
    await waitFor(async () => !(await text()).includes(fresh));
  });
});

describe('after a restart', () => {
  it('serves each host from its newest stored series before any agent reconnects', async () => {
    const restartable = await startTestServer();
    try {
      const o = await restartable.setup();
      const h = await restartable.createEnrolledHost(o.cookie, o.organizationId, 'db-1');
      const peer = await connectRawAgent(restartable, h);
      peer.send({ type: 'metrics', samples: [sample(1, 63.25)] });
      await peer.next((m) => m.type === 'metrics.ack');
      await peer.close();
      await restartable.close();
      const again = await startTestServer({}, { dataDir: restartable.dataDir });
      try {
        const cookie = await again.login('owner@example.com', 'correct horse battery');
        const res = await again.request('GET', `/api/orgs/${o.organizationId}/prometheus`, { cookie });
        const body = await res.text();
        expect(body).toContain(`hostwire_host_cpu_percent{host_id="${h.hostId}",host="db-1"} 63.25\n`);
        expect(body).toContain(`hostwire_host_up{host_id="${h.hostId}",host="db-1"} 0\n`);
        if (hasPromtool) expect(promtoolCheck(body).status).toBe(0);
      } finally {
        await again.cleanup();
      }
    } finally {
      await restartable.cleanup();
    }
  });
});
