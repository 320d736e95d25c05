// The fleet's Prometheus endpoint as Prometheus and a cluster see it: Debian's real Prometheus scrapes it
// with a bearer API token, and a scrape of any instance of a two-instance cluster sees every host.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CreatedApiToken, MetricsSample } from '@hostwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, makeSample, waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { skipWithout } from '../apps/api/src/test-support/services.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const PROMETHEUS = '/usr/bin/prometheus';
const hasPrometheus = existsSync(PROMETHEUS);
if (!hasPrometheus) {
  if (process.env.CI === 'true') throw new Error(`${PROMETHEUS} is missing, and CI=true requires it`);
  console.warn(`skipped: the real Prometheus scrape (${PROMETHEUS} is missing; apt-get install prometheus)`);
}

const container: NonNullable<MetricsSample['containers']>[number] = {
  id: 'c0ffee',
  name: 'api',
  image: 'acme/api:2',
  state: 'running',
  health: 'healthy',
  cpuPercent: 37.5,
  memoryBytes: 1.5e8,
  memoryLimitBytes: 0,
  netRxBps: 1,
  netTxBps: 2,
  blockReadBps: 3,
  blockWriteBps: 4,
  restartCount: 0,
};

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function createToken(server: TestServer, cookie: string, organizationId: string): Promise<string> {
  const res = await server.request('POST', `/api/orgs/${organizationId}/api-tokens`, {
    cookie,
    body: { name: 'prometheus', role: 'viewer' },
  });
  return ((await res.json()) as CreatedApiToken).token;
}

describe.skipIf(!hasPrometheus)('a real Prometheus scraping the fleet with an API token', () => {
  let server: TestServer;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let dir = '';
  let promUrl = '';

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(path.join(tmpdir(), 'hostwire-prometheus-'));
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(
    promql: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return body.data.result;
  }

  it('stores the hosts, filesystems and containers it scraped, labelled host_id and host', async () => {
    const owner = await server.setup();
    const token = await createToken(server, owner.cookie, owner.organizationId);
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'web-1');
    const agent = await connectRawAgent(server, host);
    agent.send({
      type: 'metrics',
      samples: [makeSample(1, Date.now(), { cpu: { total: 33.5, cores: [33.5] }, containers: [container] })],
    });
    await agent.next((m) => m.type === 'metrics.ack');

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const config = path.join(dir, 'prometheus.yml');
    // The scrape job docs/operations.md shows, with the test's address, token and a fast interval.
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: hostwire',
        `    metrics_path: /api/orgs/${owner.organizationId}/prometheus`,
        '    authorization:',
        '      type: Bearer',
        `      credentials: ${token}`,
        '    static_configs:',
        `      - targets: ['127.0.0.1:${server.port}']`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus = child;
    child.stdout.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    child.stderr.on('data', (d: Buffer) => (prometheusLog += d.toString()));

    await waitFor(
      async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200,
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`Prometheus did not start: ${prometheusLog.slice(-2000)}`, { cause: error });
    });
    await waitFor(async () => (await query('hostwire_host_cpu_percent')).length > 0, 30_000);

    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: { health: string; lastError: string }[] };
    };
    expect(targets.data.activeTargets).toEqual([expect.objectContaining({ health: 'up', lastError: '' })]);
    expect(await query('hostwire_host_cpu_percent')).toEqual([
      {
        metric: expect.objectContaining({
          __name__: 'hostwire_host_cpu_percent',
          host_id: host.hostId,
          host: 'web-1',
          job: 'hostwire',
        }) as Record<string, string>,
        value: [expect.any(Number), '33.5'],
      },
    ]);
    expect((await query('hostwire_host_up'))[0]?.value[1]).toBe('1');
    expect((await query('hostwire_host_filesystem_used_percent{mountpoint="/"}'))[0]?.value[1]).toBe('40');
    expect((await query('hostwire_container_cpu_percent{container="api"}'))[0]).toMatchObject({
      metric: { host: 'web-1', container: 'api' },
      value: [expect.any(Number), '37.5'],
    });
    await agent.close();
  });
});

const noCluster = (await skipWithout('postgres')) || (await skipWithout('redis'));

describe.skipIf(noCluster)('two instances behind one database and one Redis', () => {
  let cluster: TestCluster | undefined;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    cluster = await startTestCluster();
    ({ a, b } = cluster);
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('serves, on the instance without the agent, the stored series at once, then every live sample', async () => {
    const owner = await a.setup();
    const token = await createToken(a, owner.cookie, owner.organizationId);
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'held-by-a');
    const agent = await connectRawAgent(a, host);
    agent.send({
      type: 'metrics',
      samples: [makeSample(1, Date.now(), { cpu: { total: 11, cores: [11] } })],
    });
    await agent.next((m) => m.type === 'metrics.ack');

    const scrapeB = async () => {
      const res = await b.request('GET', `/api/orgs/${owner.organizationId}/prometheus`, {
        origin: null,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const labels = `host_id="${host.hostId}",host="held-by-a"`;
    const first = await scrapeB();
    expect(first).toContain(`hostwire_host_up{${labels}} 1\n`);
    expect(first).toContain(`hostwire_host_cpu_percent{${labels}} 11\n`);

    agent.send({
      type: 'metrics',
      samples: [makeSample(2, Date.now(), { cpu: { total: 22, cores: [22] }, containers: [container] })],
    });
    await waitFor(async () => (await scrapeB()).includes(`hostwire_host_cpu_percent{${labels}} 22\n`));
    const live = await scrapeB();
    expect(live).toContain(`hostwire_container_cpu_percent{${labels},container="api"} 37.5\n`);
    expect(live).toContain(
      `hostwire_host_network_interface_receive_bytes_per_second{${labels},device="eth0"} 1000\n`,
    );

    // A host created and connected on A after B started following the organization shows up on B.
    const late = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'late');
    const lateAgent = await connectRawAgent(a, late);
    lateAgent.send({
      type: 'metrics',
      samples: [makeSample(1, Date.now(), { cpu: { total: 5, cores: [5] } })],
    });
    await waitFor(async () =>
      (await scrapeB()).includes(`hostwire_host_cpu_percent{host_id="${late.hostId}",host="late"} 5\n`),
    );
    await agent.close();
    await waitFor(async () => (await scrapeB()).includes(`hostwire_host_up{${labels}} 0\n`));
    await lateAgent.close();
  });

  it('takes a token made on one instance on the other, audits its writes there, and revokes it everywhere', async () => {
    const owner = { cookie: await a.login('owner@example.com', 'correct horse battery') };
    const me = (await (await a.request('GET', '/api/auth/me', { cookie: owner.cookie })).json()) as {
      organizations: { id: string }[];
    };
    const orgId = me.organizations[0]?.id ?? '';
    const res = await a.request('POST', `/api/orgs/${orgId}/api-tokens`, {
      cookie: owner.cookie,
      body: { name: 'ci-admin', role: 'admin' },
    });
    const { apiToken, token } = (await res.json()) as CreatedApiToken;
    const created = await b.request('POST', `/api/orgs/${orgId}/hosts`, {
      origin: null,
      body: { name: 'made-by-ci' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(created.status).toBe(201);
    const audit = (await (
      await b.request('GET', `/api/orgs/${orgId}/audit?actorId=${apiToken.id}`, { cookie: owner.cookie })
    ).json()) as { events: { action: string; actorType: string; actorName: string }[] };
    expect(audit.events).toEqual([
      expect.objectContaining({ action: 'host.created', actorType: 'api_token', actorName: 'ci-admin' }),
    ]);
    expect(
      (await a.request('DELETE', `/api/api-tokens/${apiToken.id}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    const refused = await b.request('GET', `/api/orgs/${orgId}/hosts`, {
      origin: null,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.status).toBe(401);
  });
});
