import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricsHistory } from '@hostwire/protocol';
import { connectRawAgent, connectRawClient, makeSample, waitFor } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.cleanup();
});

async function enrolledOwner() {
  const owner = await server.setup();
  const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
  return { owner, host };
}

describe('live metrics', () => {
  it('stores each (host, seq) once, acks every seq, and delivers new samples to subscribers', async () => {
    const { owner, host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    expect(await client.request({ type: 'subscribe', topic: `host:${host.hostId}` })).toMatchObject({
      type: 'ack',
    });
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 2000), makeSample(2, now - 1000)] });
    expect(await agent.next((m) => m.type === 'metrics.ack')).toEqual({ type: 'metrics.ack', seqs: [1, 2] });
    const live = await client.next((m) => m.type === 'metrics');
    expect(live).toMatchObject({ hostId: host.hostId, sample: { seq: 2 } });
    agent.messages.length = 0;
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 1000), makeSample(3, now)] });
    expect(await agent.next((m) => m.type === 'metrics.ack')).toEqual({ type: 'metrics.ack', seqs: [2, 3] });
    expect(await server.ctx.store.metrics.seqs(host.hostId)).toEqual([1, 2, 3]);
    await Promise.all([agent.close(), client.close()]);
  });

  it('switches the agent to 1 s sampling while someone watches and back when the last viewer leaves', async () => {
    const { owner, host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    expect(await agent.next((m) => m.type === 'metrics.interval')).toEqual({
      type: 'metrics.interval',
      intervalMs: 10_000,
    });
    agent.messages.length = 0;
    const a = await connectRawClient(server, owner.cookie);
    const b = await connectRawClient(server, owner.cookie);
    await a.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    expect(await agent.next((m) => m.type === 'metrics.interval')).toEqual({
      type: 'metrics.interval',
      intervalMs: 1000,
    });
    await b.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    await a.request({ type: 'unsubscribe', topic: `host:${host.hostId}` });
    expect(agent.messages.filter((m) => m.type === 'metrics.interval')).toHaveLength(1);
    await b.close();
    // The last viewer left: the agent is told once to go back to the slow interval.
    await waitFor(() => agent.messages.filter((m) => m.type === 'metrics.interval').length === 2);
    expect(agent.messages.filter((m) => m.type === 'metrics.interval').at(-1)).toEqual({
      type: 'metrics.interval',
      intervalMs: 10_000,
    });
    await Promise.all([agent.close(), a.close()]);
  });

  it('puts the latest figures into the fleet list and onto the org topic', async () => {
    const { owner, host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    await client.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    agent.send({
      type: 'metrics',
      samples: [makeSample(1, Date.now(), { cpu: { total: 42, cores: [42] } })],
    });
    const summary = await client.next((m) => m.type === 'host.summary');
    // The live frame goes out before the write; the ack comes once the sample is stored.
    await agent.next((m) => m.type === 'metrics.ack');
    expect(summary).toMatchObject({ hostId: host.hostId, summary: { cpu: 42, disk: 40, memory: 25 } });
    const list = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/hosts`, { cookie: owner.cookie })
    ).json()) as { hosts: { status: string; summary: { cpu: number } | null }[] };
    expect(list.hosts[0]).toMatchObject({ status: 'online', summary: { cpu: 42 } });
    await Promise.all([agent.close(), client.close()]);
  });
});

describe('metrics history', () => {
  it('returns raw samples, 1-minute and 1-hour rollups that keep min and max', async () => {
    const { owner, host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    const hour = 3_600_000;
    const base = Math.floor(Date.now() / hour) * hour - 3 * hour;
    const samples = [];
    for (let i = 0; i < 180; i++) {
      const cpu = i === 61 ? 99 : i === 62 ? 1 : 20;
      samples.push(makeSample(i + 1, base + i * 60_000 + 5000, { cpu: { total: cpu, cores: [cpu] } }));
    }
    for (let i = 0; i < samples.length; i += 60) {
      agent.send({ type: 'metrics', samples: samples.slice(i, i + 60) });
      await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(i + 1));
    }
    const get = async (from: number, to: number, step?: number) => {
      const res = await server.request(
        'GET',
        `/api/hosts/${host.hostId}/metrics?from=${from}&to=${to}${step ? `&step=${step}` : ''}`,
        { cookie: owner.cookie },
      );
      expect(res.status).toBe(200);
      return (await res.json()) as MetricsHistory;
    };
    const raw = await get(base + 60 * 60_000, base + 70 * 60_000);
    expect(raw.resolution).toBe('raw');
    expect(raw.t).toHaveLength(10);
    expect(raw.series.cpu?.avg.slice(0, 3)).toEqual([20, 99, 1]);

    const day = await get(base, base + 20 * hour);
    expect(day.resolution).toBe('1m');
    expect(day.t.length).toBeLessThanOrEqual(1000);
    const cpuMax = Math.max(...(day.series.cpu?.max.filter((v): v is number => v !== null) ?? []));
    const cpuMin = Math.min(...(day.series.cpu?.min.filter((v): v is number => v !== null) ?? []));
    expect([cpuMin, cpuMax]).toEqual([1, 99]);

    const month = await get(base - 29 * 24 * hour, base + 4 * hour);
    expect(month.resolution).toBe('1m');
    expect(month.stepMs % 60_000).toBe(0);
    expect(Math.max(...(month.series.cpu?.max.filter((v): v is number => v !== null) ?? []))).toBe(99);

    const quarter = await get(base - 40 * 24 * hour, base + 4 * hour, hour);
    expect(quarter.resolution).toBe('1h');
    const hourIndex = quarter.t.indexOf(base + hour);
    expect(hourIndex).toBeGreaterThanOrEqual(0);
    expect(quarter.series.cpu?.max[hourIndex]).toBe(99);
    expect(quarter.series.cpu?.min[hourIndex]).toBe(1);
    expect(quarter.series.cpu?.avg[hourIndex]).toBeCloseTo((58 * 20 + 99 + 1) / 60, 5);
    await agent.close();
  });

  it('answers a bad range with 400 and another organization with 404', async () => {
    const { owner, host } = await enrolledOwner();
    expect(
      (
        await server.request('GET', `/api/hosts/${host.hostId}/metrics?from=10&to=5`, {
          cookie: owner.cookie,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await server.request('GET', `/api/hosts/${host.hostId}/metrics?from=abc&to=5`, {
          cookie: owner.cookie,
        })
      ).status,
    ).toBe(400);
    const org = (await (
      await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } })
    ).json()) as { organization: { id: string } };
    const outsider = await server.addMember(owner.cookie, org.organization.id, 'b@example.com', 'owner');
    expect(
      (
        await server.request('GET', `/api/hosts/${host.hostId}/metrics?from=0&to=5`, {
          cookie: outsider.cookie,
        })
      ).status,
    ).toBe(404);
  });
});

describe('what one agent may write', () => {
  it('acknowledges but never stores samples stamped in the future or past the raw retention', async () => {
    const { host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({
      type: 'metrics',
      samples: [
        makeSample(1, now),
        makeSample(2, now + 24 * 3600_000),
        makeSample(3, now - 365 * 24 * 3600_000),
      ],
    });
    const acked = new Set<number>();
    await waitFor(() => {
      for (const m of agent.messages) if (m.type === 'metrics.ack') for (const seq of m.seqs) acked.add(seq);
      return acked.size === 3;
    });
    expect(await server.ctx.store.metrics.seqs(host.hostId)).toEqual([1]);
    const text = await (await server.request('GET', '/metrics')).text();
    expect(text).toMatch(/hostwire_metrics_samples_refused_total\{reason="timestamp"\} 2/);
    await agent.close();
  });

  it('refuses samples past the per-host quota with rate_limited, storing and acknowledging none of them', async () => {
    await server.cleanup();
    server = await startTestServer({ INGEST_SAMPLES_PER_MINUTE: '6' }); // a burst of 60
    const { host } = await enrolledOwner();
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    const frame = (from: number, count: number) => ({
      type: 'metrics',
      samples: Array.from({ length: count }, (_, i) => makeSample(from + i, now - 60_000 + from + i)),
    });
    agent.send(frame(1, 50));
    expect(await agent.next((m) => m.type === 'metrics.ack')).toMatchObject({ seqs: expect.any(Array) });
    agent.send(frame(51, 50));
    expect(await agent.next((m) => m.type === 'error')).toMatchObject({ code: 'rate_limited' });
    expect(await server.ctx.store.metrics.countSamples(host.hostId)).toBe(50);
    expect(agent.messages.filter((m) => m.type === 'metrics.ack').flatMap((m) => m.seqs)).not.toContain(51);
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    await agent.close();
  });
});
