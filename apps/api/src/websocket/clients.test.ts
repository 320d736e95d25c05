// Browser sockets: topic authorization per request, tenant isolation, sessions and memberships ending.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrame } from '../realtime/bus/types.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { connect, type TestSocket } from '../test-support/ws-client.js';
import { withRawDatabase } from '../test-support/raw-database.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let orgB: string;
let hostA: string;
let hostB: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
  const created = await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'Beta' } });
  orgB = ((await created.json()) as { organization: { id: string } }).organization.id;
  hostA = (await server.createEnrolledHost(owner.cookie, owner.organizationId, 'a-host')).hostId;
  hostB = (await server.createEnrolledHost(owner.cookie, orgB, 'b-host')).hostId;
});

afterAll(async () => {
  await server.cleanup();
});

async function clientOf(cookie: string): Promise<TestSocket> {
  const socket = await connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(cookie)}`);
  await socket.next((m) => m.type === 'welcome');
  return socket;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('welcome', () => {
  it('tells the browser how often agents sample, so it can call a silent host stale', async () => {
    const socket = await connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(owner.cookie)}`);
    const welcome = await socket.next((m) => m.type === 'welcome');
    expect(welcome.sampling).toEqual({
      slowIntervalMs: server.ctx.config.metrics.slowIntervalMs,
      liveIntervalMs: server.ctx.config.metrics.liveIntervalMs,
    });
    socket.ws.close();
  });
});

describe('subscriptions', () => {
  it("refuses org A's member the topics of org B with forbidden and sends it no data", async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'alice@example.com', 'viewer');
    const socket = await clientOf(member.cookie);
    socket.send({ type: 'subscribe', id: 'mine', topic: `host:${hostA}` });
    expect(await socket.next((m) => m.id === 'mine')).toEqual({ type: 'ack', id: 'mine' });
    for (const [id, topic] of [
      ['h', `host:${hostB}`],
      ['o', `org:${orgB}`],
      ['x', 'host:does-not-exist'],
    ] as const) {
      socket.send({ type: 'subscribe', id, topic });
      expect(await socket.next((m) => m.id === id)).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    server.ctx.bus.publish(
      `host:${hostB}`,
      createFrame({
        type: 'host.status',
        organizationId: orgB,
        hostId: hostB,
        status: 'online',
        lastSeenAt: 1,
      }),
    );
    server.ctx.bus.publish(
      `org:${orgB}`,
      createFrame({ type: 'host.removed', organizationId: orgB, hostId: hostB }),
    );
    server.ctx.bus.publish(
      `host:${hostA}`,
      createFrame({
        type: 'host.status',
        organizationId: owner.organizationId,
        hostId: hostA,
        status: 'online',
        lastSeenAt: 2,
      }),
    );
    await socket.next((m) => m.type === 'host.status' && m.hostId === hostA);
    expect(socket.messages.some((m) => m.hostId === hostB)).toBe(false);
    socket.ws.close();
  });

  it('delivers one serialized frame to every local follower and stops after unsubscribe', async () => {
    const first = await clientOf(owner.cookie);
    const second = await clientOf(owner.cookie);
    for (const s of [first, second]) {
      s.send({ type: 'subscribe', id: 'sub', topic: `org:${owner.organizationId}` });
      await s.next((m) => m.id === 'sub');
    }
    server.ctx.bus.publish(
      `org:${owner.organizationId}`,
      createFrame({
        type: 'host.upserted',
        organizationId: owner.organizationId,
        hostId: hostA,
        name: 'one',
      }),
    );
    await first.next((m) => m.name === 'one');
    await second.next((m) => m.name === 'one');
    second.send({ type: 'unsubscribe', id: 'unsub', topic: `org:${owner.organizationId}` });
    await second.next((m) => m.id === 'unsub');
    server.ctx.bus.publish(
      `org:${owner.organizationId}`,
      createFrame({
        type: 'host.upserted',
        organizationId: owner.organizationId,
        hostId: hostA,
        name: 'two',
      }),
    );
    await first.next((m) => m.name === 'two');
    await pause(50);
    expect(second.messages.some((m) => m.name === 'two')).toBe(false);
    first.ws.close();
    second.ws.close();
  });

  it('answers a feature request the hub refuses with an error carrying the id', async () => {
    const socket = await clientOf(owner.cookie);
    socket.send({ type: 'action.run', id: 'run1', hostId: hostB.replace(/.$/, 'Z'), action: 'uptime' });
    expect(await socket.next((m) => m.id === 'run1')).toMatchObject({ type: 'error', code: 'forbidden' });
    socket.ws.close();
  });
});

describe('sessions ending', () => {
  it("closes a session's sockets with 4001 on logout", async () => {
    const cookie = await server.login('owner@example.com', 'correct horse battery');
    const socket = await clientOf(cookie);
    const other = await clientOf(owner.cookie);
    expect((await server.request('POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect((await socket.closed).code).toBe(4001);
    await pause(50);
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    other.ws.close();
  });

  it('drops the subscriptions of a removed member with forbidden and sends no more data', async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'bob@example.com', 'viewer');
    const socket = await clientOf(member.cookie);
    socket.send({ type: 'subscribe', id: 's', topic: `org:${owner.organizationId}` });
    await socket.next((m) => m.id === 's');
    const removed = await server.request(
      'DELETE',
      `/api/orgs/${owner.organizationId}/members/${member.userId}`,
      { cookie: owner.cookie },
    );
    expect(removed.status).toBe(204);
    expect(await socket.next((m) => m.type === 'error' && m.code === 'forbidden')).toMatchObject({
      message: `access to org:${owner.organizationId} was removed`,
    });
    server.ctx.bus.publish(
      `org:${owner.organizationId}`,
      createFrame({
        type: 'host.upserted',
        organizationId: owner.organizationId,
        hostId: hostA,
        name: 'secret',
      }),
    );
    await pause(50);
    expect(socket.messages.some((m) => m.name === 'secret')).toBe(false);
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });

  it('closes a socket with 4001 when its session expires', async () => {
    const short = await startTestServer({ SESSION_TTL_HOURS: '1' });
    try {
      const boss = await short.setup();
      const socket = await connect(`${short.wsUrl}/ws/client?ticket=${await short.ticket(boss.cookie)}`);
      // Bring the session's end close (as if it had been issued long ago); a socket opened now closes then.
      await withRawDatabase(short, (db) =>
        db
          .updateTable('sessions')
          .set({ expires_at: Date.now() + 1500 })
          .execute(),
      );
      const expiring = await connect(`${short.wsUrl}/ws/client?ticket=${await short.ticket(boss.cookie)}`);
      const opened = Date.now();
      expect((await expiring.closed).code).toBe(4001);
      expect(Date.now() - opened).toBeLessThan(2500);
      socket.ws.close();
    } finally {
      await short.cleanup();
    }
  });
});
