// Two API instances sharing PostgreSQL and Redis: what one instance starts, the other delivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectRawAgent,
  connectRawClient,
  makeSample,
  waitFor,
} from '../apps/api/src/test-support/raw-peers.js';
import { skipWithout } from '../apps/api/src/test-support/services.js';
import type { TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';

const skip = (await skipWithout('postgres')) || (await skipWithout('redis'));

describe.skipIf(skip)('two instances behind one database and one Redis', () => {
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

  it('routes metrics, live mode, actions and log tails between the instances', async () => {
    const owner = await a.setup();
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(a, host);
    agent.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; id?: string; streamId?: string };
      if (m.type === 'logs.start') {
        agent.send({ type: 'ack', id: m.id });
        agent.send({
          type: 'logs.lines',
          streamId: m.streamId,
          lines: [{ ts: Date.now(), line: 'relayed line' }],
        });
      }
    });
    const client = await connectRawClient(b, owner.cookie);
    await client.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    // The agent was told the slow interval at hello, and the live one once a viewer came (on the other instance).
    const intervals = () =>
      agent.messages.filter((m) => m.type === 'metrics.interval').map((m) => m.intervalMs);
    await waitFor(() => intervals().length === 2);
    expect(intervals()).toEqual([10_000, 1000]);

    agent.send({ type: 'metrics', samples: [makeSample(1, Date.now())] });
    expect(await client.next((m) => m.type === 'metrics')).toMatchObject({
      hostId: host.hostId,
      sample: { seq: 1 },
    });

    const run = await client.request({ type: 'action.run', hostId: host.hostId, action: 'uptime' });
    expect(run).toMatchObject({ type: 'ack', actionId: expect.any(String) });
    const command = await agent.next((m) => m.type === 'command');
    expect(command.payload).toContain(run.actionId);
    agent.send({
      type: 'action.result',
      actionId: run.actionId,
      status: 'succeeded',
      exitCode: 0,
      finishedAt: Date.now(),
    });
    expect(await client.next((m) => m.type === 'action.status' && m.status === 'succeeded')).toMatchObject({
      actionId: run.actionId,
      hostId: host.hostId,
      exitCode: 0,
    });
    // Run on B, result received by A (the agent's instance): the audit row still gets the outcome.
    const audit = (await (
      await b.request('GET', `/api/orgs/${owner.organizationId}/audit`, { cookie: owner.cookie })
    ).json()) as { events: { action: string; details: Record<string, unknown> | null }[] };
    expect(audit.events.find((e) => e.action === 'action.run')?.details).toMatchObject({
      actionId: run.actionId,
      outcome: 'succeeded',
      exitCode: 0,
    });

    const tail = await client.request({ type: 'logs.subscribe', hostId: host.hostId, source: 'syslog' });
    expect(tail).toMatchObject({ type: 'ack', streamId: expect.any(String) });
    expect(await client.next((m) => m.type === 'logs.lines')).toMatchObject({
      streamId: tail.streamId,
      lines: [{ line: 'relayed line' }],
    });
    await client.request({ type: 'logs.unsubscribe', streamId: tail.streamId });
    expect(await agent.next((m) => m.type === 'logs.stop')).toMatchObject({ streamId: tail.streamId });

    await agent.close();
    expect(await client.next((m) => m.type === 'host.status' && m.status === 'offline')).toMatchObject({
      hostId: host.hostId,
    });
    await client.close();
  });

  it('feeds a relayed tail only from the agent of its host', async () => {
    const owner = await a.login('owner@example.com', 'correct horse battery');
    const [organization] = (
      (await (await a.request('GET', '/api/auth/me', { cookie: owner })).json()) as {
        organizations: { id: string }[];
      }
    ).organizations;
    const orgId = organization?.id ?? '';
    const host = await a.createEnrolledHost(owner, orgId, 'relay-host');
    const intruder = await a.createEnrolledHost(owner, orgId, 'relay-intruder');
    // Both agents on instance b; the viewer on instance a owns the tail, so every frame is relayed.
    const agent = await connectRawAgent(b, host);
    const other = await connectRawAgent(b, intruder);
    const started = new Promise<string>((resolve) =>
      agent.ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string; id?: string; streamId?: string };
        if (m.type === 'logs.start') {
          agent.send({ type: 'ack', id: m.id });
          resolve(m.streamId ?? '');
        }
      }),
    );
    const client = await connectRawClient(a, owner);
    const tail = await client.request({ type: 'logs.subscribe', hostId: host.hostId, source: 'syslog' });
    const streamId = await started;
    expect(tail).toMatchObject({ type: 'ack', streamId });
    other.send({ type: 'logs.lines', streamId, lines: [{ ts: Date.now(), line: 'forged line' }] });
    other.send({ type: 'logs.ended', streamId, reason: 'forged end' });
    agent.send({ type: 'logs.lines', streamId, lines: [{ ts: Date.now(), line: 'real line' }] });
    expect(await client.next((m) => m.type === 'logs.lines')).toMatchObject({
      lines: [{ line: 'real line' }],
    });
    expect(JSON.stringify(client.messages)).not.toMatch(/forged/);
    await Promise.all([agent.close(), other.close(), client.close()]);
  });

  it('keeps live mode while a viewer on any instance remains', async () => {
    const owner = await a.login('owner@example.com', 'correct horse battery');
    const me = (await (await a.request('GET', '/api/auth/me', { cookie: owner })).json()) as {
      organizations: { id: string }[];
    };
    const host = await a.createEnrolledHost(owner, me.organizations[0]?.id ?? '', 'live');
    const agent = await connectRawAgent(a, host);
    const onA = await connectRawClient(a, owner);
    const onB = await connectRawClient(b, owner);
    await onA.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    await onB.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    // One interval change per subscription (each instance's first viewer), then one per departure.
    const intervals = () =>
      agent.messages.filter((m) => m.type === 'metrics.interval').map((m) => m.intervalMs);
    await waitFor(() => intervals().length === 3); // slow at connect, then live twice
    await onB.request({ type: 'unsubscribe', topic: `host:${host.hostId}` });
    await waitFor(() => intervals().length === 4);
    expect(intervals().at(-1)).toBe(1000);
    agent.messages.length = 0;
    await onA.close();
    expect(await agent.next((m) => m.type === 'metrics.interval')).toMatchObject({ intervalMs: 10_000 });
    await Promise.all([agent.close(), onB.close()]);
  });

  it('closes a session everywhere on logout and keeps the newest agent connection across instances', async () => {
    const owner = await b.login('owner@example.com', 'correct horse battery');
    const me = (await (await a.request('GET', '/api/auth/me', { cookie: owner })).json()) as {
      organizations: { id: string }[];
    };
    const organizationId = me.organizations[0]?.id ?? '';
    const host = await a.createEnrolledHost(owner, organizationId, 'dup');
    const first = await connectRawAgent(a, host);
    const second = await connectRawAgent(b, host);
    expect((await first.closed).code).toBe(4000);
    await waitFor(async () => (await b.ctx.store.hosts.findById(host.hostId))?.status === 'online');
    await a.running.gateway.settled();
    expect((await b.ctx.store.hosts.findById(host.hostId))?.status).toBe('online');

    const watcher = await connectRawClient(b, owner);
    expect((await a.request('POST', '/api/auth/logout', { cookie: owner })).status).toBe(204);
    expect((await watcher.closed).code).toBe(4001);
    await second.close();
  });

  it('keeps the live agent when a ghost upgrade that never says hello lands on the other instance at the same moment', async () => {
    // After a partition a proxy may forward a reconnect the agent already gave up on (it never says hello)
    // together with the agent's live reconnect. Several rounds at once, each a fresh host: the live socket on
    // one instance, the ghost on the other, both upgrades in flight together.
    const owner = await a.login('owner@example.com', 'correct horse battery');
    const me = (await (await a.request('GET', '/api/auth/me', { cookie: owner })).json()) as {
      organizations: { id: string }[];
    };
    const organizationId = me.organizations[0]?.id ?? '';
    const hosts = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => a.createEnrolledHost(owner, organizationId, `ghost-race-${n}`)),
    );
    const rounds = await Promise.all(
      hosts.map(async (host, n) => {
        const [live, ghost] = await Promise.all([
          connectRawAgent(n % 2 === 0 ? a : b, host),
          connectRawAgent(n % 2 === 0 ? b : a, host, null),
        ]);
        const liveClose: { code?: number } = {};
        void live.closed.then(({ code }) => (liveClose.code = code));
        return { host, live, ghost, liveClose };
      }),
    );
    for (const { host, live, ghost, liveClose } of rounds) {
      expect(await ghost.closed).toMatchObject({ code: 1008 });
      await a.running.gateway.settled();
      await b.running.gateway.settled();
      expect(liveClose.code).toBeUndefined();
      expect(live.ws.readyState).toBe(live.ws.OPEN);
      expect((await a.ctx.store.hosts.findById(host.hostId))?.status).toBe('online');
      // The live socket still carries the host: a command started on instance b reaches it.
      const client = await connectRawClient(b, owner);
      const run = await client.request({ type: 'action.run', hostId: host.hostId, action: 'uptime' });
      expect(run).toMatchObject({ type: 'ack', actionId: expect.any(String) });
      expect((await live.next((m) => m.type === 'command')).payload).toContain(run.actionId);
      await Promise.all([client.close(), live.close()]);
    }
  });
});
