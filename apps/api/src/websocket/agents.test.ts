// Agent sockets: welcome, online/offline, one live connection per host, heartbeat, revocation, shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { connectRawAgent, DEFAULT_HELLO, makeSample } from '../test-support/raw-peers.js';
import { connect, handshake, waitFor, type TestSocket } from '../test-support/ws-client.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };

beforeAll(async () => {
  server = await startTestServer({ WS_HEARTBEAT_MS: '150', WS_MAX_AGENTS_BEFORE_HELLO_PER_IP: '24' });
  owner = await server.setup();
});

afterAll(async () => {
  await server.cleanup();
});

const agentUrl = (hostId: string) => `${server.wsUrl}/ws/agent/${hostId}`;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** An agent socket that says `hello` right away, as every agent does: only then does it take over the host. */
async function connectAgent(url: string, options: Parameters<typeof connect>[1]): Promise<TestSocket> {
  const socket = await connect(url, options);
  socket.send({ type: 'hello', ...DEFAULT_HELLO });
  return socket;
}

async function hostStatus(hostId: string): Promise<string> {
  const res = await server.request('GET', `/api/hosts/${hostId}`, { cookie: owner.cookie });
  return ((await res.json()) as { host: { status: string } }).host.status;
}

async function orgWatcher(): Promise<TestSocket> {
  const socket = await connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(owner.cookie)}`);
  socket.send({ type: 'subscribe', id: 's1', topic: `org:${owner.organizationId}` });
  await socket.next((m) => m.type === 'ack' && m.id === 's1');
  return socket;
}

describe('agent connections', () => {
  it('sends welcome first, marks the host online and tells the organization, then offline on close', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'status-host');
    const watcher = await orgWatcher();
    const agent = await connectAgent(agentUrl(host.hostId), bearer(host.agentToken));
    const welcome = await agent.next(() => true);
    expect(welcome).toMatchObject({
      type: 'welcome',
      heartbeatIntervalMs: 150,
      limits: { maxPayloadBytes: 65536 },
    });
    await watcher.next((m) => m.type === 'host.status' && m.hostId === host.hostId && m.status === 'online');
    expect(await hostStatus(host.hostId)).toBe('online');
    expect(server.running.gateway.counts().agents).toBe(1);

    agent.ws.close();
    await watcher.next((m) => m.type === 'host.status' && m.hostId === host.hostId && m.status === 'offline');
    expect(await hostStatus(host.hostId)).toBe('offline');
    watcher.ws.close();
  });

  it('closes the older connection of a host with 4000 and keeps the host online', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'dup-host');
    const first = await connectAgent(agentUrl(host.hostId), bearer(host.agentToken));
    await waitFor(async () => (await hostStatus(host.hostId)) === 'online');
    const second = await connect(agentUrl(host.hostId), bearer(host.agentToken));
    second.send({ type: 'hello', ...DEFAULT_HELLO });
    expect(await first.closed).toMatchObject({ code: 4000, reason: 'replaced' });
    // The stale socket's cleanup must not mark the host offline.
    await server.running.gateway.settled();
    expect(await hostStatus(host.hostId)).toBe('online');
    expect(server.running.gateway.counts().agents).toBe(1);
    second.ws.close();
    await waitFor(async () => (await hostStatus(host.hostId)) === 'offline');
  });

  it('closes its local socket with 4000 when another instance announces a newer connection of the host', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'moved-host');
    const agent = await connectAgent(agentUrl(host.hostId), bearer(host.agentToken));
    await waitFor(async () => (await hostStatus(host.hostId)) === 'online');
    // What the other instance does: take the host's presence, then announce the connection.
    const now = Date.now();
    await server.ctx.store.hosts.claimPresence(host.hostId, 'another-instance:1', now, now + 60_000);
    server.ctx.bus.broadcast({
      kind: 'agent.connected',
      hostId: host.hostId,
      epoch: 1,
      instanceId: 'another-instance',
    });
    expect(await agent.closed).toMatchObject({ code: 4000, reason: 'replaced' });
    await server.running.gateway.settled();
    // The host lives on the other instance now: this one must not mark it offline.
    expect(await hostStatus(host.hostId)).toBe('online');
    expect(await server.ctx.bus.isAgentConnected(host.hostId)).toBe(false);
  });

  it('does not let a socket that never says hello (a ghost upgrade replayed by a proxy) replace the live one', async () => {
    const quick = await startTestServer({ WS_HEARTBEAT_MS: '150', WS_HANDSHAKE_TIMEOUT_MS: '300' });
    try {
      const boss = await quick.setup();
      const host = await quick.createEnrolledHost(boss.cookie, boss.organizationId, 'ghosted');
      // Alone, a socket without hello takes nothing over either: the host never goes online.
      const lone = await connect(`${quick.wsUrl}/ws/agent/${host.hostId}`, bearer(host.agentToken));
      expect(await lone.next(() => true)).toMatchObject({ type: 'welcome' });
      expect(await lone.closed).toMatchObject({ code: 1008 });
      await quick.running.gateway.settled();
      expect((await quick.ctx.store.hosts.findById(host.hostId))?.status).toBe('offline');
      expect(quick.running.gateway.counts().agents).toBe(0);

      const live = await connectRawAgent(quick, host);
      const ghost = await connect(`${quick.wsUrl}/ws/agent/${host.hostId}`, bearer(host.agentToken));
      expect(await ghost.next(() => true)).toMatchObject({ type: 'welcome' });
      expect(await ghost.closed).toMatchObject({ code: 1008 });
      await quick.running.gateway.settled();
      expect(live.ws.readyState).toBe(live.ws.OPEN);
      expect((await quick.ctx.store.hosts.findById(host.hostId))?.status).toBe('online');
      expect(quick.running.gateway.counts().agents).toBe(1);

      // The agent's own reconnect says hello and takes over, as always.
      const again = await connectRawAgent(quick, host);
      expect((await live.closed).code).toBe(4000);
      await again.close();
    } finally {
      await quick.cleanup();
    }
  });

  it('refuses a frame before hello with hello_required and 1008, and stores nothing that socket sent', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'no-hello-samples');
    const early = await connect(agentUrl(host.hostId), bearer(host.agentToken));
    expect(await early.next(() => true)).toMatchObject({ type: 'welcome' });
    const now = Date.now();
    early.send({
      type: 'metrics',
      id: 'm1',
      samples: [makeSample(1, now - 2000), makeSample(2, now - 1000)],
    });
    early.send({ type: 'hello', ...DEFAULT_HELLO });
    expect(await early.next((m) => m.type === 'error')).toMatchObject({ id: 'm1', code: 'hello_required' });
    expect(await early.closed).toMatchObject({ code: 1008, reason: 'hello must be the first frame' });
    await server.running.gateway.settled();
    expect(early.messages.filter((m) => m.type === 'metrics.ack')).toEqual([]);
    expect(await server.ctx.store.metrics.countSamples(host.hostId)).toBe(0);
    expect((await server.ctx.store.hosts.findById(host.hostId))?.status).toBe('offline');

    // The same samples after hello are stored as always.
    const agent = await connectRawAgent(server, host);
    agent.send({ type: 'metrics', samples: [makeSample(1, now - 2000), makeSample(2, now - 1000)] });
    await agent.next((m) => m.type === 'metrics.ack');
    await waitFor(async () => (await server.ctx.store.metrics.countSamples(host.hostId)) === 2);
    await agent.close();
  });

  it('caps agent sockets that have not said hello at 16 per host and WS_MAX_AGENTS_BEFORE_HELLO_PER_IP per address', async () => {
    const a = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'hello-cap-a');
    const b = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'hello-cap-b');
    const open = (host: { hostId: string; agentToken: string }, n: number) =>
      Promise.all(Array.from({ length: n }, () => connect(agentUrl(host.hostId), bearer(host.agentToken))));
    const silentA = await open(a, 16);
    const overHost = await handshake(agentUrl(a.hostId), bearer(a.agentToken));
    expect(overHost).toMatchObject({ status: 429, opened: false });
    expect(overHost.headers['retry-after']).toBe('5');
    // 16 of host a and 8 of host b fill this server's 24 per address.
    const silentB = await open(b, 8);
    expect(await handshake(agentUrl(b.hostId), bearer(b.agentToken))).toMatchObject({ status: 429 });

    // A socket that says hello frees its slot at once: the host's agent gets in.
    silentA[0]?.send({ type: 'hello', ...DEFAULT_HELLO });
    await waitFor(async () => (await hostStatus(a.hostId)) === 'online');
    const live = await handshake(agentUrl(a.hostId), bearer(a.agentToken));
    expect(live.status).toBe(101);
    for (const socket of [...silentA, ...silentB, live.socket]) socket?.ws.close();
    await Promise.all([...silentA, ...silentB].map((socket) => socket.closed));
    // Closed sockets give their slots back.
    const after = await connectAgent(agentUrl(b.hostId), bearer(b.agentToken));
    await waitFor(async () => (await hostStatus(b.hostId)) === 'online');
    after.ws.close();
  });

  it('terminates an agent that stops answering pings and marks its host offline within two intervals', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'silent-host');
    const agent = await connectAgent(agentUrl(host.hostId), { ...bearer(host.agentToken), autoPong: false });
    await waitFor(async () => (await hostStatus(host.hostId)) === 'online');
    const started = Date.now();
    const closed = await agent.closed;
    expect(closed.code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(150 * 3 + 200);
    await waitFor(async () => (await hostStatus(host.hostId)) === 'offline', 1000);
  });

  it('keeps an agent that answers pings connected and refreshes last_seen_at', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'lively-host');
    const agent = await connectAgent(agentUrl(host.hostId), bearer(host.agentToken));
    await waitFor(async () => (await hostStatus(host.hostId)) === 'online');
    const before = (await server.ctx.store.hosts.findById(host.hostId))?.lastSeenAt ?? 0;
    // Several heartbeat intervals (150 ms here) of renewals, the socket answering every ping meanwhile.
    await waitFor(
      async () => ((await server.ctx.store.hosts.findById(host.hostId))?.lastSeenAt ?? 0) >= before + 450,
    );
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
    agent.ws.close();
    await agent.closed;
  });

  it('closes the agent with 4001 when its host is deleted or its token rotated', async () => {
    const doomed = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'delete-me');
    const agent = await connectAgent(agentUrl(doomed.hostId), bearer(doomed.agentToken));
    await agent.next((m) => m.type === 'welcome');
    expect(
      (await server.request('DELETE', `/api/hosts/${doomed.hostId}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    expect((await agent.closed).code).toBe(4001);

    const rotated = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'rotate-me');
    const agent2 = await connectAgent(agentUrl(rotated.hostId), bearer(rotated.agentToken));
    await agent2.next((m) => m.type === 'welcome');
    expect(
      (await server.request('POST', `/api/hosts/${rotated.hostId}/rotate-token`, { cookie: owner.cookie }))
        .status,
    ).toBe(201);
    expect((await agent2.closed).code).toBe(4001);
    await waitFor(async () => (await hostStatus(rotated.hostId)) === 'offline');
  });

  it('answers an invalid agent frame with invalid_message and a valid hello with its id acked', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'hello-host');
    const agent = await connect(agentUrl(host.hostId), bearer(host.agentToken));
    agent.send({ type: 'metrics', id: 'm1', samples: [] });
    expect(await agent.next((m) => m.type === 'error')).toMatchObject({ id: 'm1', code: 'invalid_message' });
    agent.send({
      type: 'hello',
      id: 'h1',
      agentVersion: '1.0.0',
      hostname: 'box',
      os: { platform: 'linux', release: '6', arch: 'x64' },
    });
    expect(await agent.next((m) => m.type === 'ack')).toEqual({ type: 'ack', id: 'h1' });
    agent.ws.close();
    await agent.closed;
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 and a retry-after hint, and refuses new upgrades with 503', async () => {
    const local = await startTestServer();
    try {
      const boss = await local.setup();
      const host = await local.createEnrolledHost(boss.cookie, boss.organizationId, 'bye-host');
      const agent = await connectAgent(`${local.wsUrl}/ws/agent/${host.hostId}`, bearer(host.agentToken));
      const client = await connect(`${local.wsUrl}/ws/client?ticket=${await local.ticket(boss.cookie)}`);
      local.ctx.lifecycle.shuttingDown = true;
      const refused = await handshake(`${local.wsUrl}/ws/agent/${host.hostId}`, bearer(host.agentToken));
      expect(refused).toMatchObject({ status: 503, opened: false });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const closing = local.close();
      for (const closed of [await agent.closed, await client.closed]) {
        expect(closed.code).toBe(1001);
        expect(closed.reason).toMatch(/^retry-after=([1-9]|10)$/);
      }
      await closing;
    } finally {
      await local.cleanup();
    }
  });
});
