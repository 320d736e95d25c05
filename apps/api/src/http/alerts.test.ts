// Alerts end to end on one instance: rules evaluated from a raw agent's samples, signed webhooks received by a
// real HTTP server, e-mail by a real SMTP server, retries, a hanging receiver, restarts, roles and tenants;
// the outbound guard against a real DNS server, secrets, the e-mail budget and the test-send bounds.
import net from 'node:net';
import type { ContainerInfo } from '@hostwire/protocol';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDnsServer } from '../test-support/dns-server.js';
import { connectRawAgent, connectRawClient, makeSample, waitFor } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../test-support/webhook-receiver.js';

// The receivers listen on 127.0.0.1, which the outbound guard refuses unless the operator opens it.
const FAST = {
  ALERT_RETRY_BASE_MS: '100',
  ALERT_SWEEP_MS: '100',
  ALERT_DELIVERY_TIMEOUT_MS: '1000',
  OUTBOUND_ALLOW: '127.0.0.1/32',
};
/** FAST without OUTBOUND_ALLOW: the guard's defaults. */
const GUARDED = { ...FAST, OUTBOUND_ALLOW: '' };

let server: TestServer;
let receiver: WebhookReceiver;
let owner: { cookie: string; userId: string; organizationId: string };

beforeEach(async () => {
  server = await startTestServer(FAST);
  receiver = await startWebhookReceiver();
  owner = await server.setup();
});
afterEach(async () => {
  await server.cleanup();
  await receiver.close();
});

type Json = Record<string, unknown>;

async function post(
  path: string,
  body: unknown,
  cookie = owner.cookie,
): Promise<{ status: number; json: Json }> {
  const res = await server.request('POST', path, { cookie, body });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Json };
}
async function get(path: string, cookie = owner.cookie): Promise<{ status: number; json: Json }> {
  const res = await server.request('GET', path, { cookie });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Json };
}

async function webhookChannel(target: WebhookReceiver = receiver, name = 'hook'): Promise<string> {
  const res = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
    name,
    type: 'webhook',
    config: { url: `${target.url}/hook` },
  });
  expect(res.status).toBe(201);
  target.secret = res.json.secret as string;
  return (res.json.channel as { id: string }).id;
}

async function rule(body: Json): Promise<{ id: string }> {
  const res = await post(`/api/orgs/${owner.organizationId}/alert-rules`, body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.rule as { id: string };
}

/** A rule that fires at once while cpu is above 50, notifying `channelIds`. */
const cpuRule = (channelIds: string[], name = 'cpu') =>
  rule({
    name,
    condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 50 },
    forSeconds: 0,
    channelIds,
  });

const cpu = (total: number) => ({ cpu: { total, cores: [total] } });
const alerts = async (state?: string) =>
  (await get(`/api/orgs/${owner.organizationId}/alerts${state ? `?state=${state}` : ''}`)).json
    .alerts as Json[];
const deliveries = async (channelId: string) =>
  (await get(`/api/notification-channels/${channelId}/deliveries`)).json.deliveries as Json[];

function container(name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `id${name.replace(/[^A-Za-z0-9]/g, '')}`,
    name,
    image: 'nginx:1',
    state: 'running',
    health: 'none',
    cpuPercent: 1,
    memoryBytes: 1e6,
    memoryLimitBytes: 0,
    netRxBps: 0,
    netTxBps: 0,
    blockReadBps: 0,
    blockWriteBps: 0,
    restartCount: 0,
    ...over,
  };
}

describe('metric rules', () => {
  it('goes pending → firing after forSeconds, then resolves; each change is pushed and signed', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'web-1');
    const channelId = await webhookChannel();
    const r = await rule({
      name: 'High CPU',
      condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 90 },
      forSeconds: 2,
      channelIds: [channelId],
      severity: 'critical',
    });
    const client = await connectRawClient(server, owner.cookie);
    await client.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 3000, cpu(95))] });
    await waitFor(async () => (await alerts('pending')).length === 1);
    expect(receiver.received).toHaveLength(0);
    // Held for 1 s: still pending.
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 2000, cpu(96))] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2));
    expect(await alerts('firing')).toHaveLength(0);
    // Held for 2 s: firing, notified once.
    agent.send({ type: 'metrics', samples: [makeSample(3, now - 1000, cpu(97))] });
    const firing = await client.next((m) => m.type === 'alert.firing');
    expect(firing).toMatchObject({
      organizationId: owner.organizationId,
      alert: {
        ruleId: r.id,
        hostId: host.hostId,
        hostName: 'web-1',
        state: 'firing',
        value: 97,
        startedAt: now - 3000,
      },
    });
    await waitFor(() => receiver.received.length === 1);
    const hook = receiver.received[0];
    expect(hook?.verified).toBe(true);
    expect(hook?.headers['webhook-id']).toMatch(/^msg_/);
    expect(hook?.json).toMatchObject({
      type: 'alert.firing',
      rule: { id: r.id, name: 'High CPU' },
      host: { id: host.hostId, name: 'web-1' },
      organization: { id: owner.organizationId, name: 'Acme' },
      alert: { state: 'firing', severity: 'critical' },
    });
    expect(String(hook?.json.url)).toContain(`/hosts/${host.hostId}?at=`);
    // Still above: nothing new.
    agent.send({ type: 'metrics', samples: [makeSample(4, now - 500, cpu(99))] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(4));
    // Below: resolved, same alert id.
    agent.send({ type: 'metrics', samples: [makeSample(5, now, cpu(10))] });
    const resolved = await client.next((m) => m.type === 'alert.resolved');
    expect((resolved.alert as Json).id).toBe((firing.alert as Json).id);
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received[1]?.json).toMatchObject({
      type: 'alert.resolved',
      alert: { state: 'resolved' },
    });
    expect(receiver.received[1]?.verified).toBe(true);
    expect((await alerts('resolved'))[0]).toMatchObject({ id: (firing.alert as Json).id, state: 'resolved' });
    const log = await deliveries(channelId);
    expect(log.map((d) => [d.event, d.status, d.lastStatusCode])).toEqual([
      ['alert.resolved', 'delivered', 200],
      ['alert.firing', 'delivered', 200],
    ]);
    await Promise.all([agent.close(), client.close()]);
  });

  it('forgets a pending alert whose condition stops before forSeconds, without notifying', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    await rule({
      name: 'load',
      condition: { kind: 'metric', series: 'load1', op: '>=', threshold: 4 },
      forSeconds: 60,
      channelIds: [channelId],
    });
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 1000, { load: [5, 1, 1] })] });
    await waitFor(async () => (await alerts('pending')).length === 1);
    agent.send({ type: 'metrics', samples: [makeSample(2, now, { load: [1, 1, 1] })] });
    await waitFor(async () => (await alerts('pending')).length === 0);
    expect(await alerts()).toEqual([]);
    expect(receiver.received).toHaveLength(0);
    await agent.close();
  });

  it('retries a failing receiver with backoff, every attempt with the same webhook-id', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    receiver.respond = (_hook, index) => (index < 2 ? 503 : 200);
    await cpuRule([channelId]);
    const agent = await connectRawAgent(server, host);
    agent.send({ type: 'metrics', samples: [makeSample(1, Date.now(), cpu(80))] });
    await waitFor(() => receiver.received.length === 3, 10_000);
    const ids = new Set(receiver.received.map((h) => h.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(receiver.received.every((h) => h.verified)).toBe(true);
    await waitFor(async () => (await deliveries(channelId))[0]?.status === 'delivered');
    const [delivery] = await deliveries(channelId);
    expect(delivery).toMatchObject({ attempts: 3, status: 'delivered', lastStatusCode: 200 });
    expect((delivery?.attemptLog as Json[]).map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [3, 200, null],
      [2, 503, 'HTTP 503'],
      [1, 503, 'HTTP 503'],
    ]);
    await agent.close();
  });

  it('keeps ingest and other channels moving while one receiver hangs', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const hanging = await startWebhookReceiver();
    hanging.respond = () => 'hang';
    try {
      const slowId = await webhookChannel(hanging, 'hangs');
      const fastId = await webhookChannel(receiver, 'answers');
      await cpuRule([slowId, fastId]);
      const agent = await connectRawAgent(server, host);
      const now = Date.now();
      agent.send({ type: 'metrics', samples: [makeSample(1, now - 100, cpu(80))] });
      await waitFor(() => receiver.received.length === 1 && hanging.received.length === 1);
      // Ingest goes on while the hanging attempt is open.
      agent.send({ type: 'metrics', samples: [makeSample(2, now, cpu(10))] });
      await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2), 2000);
      await waitFor(() => receiver.received.length === 2, 2000);
      // The hanging attempt ends at the deadline and is logged, then retried.
      await waitFor(async () => (await deliveries(slowId)).some((d) => d.lastError !== null), 5000);
      const failed = (await deliveries(slowId)).find((d) => d.lastError !== null);
      expect(failed?.lastError).toBe('could not deliver: timed out');
      expect(failed?.status).toBe('pending');
      await agent.close();
    } finally {
      await hanging.close();
    }
  });
});

describe('restarts', () => {
  it('keeps a firing alert across a restart: same id, no second notification, then resolves', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    await cpuRule([channelId], 'disk');
    let agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 2000, cpu(80))] });
    await waitFor(() => receiver.received.length === 1);
    const [before] = await alerts('firing');
    await agent.close();
    await server.close();
    server = await startTestServer(FAST, { dataDir: server.dataDir });
    agent = await connectRawAgent(server, host);
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 1000, cpu(85))] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2));
    const [after] = await alerts('firing');
    expect(after?.id).toBe(before?.id);
    agent.send({ type: 'metrics', samples: [makeSample(3, now, cpu(5))] });
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((h) => h.json.type)).toEqual(['alert.firing', 'alert.resolved']);
    expect((receiver.received[1]?.json.alert as Json).id).toBe(before?.id);
    await agent.close();
  });

  it('delivers after a restart what was stored but not yet delivered', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    receiver.respond = () => 500;
    await cpuRule([channelId]);
    const agent = await connectRawAgent(server, host);
    agent.send({ type: 'metrics', samples: [makeSample(1, Date.now(), cpu(80))] });
    await waitFor(() => receiver.received.length >= 1);
    await agent.close();
    await server.close();
    receiver.respond = () => 200;
    const failedIds = new Set(receiver.received.map((h) => h.headers['webhook-id']));
    server = await startTestServer(FAST, { dataDir: server.dataDir });
    await waitFor(() => receiver.received.some((h) => h.status === 200), 10_000);
    const delivered = receiver.received.find((h) => h.status === 200);
    expect(failedIds.has(delivered?.headers['webhook-id'])).toBe(true);
  });
});

describe('host_offline', () => {
  it('fires when the agent stops and resolves when it is back', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'db-1');
    const channelId = await webhookChannel();
    await rule({ name: 'down', condition: { kind: 'host_offline' }, forSeconds: 0, channelIds: [channelId] });
    const client = await connectRawClient(server, owner.cookie);
    await client.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    let agent = await connectRawAgent(server, host);
    await agent.close();
    const firing = await client.next((m) => m.type === 'alert.firing');
    expect(firing.alert).toMatchObject({
      hostId: host.hostId,
      hostName: 'db-1',
      value: null,
      container: null,
    });
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0]?.json).toMatchObject({ type: 'alert.firing', host: { name: 'db-1' } });
    agent = await connectRawAgent(server, host);
    await client.next((m) => m.type === 'alert.resolved');
    await waitFor(() => receiver.received.length === 2);
    await Promise.all([agent.close(), client.close()]);
  });

  it('waits forSeconds before firing (the sweep fires it) and resolves its alerts when the host is deleted', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    await rule({ name: 'down', condition: { kind: 'host_offline' }, forSeconds: 1, channelIds: [] });
    const agent = await connectRawAgent(server, host);
    await agent.close();
    await waitFor(async () => (await alerts('pending')).length === 1);
    await waitFor(async () => (await alerts('firing')).length === 1, 5000);
    expect(
      (await server.request('DELETE', `/api/hosts/${host.hostId}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    await waitFor(async () => (await alerts('resolved')).length === 1);
    expect(await alerts('firing')).toEqual([]);
  });
});

describe('container conditions', () => {
  it('fires per container matched by a glob and resolves when the container runs again', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    await rule({
      name: 'web containers down',
      condition: { kind: 'container_down', container: 'web-*' },
      forSeconds: 0,
      channelIds: [channelId],
    });
    await rule({
      name: 'worker memory',
      condition: { kind: 'container_metric', container: 'work?r', series: 'memory', op: '>', threshold: 5e8 },
      forSeconds: 0,
      channelIds: [],
    });
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({
      type: 'metrics',
      samples: [
        makeSample(1, now - 2000, {
          containers: [
            container('web-1', { state: 'exited' }),
            container('web-2', { health: 'unhealthy' }),
            container('web-3'),
            container('db', { state: 'exited' }),
            container('worker', { memoryBytes: 9e8 }),
          ],
        }),
      ],
    });
    await waitFor(async () => (await alerts('firing')).length === 3);
    const firing = await alerts('firing');
    expect(firing.map((a) => `${a.ruleName as string}:${a.container as string}`).sort()).toEqual([
      'web containers down:web-1',
      'web containers down:web-2',
      'worker memory:worker',
    ]);
    expect(firing.find((a) => a.container === 'worker')?.value).toBe(9e8);
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((h) => (h.json.alert as Json).container).sort()).toEqual(['web-1', 'web-2']);
    // web-1 runs again, web-2 is healthy, worker's memory drops.
    agent.send({
      type: 'metrics',
      samples: [
        makeSample(2, now - 1000, {
          containers: [container('web-1'), container('web-2', { health: 'healthy' }), container('worker')],
        }),
      ],
    });
    await waitFor(async () => (await alerts('firing')).length === 0);
    expect((await alerts('resolved')).map((a) => a.container).sort()).toEqual(['web-1', 'web-2', 'worker']);
    await agent.close();
  });

  it('keeps a vanished container down until it has been gone for ALERT_CONTAINER_GONE_SECONDS', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    await rule({
      name: 'api down',
      condition: { kind: 'container_down', container: 'api' },
      forSeconds: 0,
      channelIds: [],
    });
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({
      type: 'metrics',
      samples: [makeSample(1, now - 700_000, { containers: [container('api', { state: 'dead' })] })],
    });
    await waitFor(async () => (await alerts('firing')).length === 1);
    // Absent for 5 minutes: still down. Absent for more than 10 minutes (the default): gone for good.
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 400_000, { containers: [] })] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2));
    expect(await alerts('firing')).toHaveLength(1);
    agent.send({ type: 'metrics', samples: [makeSample(3, now, { containers: [] })] });
    await waitFor(async () => (await alerts('resolved')).length === 1);
    await agent.close();
  });
});

describe('evaluation bounds', () => {
  /** The value of one series on /metrics (0 when absent). */
  async function metric(series: string): Promise<number> {
    const text = await (await server.request('GET', '/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }
  const warnings = (setting: string) =>
    server.logs
      .map((l) => JSON.parse(l) as Json)
      .filter((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.includes(setting));
  const restart = async (env: Record<string, string>) => {
    await server.close();
    server = await startTestServer({ ...FAST, ...env }, { dataDir: server.dataDir });
  };
  const containerDown = (name: string, container: string) =>
    rule({ name, condition: { kind: 'container_down', container }, forSeconds: 0, channelIds: [] });

  it('opens at most ALERT_MAX_OPEN_PER_EVALUATION alerts per rule and sample (10 rules x 140 containers), counts the rest on /metrics and warns once per rule and host', async () => {
    await restart({ ALERT_MAX_OPEN_PER_EVALUATION: '5' });
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    for (let i = 0; i < 10; i += 1) await containerDown(`down ${i}`, 'svc-*');
    const agent = await connectRawAgent(server, host);
    const down = Array.from({ length: 140 }, (_, i) => container(`svc-${i}`, { state: 'exited' }));
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 2000, { containers: down })] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(1));
    await waitFor(async () => (await alerts('firing')).length === 50);
    expect(await metric('hostwire_alert_opens_capped_total')).toBe(10 * 135);
    const first = warnings('ALERT_MAX_OPEN_PER_EVALUATION');
    expect(first).toHaveLength(10);
    expect(first[0]).toMatchObject({ hostId: host.hostId, cappedAlerts: 135, limit: 5 });
    // The next sample opens the next five of each rule; the warning is not repeated within its window.
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 1000, { containers: down })] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2));
    await waitFor(async () => (await alerts('firing')).length === 100);
    expect(await metric('hostwire_alert_opens_capped_total')).toBe(10 * 135 + 10 * 130);
    expect(warnings('ALERT_MAX_OPEN_PER_EVALUATION')).toHaveLength(10);
    await agent.close();
  });

  it('evaluates only the oldest rules that fit ALERT_EVALUATIONS_PER_SAMPLE, and says which were left out', async () => {
    await restart({ ALERT_EVALUATIONS_PER_SAMPLE: '500' });
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await containerDown(`r${i}`, 'svc-*')).id);
    const agent = await connectRawAgent(server, host);
    // 140 containers: 500 evaluations fit 3 rules, the 2 newest are left out (280 evaluations).
    const many = Array.from({ length: 140 }, (_, i) =>
      container(`svc-${i}`, { state: i === 0 ? 'exited' : 'running' }),
    );
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 2000, { containers: many })] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(1));
    await waitFor(async () => (await alerts('firing')).length === 3);
    expect((await alerts('firing')).map((a) => a.ruleName).sort()).toEqual(['r0', 'r1', 'r2']);
    expect(await metric('hostwire_alert_container_evaluations_skipped_total{reason="limit"}')).toBe(280);
    const [warning, ...more] = warnings('ALERT_EVALUATIONS_PER_SAMPLE');
    expect(more).toHaveLength(0);
    expect(warning).toMatchObject({ containers: 140, evaluatedRules: 3, skippedRuleIds: [ids[3], ids[4]] });
    // 100 containers: all five fit.
    agent.send({ type: 'metrics', samples: [makeSample(2, now - 1000, { containers: many.slice(0, 100) })] });
    await waitFor(async () => (await alerts('firing')).length === 5);
    expect(await metric('hostwire_alert_container_evaluations_skipped_total{reason="limit"}')).toBe(280);
    await agent.close();
  });

  it("matches a 50-star glob against 200-character names correctly while pathological globs stay bounded: names past a frame's budget are evaluated at the next samples, counted and warned once", async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    // Each of these scans the whole name and finds nothing (a backtracking matcher retried every segment
    // at every position: ~16 000 steps per name and glob).
    for (let i = 0; i < 30; i += 1) await containerDown(`slow ${i}`, `a*${'a'.repeat(100 + i)}b*a`);
    const fifty = await containerDown('fifty stars', `${'a*'.repeat(50)}a`);
    const agent = await connectRawAgent(server, host);
    // 100 names of 200 characters: a's around a three-digit tag; the first and the last are down.
    const names = Array.from(
      { length: 100 },
      (_, i) => `${'a'.repeat(98)}${String(i).padStart(3, '0')}${'a'.repeat(99)}`,
    );
    const sampleOf = (seq: number, ts: number) =>
      makeSample(seq, ts, {
        containers: names.map((name, i) =>
          container(name, { id: `c${i}`, state: i === 0 || i === 99 ? 'exited' : 'running' }),
        ),
      });
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [sampleOf(1, now - 60_000)] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(1));
    await waitFor(async () => (await alerts('firing')).length === 1);
    const [firstAlert] = await alerts('firing');
    expect(firstAlert).toMatchObject({ ruleId: fifty.id, container: names[0] });
    const skipped = await metric('hostwire_alert_container_evaluations_skipped_total{reason="new_names"}');
    // Whole containers wait, each for all 31 rules.
    expect(skipped).toBeGreaterThan(0);
    expect(skipped % 31).toBe(0);
    // Sample after sample, the remembered names grow until the last container is evaluated too.
    let seq = 1;
    await waitFor(
      async () => {
        seq += 1;
        agent.send({ type: 'metrics', samples: [sampleOf(seq, now - 60_000 + seq * 100)] });
        await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(seq));
        return (await alerts('firing')).length === 2;
      },
      10_000,
      'the last container evaluated',
    );
    expect((await alerts('firing')).map((a) => a.container).sort()).toEqual([names[0], names[99]]);
    expect(warnings('new container names')).toHaveLength(1);
    await agent.close();
  });
});

describe('channels', () => {
  it('never shows a secret, masks URL tokens, and keeps the secret on edit', async () => {
    const created = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'slack',
      type: 'slack',
      config: {
        url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=qs-token-zq',
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.secret).toBeUndefined();
    const shown = JSON.stringify(created.json);
    expect(shown).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXX');
    // Not a hex string: ids are UUIDs, and one may well contain "abc".
    expect(shown).not.toContain('qs-token-zq');
    const hook = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'ntfy',
      type: 'ntfy',
      config: { url: `${receiver.url}/alerts`, token: 'tk_secret_token', priority: 5, tags: ['server'] },
    });
    const id = (hook.json.channel as Json).id as string;
    expect(JSON.stringify(hook.json)).not.toContain('tk_secret_token');
    expect((hook.json.channel as Json).hasSecret).toBe(true);
    const patched = await server.request('PATCH', `/api/notification-channels/${id}`, {
      cookie: owner.cookie,
      body: { name: 'phone' },
    });
    expect(patched.status).toBe(200);
    const tested = await post(`/api/notification-channels/${id}/test`, {});
    expect(tested.status).toBe(202);
    expect(tested.json.delivery).toMatchObject({ event: 'test', status: 'delivered', lastStatusCode: 200 });
    const got = receiver.received[0];
    expect(got?.headers.authorization).toBe('Bearer tk_secret_token');
    expect(got?.headers.priority).toBe('5');
    expect(got?.headers.tags).toBe('test_tube,server');
    const list = await get(`/api/orgs/${owner.organizationId}/notification-channels`);
    expect(JSON.stringify(list.json)).not.toContain('tk_secret_token');
  });

  it('sends a signed "type":"test" webhook and reports a failure', async () => {
    const channelId = await webhookChannel();
    const ok = await post(`/api/notification-channels/${channelId}/test`, {});
    expect(ok.status).toBe(202);
    expect(receiver.received[0]?.json).toMatchObject({
      type: 'test',
      organization: { id: owner.organizationId },
    });
    expect(receiver.received[0]?.verified).toBe(true);
    receiver.respond = () => 404;
    const failed = await post(`/api/notification-channels/${channelId}/test`, {});
    expect(failed.json.delivery).toMatchObject({
      status: 'failed',
      lastStatusCode: 404,
      lastError: 'HTTP 404',
    });
  });

  it('uses a given whsec_ key, and formats slack and discord bodies', async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const hook = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'mine',
      type: 'webhook',
      config: { url: `${receiver.url}/w`, secret },
    });
    expect(hook.json.secret).toBeUndefined();
    receiver.secret = secret;
    await post(`/api/notification-channels/${(hook.json.channel as Json).id as string}/test`, {});
    expect(receiver.received[0]?.verified).toBe(true);
    const id = (hook.json.channel as Json).id as string;
    const unsign = await server.request('PATCH', `/api/notification-channels/${id}`, {
      cookie: owner.cookie,
      body: { config: { secret: null } },
    });
    expect(unsign.status).toBe(400);
    for (const type of ['slack', 'discord']) {
      const c = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
        name: type,
        type,
        config: { url: `${receiver.url}/${type}` },
      });
      await post(`/api/notification-channels/${(c.json.channel as Json).id as string}/test`, {});
    }
    expect(receiver.received[1]?.json.text).toMatch(/test notification/i);
    expect(receiver.received[2]?.json.content).toMatch(/test notification/i);
  });

  it('refuses non-http URLs, bad bodies and e-mail without SMTP with 400', async () => {
    const bad = [
      { name: 'x', type: 'webhook', config: { url: 'file:///etc/passwd' } },
      { name: 'x', type: 'webhook', config: { url: 'gopher://example.com' } },
      { name: 'x', type: 'webhook', config: { url: 'https://example.com', secret: 'nope' } },
      { name: 'x', type: 'sms', config: {} },
      { name: '', type: 'slack', config: { url: 'https://example.com' } },
      { name: 'x', type: 'email', config: { to: ['not-an-email'] } },
      { name: 'x', type: 'email', config: { to: ['ops@example.com'] } },
    ];
    for (const body of bad) {
      const res = await post(`/api/orgs/${owner.organizationId}/notification-channels`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.json.error as Json).code).toBe('bad_request');
    }
  });
});

describe('channel deletion', () => {
  it('takes a deleted channel out of the rules that named it', async () => {
    const keep = await webhookChannel(receiver, 'keep');
    const gone = await webhookChannel(receiver, 'gone');
    const r = await rule({
      name: 'down',
      condition: { kind: 'host_offline' },
      forSeconds: 0,
      channelIds: [keep, gone],
    });
    expect(
      (await server.request('DELETE', `/api/notification-channels/${gone}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    const rules = (await get(`/api/orgs/${owner.organizationId}/alert-rules`)).json.rules as Json[];
    expect(rules.find((x) => x.id === r.id)?.channelIds).toEqual([keep]);
    expect((await get(`/api/notification-channels/${gone}/deliveries`)).status).toBe(404);
  });
});

describe('rules validation', () => {
  it('answers 400 with a clear message for bad rules', async () => {
    const bad = [
      {
        name: 'x',
        condition: { kind: 'metric', series: 'nope', op: '>', threshold: 1 },
        forSeconds: 0,
        channelIds: [],
      },
      {
        name: 'x',
        condition: { kind: 'metric', series: 'cpu', op: '==', threshold: 1 },
        forSeconds: 0,
        channelIds: [],
      },
      { name: 'x', condition: { kind: 'metric', series: 'cpu', op: '>' }, forSeconds: 0, channelIds: [] },
      { name: 'x', condition: { kind: 'host_offline' }, forSeconds: -1, channelIds: [] },
      { name: 'x', condition: { kind: 'container_down', container: 'a/b' }, forSeconds: 0, channelIds: [] },
      { name: 'x', condition: { kind: 'teapot' }, forSeconds: 0, channelIds: [] },
      { name: 'x', condition: { kind: 'host_offline' }, forSeconds: 0, channelIds: ['unknown-channel'] },
      {
        name: 'x',
        condition: { kind: 'host_offline' },
        forSeconds: 0,
        channelIds: [],
        hostIds: ['unknown-host'],
      },
    ];
    for (const body of bad) {
      const res = await post(`/api/orgs/${owner.organizationId}/alert-rules`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(typeof (res.json.error as Json).message).toBe('string');
    }
    expect((await get(`/api/orgs/${owner.organizationId}/alerts?state=bogus`)).status).toBe(400);
  });

  it('resolves the alerts of an edited rule and applies the new condition', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const channelId = await webhookChannel();
    const r = await cpuRule([channelId]);
    const agent = await connectRawAgent(server, host);
    const now = Date.now();
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 1000, cpu(80))] });
    await waitFor(async () => (await alerts('firing')).length === 1);
    const res = await server.request('PATCH', `/api/alert-rules/${r.id}`, {
      cookie: owner.cookie,
      body: { condition: { kind: 'metric', series: 'cpu', op: '>', threshold: 90 } },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { rule: Json }).rule).toMatchObject({ condition: { threshold: 90 } });
    expect(await alerts('firing')).toEqual([]);
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received[1]?.json.type).toBe('alert.resolved');
    agent.send({ type: 'metrics', samples: [makeSample(2, now, cpu(80))] });
    await agent.next((m) => m.type === 'metrics.ack' && m.seqs.includes(2));
    expect(await alerts('firing')).toEqual([]);
    expect(
      (await server.request('DELETE', `/api/alert-rules/${r.id}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    expect((await get(`/api/orgs/${owner.organizationId}/alert-rules`)).json.rules).toEqual([]);
    await agent.close();
  });
});

describe('roles and tenants', () => {
  it('lets viewers read rules and alerts but not write (403), and hides another org (404)', async () => {
    const channelId = await webhookChannel();
    const r = await rule({
      name: 'down',
      condition: { kind: 'host_offline' },
      forSeconds: 0,
      channelIds: [channelId],
    });
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'viewer@example.com', 'viewer');
    expect((await get(`/api/orgs/${owner.organizationId}/alert-rules`, viewer.cookie)).status).toBe(200);
    expect((await get(`/api/orgs/${owner.organizationId}/alerts`, viewer.cookie)).status).toBe(200);
    const ruleBody = { name: 'x', condition: { kind: 'host_offline' }, forSeconds: 0, channelIds: [] };
    expect(
      (await post(`/api/orgs/${owner.organizationId}/alert-rules`, ruleBody, viewer.cookie)).status,
    ).toBe(403);
    expect(
      (
        await post(
          `/api/orgs/${owner.organizationId}/notification-channels`,
          { name: 'x', type: 'slack', config: { url: 'https://e.com' } },
          viewer.cookie,
        )
      ).status,
    ).toBe(403);
    expect(
      (await server.request('DELETE', `/api/alert-rules/${r.id}`, { cookie: viewer.cookie })).status,
    ).toBe(403);
    expect((await post(`/api/notification-channels/${channelId}/test`, {}, viewer.cookie)).status).toBe(403);
    expect((await get(`/api/notification-channels/${channelId}/deliveries`, viewer.cookie)).status).toBe(403);

    // Someone of another organization: every resource of this one is 404, even with a bad body.
    // (Organizations are created by an instance administrator: the setup user, who then invites.)
    const otherOrg = await post('/api/orgs', { name: 'Other' }, owner.cookie);
    expect(otherOrg.status).toBe(201);
    const other = await server.addMember(
      owner.cookie,
      (otherOrg.json.organization as Json).id as string,
      'eve@example.com',
      'admin',
    );
    expect((await get(`/api/orgs/${owner.organizationId}/alerts`, other.cookie)).status).toBe(404);
    expect((await get(`/api/orgs/${owner.organizationId}/alert-rules`, other.cookie)).status).toBe(404);
    expect(
      (await post(`/api/orgs/${owner.organizationId}/alert-rules`, { bad: true }, other.cookie)).status,
    ).toBe(404);
    expect(
      (await server.request('PATCH', `/api/alert-rules/${r.id}`, { cookie: other.cookie, body: { bad: 1 } }))
        .status,
    ).toBe(404);
    expect(
      (await server.request('DELETE', `/api/alert-rules/${r.id}`, { cookie: other.cookie })).status,
    ).toBe(404);
    expect(
      (
        await server.request('PATCH', `/api/notification-channels/${channelId}`, {
          cookie: other.cookie,
          body: {},
        })
      ).status,
    ).toBe(404);
    expect((await post(`/api/notification-channels/${channelId}/test`, {}, other.cookie)).status).toBe(404);
    expect((await get(`/api/notification-channels/${channelId}/deliveries`, other.cookie)).status).toBe(404);
    expect(receiver.received).toHaveLength(0);
  });

  it('sends org frames only to that organization', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    await rule({ name: 'down', condition: { kind: 'host_offline' }, forSeconds: 0, channelIds: [] });
    const otherOrg = await post('/api/orgs', { name: 'Elsewhere' }, owner.cookie);
    const outsider = await server.addMember(
      owner.cookie,
      (otherOrg.json.organization as Json).id as string,
      'o@example.com',
      'owner',
    );
    const spy = await connectRawClient(server, outsider.cookie);
    const denied = await spy.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    expect(denied.type).toBe('error');
    const agent = await connectRawAgent(server, host);
    await agent.close();
    await waitFor(async () => (await alerts('firing')).length === 1);
    expect(spy.messages.filter((m) => m.type.startsWith('alert.'))).toEqual([]);
    await spy.close();
  });
});

/** A real SMTP server that keeps every message it receives (headers and body, soft line breaks undone). */
async function startSmtp(): Promise<{ port: number; mails: string[]; close(): Promise<void> }> {
  const mails: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push(data.replace(/=\r?\n/g, ''));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return {
    port: (smtp.server.address() as { port: number }).port,
    mails,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

describe('e-mail channel', () => {
  it('sends plain text with a fixed subject and the names quoted in the body only', async () => {
    const smtp = await startSmtp();
    await server.close();
    server = await startTestServer(
      { ...FAST, SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SMTP_FROM: 'alerts@example.com' },
      { dataDir: server.dataDir },
    );
    try {
      const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'mail-host');
      const c = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
        name: 'Call +1 555 0100 now',
        type: 'email',
        config: { to: ['ops@example.com'] },
      });
      expect(c.status).toBe(201);
      const channelId = (c.json.channel as Json).id as string;
      await cpuRule([channelId], 'Verify your account at evil.example');
      const agent = await connectRawAgent(server, host);
      agent.send({ type: 'metrics', samples: [makeSample(1, Date.now(), cpu(70))] });
      await waitFor(() => smtp.mails.length === 1, 5000);
      const mail = smtp.mails[0] ?? '';
      expect(mail).toContain('To: ops@example.com');
      expect(mail).toMatch(/^Subject: Hostwire: alert firing\r?$/m);
      expect(mail).toContain('Rule "Verify your account at evil.example" is firing on host "mail-host"');
      expect(mail).toContain('text/plain');
      expect(mail).not.toContain('text/html');
      await waitFor(async () => (await deliveries(channelId))[0]?.status === 'delivered');
      const tested = await post(`/api/notification-channels/${channelId}/test`, {});
      expect(tested.json.delivery).toMatchObject({ status: 'delivered' });
      await waitFor(() => smtp.mails.length === 2);
      expect(smtp.mails[1]).toMatch(/^Subject: Hostwire: test notification\r?$/m);
      expect(smtp.mails[1]).toContain('for the channel "Call +1 555 0100 now" of the organization "Acme"');
      await agent.close();
    } finally {
      await smtp.close();
    }
  });

  it('charges every mail to the organization budget: 429 for tests and invitations, alert mail deferred', async () => {
    const smtp = await startSmtp();
    await server.close();
    server = await startTestServer(
      {
        ...FAST,
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        SMTP_FROM: 'alerts@example.com',
        MAIL_RATE_PER_ORG_PER_HOUR: '2',
      },
      { dataDir: server.dataDir },
    );
    try {
      const many = Array.from({ length: 11 }, (_, i) => `r${i}@example.com`);
      const tooMany = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
        name: 'spam',
        type: 'email',
        config: { to: many },
      });
      expect(tooMany.status).toBe(400);
      const c = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
        name: 'ops',
        type: 'email',
        config: { to: ['a@example.com', 'b@example.com'] },
      });
      const channelId = (c.json.channel as Json).id as string;
      // Two recipients spend the budget of two.
      expect((await post(`/api/notification-channels/${channelId}/test`, {})).json.delivery).toMatchObject({
        status: 'delivered',
      });
      const again = await server.request('POST', `/api/notification-channels/${channelId}/test`, {
        cookie: owner.cookie,
        body: {},
      });
      expect(again.status).toBe(429);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await again.json()) as { error: Json }).error.message).toMatch(/MAIL_RATE_PER_ORG_PER_HOUR/);
      const invitation = await post(`/api/orgs/${owner.organizationId}/invitations`, {
        email: 'new@example.com',
        role: 'viewer',
      });
      expect(invitation.status).toBe(429);
      expect((await get(`/api/orgs/${owner.organizationId}/invitations`)).json.invitations).toEqual([]);
      const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'mail-host');
      await cpuRule([channelId], 'Mail CPU');
      const agent = await connectRawAgent(server, host);
      agent.send({ type: 'metrics', samples: [makeSample(1, Date.now(), cpu(70))] });
      await waitFor(async () =>
        (await deliveries(channelId)).some((d) => d.event === 'alert.firing' && d.attempts === 1),
      );
      const deferred = (await deliveries(channelId)).find((d) => d.event === 'alert.firing');
      expect(deferred).toMatchObject({
        status: 'pending',
        lastError: expect.stringMatching(/^rate_limited: /),
      });
      // The budget refills at 2 an hour: the next try is about half an hour away, not a quick retry.
      expect(deferred?.nextAttemptAt as number).toBeGreaterThan(Date.now() + 20 * 60_000);
      expect(smtp.mails).toHaveLength(1);
      await agent.close();
    } finally {
      await smtp.close();
    }
  });
});

describe('ALERT_ALLOWED_HOSTS', () => {
  const restartWith = async (env: Record<string, string>) => {
    await server.close();
    server = await startTestServer(env, { dataDir: server.dataDir });
  };
  const make = (url: string) =>
    post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'x',
      type: 'slack',
      config: { url },
    });
  it('refuses channels to other hosts', async () => {
    await restartWith({ ...FAST, ALERT_ALLOWED_HOSTS: '*.example.com,127.0.0.1' });
    expect((await make('https://hooks.example.com/x')).status).toBe(201);
    expect((await make(`${receiver.url}/x`)).status).toBe(201);
    const refused = await make('https://169.254.169.254/latest/meta-data');
    expect(refused.status).toBe(400);
    expect((refused.json.error as Json).message).toMatch(/ALERT_ALLOWED_HOSTS/);
  });

  it('keeps an upgraded server reaching the inside hosts it names exactly while OUTBOUND_ALLOW is unset', async () => {
    // `localhost` is named exactly; 127.0.0.1 only matches the wildcard `*.0.0.1`.
    await restartWith({ ...GUARDED, ALERT_ALLOWED_HOSTS: 'localhost,*.0.0.1' });
    const port = new URL(receiver.url).port;
    // Named exactly: the receiver on this machine still gets notifications after the upgrade.
    expect((await make(`http://localhost:${port}/x`)).status).toBe(201);
    // A wildcard opens no inside address.
    const wildcard = await make(`http://127.0.0.1:${port}/x`);
    expect(wildcard.status).toBe(400);
    expect((wildcard.json.error as Json).code).toBe('target_not_allowed');
    expect(server.logs.join('')).toContain('ALERT_ALLOWED_HOSTS is deprecated');
  });
});

const channelBody = (type: string, url: string, name = type) => ({
  name,
  type,
  config: { url },
});

describe('outbound guard', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata and IPv4-mapped targets of every type when saved', async () => {
    await server.close();
    server = await startTestServer(GUARDED, { dataDir: server.dataDir });
    const port = new URL(receiver.url).port;
    const targets = [
      // A name that resolves to loopback (the system resolver reads /etc/hosts): the address is judged.
      `http://localhost:${port}/hook`,
      `http://127.0.0.1:${port}/hook`,
      `http://127.1:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://[64:ff9b::7f00:1]:${port}/`,
      'http://0.0.0.0/',
      'http://[::]/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[fd12:3456::1]/',
      'http://224.0.0.1/',
      'http://255.255.255.255/',
    ];
    for (const url of targets) {
      const res = await post(
        `/api/orgs/${owner.organizationId}/notification-channels`,
        channelBody('webhook', url),
      );
      expect(res.status, url).toBe(400);
      expect((res.json.error as Json).code, url).toBe('target_not_allowed');
    }
    for (const type of ['slack', 'discord', 'ntfy']) {
      const res = await post(
        `/api/orgs/${owner.organizationId}/notification-channels`,
        channelBody(type, `http://localhost:${port}/x`),
      );
      expect(res.status, type).toBe(400);
      expect((res.json.error as Json).code, type).toBe('target_not_allowed');
    }
    expect(receiver.received).toEqual([]);
  });

  it('judges the address connected to at send time, so a name rebound to loopback after saving is refused', async () => {
    const dns = await startDnsServer();
    try {
      await server.close();
      server = await startTestServer(GUARDED, { dataDir: server.dataDir, resolveHost: dns.resolveHost });
      const url = `http://hooks.rebind.test:${new URL(receiver.url).port}/x`;
      // When saved, the name resolves to a public address (nothing connects then).
      dns.records.set('hooks.rebind.test', ['93.184.215.14']);
      const ids: string[] = [];
      for (const type of ['webhook', 'slack', 'discord', 'ntfy']) {
        const res = await post(
          `/api/orgs/${owner.organizationId}/notification-channels`,
          channelBody(type, url),
        );
        expect(res.status, type).toBe(201);
        ids.push((res.json.channel as Json).id as string);
      }
      // Then it answers loopback, with a TTL of 0.
      dns.records.set('hooks.rebind.test', ['127.0.0.1']);
      for (const id of ids) {
        const tested = await post(`/api/notification-channels/${id}/test`, {});
        expect(tested.status).toBe(202);
        expect(tested.json.delivery).toMatchObject({
          status: 'failed',
          lastStatusCode: null,
          lastError: expect.stringMatching(/^target_not_allowed: /),
        });
        expect(((await deliveries(id))[0]?.attemptLog as Json[])[0]?.error).toMatch(/^target_not_allowed: /);
      }
      expect(dns.answered.filter(([, answer]) => answer[0] === '127.0.0.1').length).toBeGreaterThanOrEqual(4);
      expect(receiver.received).toEqual([]);
      // Saving it now is refused at once.
      const res = await post(
        `/api/orgs/${owner.organizationId}/notification-channels`,
        channelBody('webhook', url),
      );
      expect((res.json.error as Json).code).toBe('target_not_allowed');
    } finally {
      await dns.close();
    }
  });

  it('tells users nothing about the inside network: a closed port and other services give the same error', async () => {
    // OUTBOUND_ALLOW opens 127.0.0.1 here, so the attempts really connect.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const redis = net.createServer((socket) => socket.end("-ERR unknown command 'POST'\r\n"));
    const postgres = net.createServer((socket) => socket.end(Buffer.from('4500000046534645', 'hex')));
    const listen = (s: net.Server) =>
      new Promise<number>((resolve) =>
        s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)),
      );
    const ports = [closedPort, await listen(redis), await listen(postgres)];
    try {
      const errors: unknown[] = [];
      for (const port of ports) {
        const res = await post(
          `/api/orgs/${owner.organizationId}/notification-channels`,
          channelBody('webhook', `http://127.0.0.1:${port}/`),
        );
        const id = (res.json.channel as Json).id as string;
        const tested = await post(`/api/notification-channels/${id}/test`, {});
        errors.push((tested.json.delivery as Json).lastError);
        // The delivery log says no more than the answer (no port, no service's reply).
        for (const delivery of await deliveries(id))
          errors.push(delivery.lastError, ...(delivery.attemptLog as Json[]).map((a) => a.error));
      }
      expect(errors).toEqual(Array(9).fill('could not deliver: connection failed'));
      // The operator still finds the detail, at debug level.
      expect(server.logs.join('')).toMatch(
        /delivery attempt detail.*ECONNREFUSED|ECONNREFUSED.*delivery attempt detail/,
      );
    } finally {
      redis.close();
      postgres.close();
    }
  });
});

describe('channel secrets', () => {
  it('refuses CR/LF in a header-bound secret (the ntfy token) with a 400 that does not quote it', async () => {
    const token = 'tk_secret\r\nX-Injected: yes';
    const created = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'ntfy',
      type: 'ntfy',
      config: { url: `${receiver.url}/t`, token },
    });
    expect(created.status).toBe(400);
    expect((created.json.error as Json).message).toMatch(/config\.token: .*control characters/);
    expect(JSON.stringify(created.json)).not.toContain('tk_secret');
    const ok = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
      name: 'ntfy',
      type: 'ntfy',
      config: { url: `${receiver.url}/t`, token: 'tk_good' },
    });
    const patched = await server.request(
      'PATCH',
      `/api/notification-channels/${(ok.json.channel as Json).id as string}`,
      {
        cookie: owner.cookie,
        body: { config: { token } },
      },
    );
    expect(patched.status).toBe(400);
    expect(await patched.text()).not.toContain('tk_secret');
  });

  it('refuses credentials in a channel URL with a 400 that points to the secret fields', async () => {
    const url = `http://user:hunter2-pass@127.0.0.1:${new URL(receiver.url).port}/hook`;
    for (const type of ['webhook', 'slack', 'discord', 'ntfy']) {
      const res = await post(
        `/api/orgs/${owner.organizationId}/notification-channels`,
        channelBody(type, url),
      );
      expect(res.status, type).toBe(400);
      expect((res.json.error as Json).message).toMatch(
        /config\.url: must not contain a user name or password.*secret fields/,
      );
      expect(JSON.stringify(res.json)).not.toContain('hunter2');
    }
    const id = await webhookChannel();
    const patched = await server.request('PATCH', `/api/notification-channels/${id}`, {
      cookie: owner.cookie,
      body: { config: { url } },
    });
    expect(patched.status).toBe(400);
    expect(await patched.text()).not.toContain('hunter2');
  });

  it('drops the stored token and signing key when a PATCH moves the URL to another origin', async () => {
    const other = await startWebhookReceiver();
    try {
      const ntfy = await post(`/api/orgs/${owner.organizationId}/notification-channels`, {
        name: 'phone',
        type: 'ntfy',
        config: { url: `${receiver.url}/alerts`, token: 'tk_meant_for_the_first' },
      });
      const ntfyId = (ntfy.json.channel as Json).id as string;
      const patch = (id: string, config: Json) =>
        server.request('PATCH', `/api/notification-channels/${id}`, {
          cookie: owner.cookie,
          body: { config },
        });
      // Same origin, another path: the token stays.
      expect((await patch(ntfyId, { url: `${receiver.url}/other-topic` })).status).toBe(200);
      await post(`/api/notification-channels/${ntfyId}/test`, {});
      expect(receiver.received[0]?.headers.authorization).toBe('Bearer tk_meant_for_the_first');
      // Another origin: the token is dropped.
      const moved = await patch(ntfyId, { url: `${other.url}/alerts` });
      expect(((await moved.json()) as { channel: Json }).channel.hasSecret).toBe(false);
      await post(`/api/notification-channels/${ntfyId}/test`, {});
      expect(other.received[0]?.headers.authorization).toBeUndefined();
      // A webhook keeps being signed, with a new key returned once; the old key no longer verifies.
      const hookId = await webhookChannel(receiver, 'signed');
      const oldSecret = receiver.secret;
      const rehomed = await patch(hookId, { url: `${other.url}/hook` });
      const body = (await rehomed.json()) as { channel: Json; secret?: string };
      expect(body.secret).toMatch(/^whsec_/);
      expect(body.secret).not.toBe(oldSecret);
      other.secret = oldSecret;
      await post(`/api/notification-channels/${hookId}/test`, {});
      expect(other.received[1]?.verified).toBe(false);
      other.secret = body.secret;
      await post(`/api/notification-channels/${hookId}/test`, {});
      expect(other.received[2]?.verified).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('scrubs secrets from errors before they reach the answer, the delivery log and the server log', async () => {
    // Channels stored before these checks existed: a token with CR/LF and a URL with credentials.
    const port = new URL(receiver.url).port;
    const planted = [
      {
        type: 'ntfy',
        config: { url: `${receiver.url}/t`, token: 'tk_planted_token\r\nX-Evil: 1' },
        secret: 'tk_planted_token',
      },
      {
        type: 'webhook',
        config: {
          url: `http://admin:planted-password@127.0.0.1:${port}/`,
          secret: `whsec_${Buffer.alloc(24, 3).toString('base64')}`,
        },
        secret: 'planted-password',
      },
    ];
    for (const { type, config, secret } of planted) {
      const res = await post(
        `/api/orgs/${owner.organizationId}/notification-channels`,
        channelBody(type, `${receiver.url}/ok`),
      );
      const id = (res.json.channel as Json).id as string;
      await server.ctx.store.alerts.updateChannel(id, {
        name: type,
        config: JSON.stringify(config),
        updated_at: Date.now(),
      });
      const tested = await post(`/api/notification-channels/${id}/test`, {});
      expect(tested.json.delivery).toMatchObject({
        status: 'failed',
        lastError: expect.stringMatching(/^could not deliver: /),
      });
      expect(JSON.stringify(tested.json), type).not.toContain(secret);
      expect(JSON.stringify(await deliveries(id)), type).not.toContain(secret);
      expect(
        JSON.stringify(await get(`/api/orgs/${owner.organizationId}/notification-channels`)),
        type,
      ).not.toContain(secret);
    }
    expect(server.logs.join('')).not.toMatch(/tk_planted_token|planted-password/);
    expect(receiver.received).toEqual([]);
  });
});

describe('test sends', () => {
  it('wait for a slot of the delivery bounds like every delivery (one at a time per channel here)', async () => {
    await server.close();
    // Four slots in all make one per channel.
    server = await startTestServer({ ...FAST, ALERT_DELIVERY_CONCURRENCY: '4' }, { dataDir: server.dataDir });
    receiver.respond = () => ({ status: 200, afterMs: 150 });
    const id = await webhookChannel();
    const results = await Promise.all([1, 2, 3].map(() => post(`/api/notification-channels/${id}/test`, {})));
    expect(results.map((r) => (r.json.delivery as Json).status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
    ]);
    expect(receiver.received).toHaveLength(3);
    expect(receiver.maxConcurrent).toBe(1);
  });

  it('are rate-limited per channel with 429 and Retry-After', async () => {
    const id = await webhookChannel();
    for (let i = 0; i < 5; i += 1)
      expect((await post(`/api/notification-channels/${id}/test`, {})).status).toBe(202);
    const limited = await server.request('POST', `/api/notification-channels/${id}/test`, {
      cookie: owner.cookie,
      body: {},
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(receiver.received).toHaveLength(5);
    // Another channel of the organization still has its own budget.
    const other = await webhookChannel(receiver, 'other');
    expect((await post(`/api/notification-channels/${other}/test`, {})).status).toBe(202);
  });
});
