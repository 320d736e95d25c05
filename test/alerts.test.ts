// Alerts across instances on PostgreSQL and Redis: rules reach every instance, each transition is notified
// once, and host_offline fires for the hosts of an instance that dies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, makeSample, waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { skipWithout } from '../apps/api/src/test-support/services.js';
import type { TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../apps/api/src/test-support/webhook-receiver.js';
import { startTestCluster, type TestCluster } from './support/cluster.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const skip = (await skipWithout('postgres')) || (await skipWithout('redis'));
const HEARTBEAT_MS = 500;

describe.skipIf(skip)('alerts across instances on PostgreSQL and Redis', () => {
  let cluster: TestCluster | undefined;
  let shared: Record<string, string>;
  let a: TestServer;
  let b: TestServer;
  let doomed: ServerProcess | undefined;
  let doomed2: ServerProcess | undefined;
  let receiver: WebhookReceiver;
  let owner: { cookie: string; organizationId: string };
  let channelId: string;

  beforeAll(async () => {
    cluster = await startTestCluster({
      WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      ALERT_SWEEP_MS: '200',
      ALERT_RETRY_BASE_MS: '100',
      ALERT_DELIVERY_TIMEOUT_MS: '1000',
      // The receivers listen on 127.0.0.1, which the outbound guard refuses unless OUTBOUND_ALLOW opens it.
      OUTBOUND_ALLOW: '127.0.0.1/32',
    });
    ({ a, b, env: shared } = cluster);
    (b.ctx.config.allowedOrigins as Set<string>).add(a.origin);
    receiver = await startWebhookReceiver();
    owner = await a.setup();
    const res = await a.request('POST', `/api/orgs/${owner.organizationId}/notification-channels`, {
      cookie: owner.cookie,
      body: { name: 'hook', type: 'webhook', config: { url: `${receiver.url}/hook` } },
    });
    const created = (await res.json()) as { channel: { id: string }; secret: string };
    receiver.secret = created.secret;
    channelId = created.channel.id;
  });

  afterAll(async () => {
    await doomed?.kill();
    await doomed2?.kill();
    await cluster?.close();
    await receiver?.close();
  });

  const rule = async (body: object) => {
    const res = await a.request('POST', `/api/orgs/${owner.organizationId}/alert-rules`, {
      cookie: owner.cookie,
      body,
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { rule: { id: string } }).rule;
  };
  const remove = (ruleId: string) =>
    a.request('DELETE', `/api/alert-rules/${ruleId}`, { cookie: owner.cookie });

  it('evaluates a rule created on one instance on the other, and notifies each transition once', async () => {
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'metric-host');
    const r = await rule({
      name: 'cpu',
      condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 50 },
      forSeconds: 0,
      channelIds: [channelId],
    });
    // The agent is on B; the rule was written through A.
    const agent = await connectRawAgent(b, host);
    const now = Date.now();
    await waitFor(async () => {
      agent.send({
        type: 'metrics',
        samples: [makeSample(1, now - 1000, { cpu: { total: 90, cores: [90] } })],
      });
      await agent.next((m) => m.type === 'metrics.ack');
      agent.messages.length = 0;
      return receiver.received.some((h) => h.json.type === 'alert.firing');
    });
    agent.send({ type: 'metrics', samples: [makeSample(2, now, { cpu: { total: 5, cores: [5] } })] });
    await waitFor(() => receiver.received.some((h) => h.json.type === 'alert.resolved'));
    // Both instances run delivery workers: still one request per transition, all signed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mine = receiver.received.filter((h) => (h.json.rule as { id: string }).id === r.id);
    expect(mine.map((h) => h.json.type)).toEqual(['alert.firing', 'alert.resolved']);
    expect(mine.every((h) => h.verified)).toBe(true);
    await agent.close();
    expect((await remove(r.id)).status).toBe(204);
  });

  it('evaluates a host that moves between instances from the store, not from a stale cache', async () => {
    receiver.received.length = 0;
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'mover');
    const r = await rule({
      name: 'mover cpu',
      condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 50 },
      forSeconds: 0,
      hostIds: [host.hostId],
      channelIds: [channelId],
    });
    const types = () => receiver.received.map((h) => h.json.type);
    const cpu = (total: number) => ({ cpu: { total, cores: [total] } });
    const now = Date.now();
    // Fires on B, resolves on A, fires again on B: B must not trust what it cached the first time.
    let agent = await connectRawAgent(b, host);
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 3000, cpu(90))] });
    await waitFor(() => types().length === 1);
    await agent.close();
    agent = await connectRawAgent(a, host);
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 2000, cpu(10))] });
    await waitFor(() => types().length === 2);
    await agent.close();
    agent = await connectRawAgent(b, host);
    agent.send({ type: 'metrics', samples: [makeSample(3, now - 1000, cpu(95))] });
    await waitFor(() => types().length === 3);
    expect(types()).toEqual(['alert.firing', 'alert.resolved', 'alert.firing']);
    const ids = receiver.received.map((h) => (h.json.alert as { id: string }).id);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    await agent.close();
    // Deleting the rule resolves its firing alert (notified before the next test starts).
    expect((await remove(r.id)).status).toBe(204);
    await waitFor(() => types().length === 4);
    expect(types()[3]).toBe('alert.resolved');
  });

  it('fires host_offline once when the agent stops, though both instances sweep', async () => {
    receiver.received.length = 0;
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'stopping');
    const agent = await connectRawAgent(b, host);
    const r = await rule({
      name: 'down',
      condition: { kind: 'host_offline' },
      forSeconds: 1,
      hostIds: [host.hostId],
      channelIds: [channelId],
    });
    await agent.close();
    await waitFor(() => receiver.received.some((h) => h.json.type === 'alert.firing'), 5000);
    // Several sweeps later, still one notification.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received.filter((h) => h.json.type === 'alert.firing')).toHaveLength(1);
    expect((receiver.received[0]?.json.host as { name: string }).name).toBe('stopping');
    expect((await remove(r.id)).status).toBe(204);
  });

  it('fires host_offline for the hosts of an instance that dies', async () => {
    receiver.received.length = 0;
    const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'orphan');
    doomed = await startServerProcess(shared);
    const agent = await connectRawAgent({ ...a, wsUrl: doomed.wsUrl }, host);
    expect((await a.ctx.store.hosts.findById(host.hostId))?.status).toBe('online');
    // Every host of the organization (the other tests' hosts are offline too): count this host's only.
    const r = await rule({
      name: 'lost',
      condition: { kind: 'host_offline' },
      forSeconds: 0,
      channelIds: [channelId],
    });
    const ofHost = () => receiver.received.filter((h) => (h.json.host as { id: string }).id === host.hostId);
    await doomed.kill();
    const killedAt = Date.now();
    await waitFor(() => ofHost().some((h) => h.json.type === 'alert.firing'), HEARTBEAT_MS * 10);
    expect(Date.now() - killedAt).toBeLessThan(HEARTBEAT_MS * 2 + 1500);
    expect((await agent.closed).code).toBe(1006);
    // Back on a living instance: resolved, once.
    const back = await connectRawAgent(a, host);
    await waitFor(() => ofHost().some((h) => h.json.type === 'alert.resolved'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(ofHost().map((h) => h.json.type)).toEqual(['alert.firing', 'alert.resolved']);
    expect(new Set(ofHost().map((h) => (h.json.alert as { id: string }).id)).size).toBe(1);
    await back.close();
    expect((await remove(r.id)).status).toBe(204);
  });

  it('retries with the same webhook-id a delivery whose instance died in the middle of it', async () => {
    const hanging = await startWebhookReceiver();
    // The first attempt never gets an answer (its instance is killed meanwhile); later ones succeed.
    hanging.respond = (_hook, index) => (index === 0 ? 'hang' : 200);
    try {
      const created = await a.request('POST', `/api/orgs/${owner.organizationId}/notification-channels`, {
        cookie: owner.cookie,
        body: { name: 'slow', type: 'webhook', config: { url: `${hanging.url}/hook` } },
      });
      const channel = (await created.json()) as { channel: { id: string }; secret: string };
      hanging.secret = channel.secret;
      const host = await a.createEnrolledHost(owner.cookie, owner.organizationId, 'lease-host');
      const r = await rule({
        name: 'lease cpu',
        condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 50 },
        forSeconds: 0,
        hostIds: [host.hostId],
        channelIds: [channel.channel.id],
      });
      // The transition happens on the instance holding the agent, which attempts its delivery at once.
      doomed2 = await startServerProcess(shared);
      const agent = await connectRawAgent({ ...a, wsUrl: doomed2.wsUrl }, host);
      await waitFor(async () => {
        agent.send({
          type: 'metrics',
          samples: [makeSample(1, Date.now(), { cpu: { total: 90, cores: [90] } })],
        });
        await agent.next((m) => m.type === 'metrics.ack');
        agent.messages.length = 0;
        return hanging.received.length > 0;
      });
      await doomed2.kill();
      await waitFor(() => hanging.received.some((h) => h.status === 200), 15_000);
      const ids = new Set(hanging.received.map((h) => h.headers['webhook-id']));
      expect(ids.size).toBe(1);
      expect(hanging.received.every((h) => h.verified)).toBe(true);
      expect(hanging.received.filter((h) => h.status === 200)).toHaveLength(1);
      expect((await remove(r.id)).status).toBe(204);
    } finally {
      await hanging.close();
    }
  });
});
