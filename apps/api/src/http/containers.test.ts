// Containers over REST: the newest state of each from memory, per-container history, the fleet count, access.
import type { ContainerInfo, ContainerMetricsHistory, HostContainers } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectRawAgent, makeSample } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.cleanup();
});

function container(name: string, overrides: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `${name.replace(/[^A-Za-z0-9]/g, '')}0123456789`,
    name,
    image: 'busybox:latest',
    state: 'running',
    health: 'none',
    cpuPercent: 12.5,
    memoryBytes: 1000,
    memoryLimitBytes: 0,
    netRxBps: 10,
    netTxBps: 20,
    blockReadBps: 30,
    blockWriteBps: 40,
    restartCount: 0,
    ...overrides,
  };
}

describe('containers API', () => {
  it('lists the newest state of each container, serves its history and counts them in the fleet row', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({
      type: 'metrics',
      samples: [
        makeSample(1, now - 2000, { containers: [container('web'), container('db', { cpuPercent: 1 })] }),
        makeSample(2, now - 1000, {
          containers: [
            container('web', { cpuPercent: 50 }),
            container('db', { state: 'exited', cpuPercent: 0 }),
          ],
        }),
      ],
    });
    await agent.next((m) => m.type === 'metrics.ack');
    const get = (path: string, cookie = owner.cookie) => server.request('GET', path, { cookie });

    const list = (await (await get(`/api/hosts/${host.hostId}/containers`)).json()) as HostContainers;
    expect(list.containers.map((c) => [c.name, c.state, c.cpuPercent, c.lastSeenAt])).toEqual([
      ['db', 'exited', 0, now - 1000],
      ['web', 'running', 50, now - 1000],
    ]);

    const res = await get(`/api/hosts/${host.hostId}/containers/web/metrics?from=${now - 60_000}&to=${now}`);
    expect(res.status).toBe(200);
    const history = (await res.json()) as ContainerMetricsHistory;
    expect(history).toMatchObject({
      hostId: host.hostId,
      container: 'web',
      resolution: 'raw',
      t: [now - 2000, now - 1000],
    });
    expect(history.series.cpu.last).toEqual([12.5, 50]);
    expect(history.series.blockWrite.avg).toEqual([40, 40]);
    expect(Object.keys(history.series).sort()).toEqual([
      'blockRead',
      'blockWrite',
      'cpu',
      'memory',
      'netRx',
      'netTx',
    ]);

    // A day: 1-minute rollups, with the spike kept as the bucket's max.
    const day = (await (
      await get(`/api/hosts/${host.hostId}/containers/web/metrics?from=${now - 86_400_000}&to=${now}`)
    ).json()) as ContainerMetricsHistory;
    expect(day.resolution).toBe('1m');
    expect(Math.max(...day.series.cpu.max.map((v) => v ?? 0))).toBe(50);
    expect(Math.min(...day.series.cpu.min.filter((v): v is number => v !== null))).toBe(12.5);

    const hosts = (await (await get(`/api/orgs/${owner.organizationId}/hosts`)).json()) as {
      hosts: { summary: { containers?: { total: number; down: number } } | null }[];
    };
    expect(hosts.hosts[0]?.summary?.containers).toEqual({ total: 2, down: 1 });

    // Served from the store once memory is gone (another instance, or a restart).
    server.ctx.domain.containers.forget(host.hostId);
    const stored = (await (await get(`/api/hosts/${host.hostId}/containers`)).json()) as HostContainers;
    expect(stored.containers.map((c) => c.name).sort()).toEqual(['db', 'web']);
    await agent.close();
  });

  it('answers bad input with 400, an unknown container with 404, and another organization with 404', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    const now = Date.now();
    const base = `/api/hosts/${host.hostId}/containers`;
    const get = (path: string, cookie = owner.cookie) => server.request('GET', path, { cookie });
    expect((await get(`${base}/web/metrics?from=${now}&to=${now - 1}`)).status).toBe(400);
    expect((await get(`${base}/-bad-/metrics?from=0&to=1`)).status).toBe(400);
    expect((await get(`${base}/nothere/metrics?from=${now - 1000}&to=${now}`)).status).toBe(404);
    expect((await get(base, viewer.cookie)).status).toBe(200);
    // Another organization's member learns nothing.
    const orgB = await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } });
    const { organization } = (await orgB.json()) as { organization: { id: string } };
    const { cookie: other } = await server.addMember(owner.cookie, organization.id, 'o@example.com', 'admin');
    expect((await get(base, other)).status).toBe(404);
    expect((await get(`${base}/web/metrics?from=x`, other)).status).toBe(404);
    expect((await server.request('GET', base)).status).toBe(401);
  });
});
