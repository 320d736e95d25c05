import { verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionCommand } from '@hostwire/protocol';
import { connectRawAgent, connectRawClient, waitFor } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.cleanup();
});

type Command = { type: 'command'; payload: string; signature: string };
const isCommand = (m: { type: string }): m is Command => m.type === 'command';

async function auditOf(cookie: string, organizationId: string) {
  const res = await server.request('GET', `/api/orgs/${organizationId}/audit`, { cookie });
  return (
    (await res.json()) as {
      events: {
        action: string;
        decision: string;
        actorId: string;
        details: Record<string, unknown> | null;
      }[];
    }
  ).events;
}

describe('actions', () => {
  it('signs the command, follows the lifecycle to succeeded, stores the output and completes the audit row', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    const ack = await client.request({
      type: 'action.run',
      hostId: host.hostId,
      action: 'restart-service',
      params: { unit: 'nginx' },
    });
    expect(ack).toMatchObject({ type: 'ack', actionId: expect.any(String) });
    const actionId = ack.actionId as string;
    await client.request({ type: 'subscribe', topic: `action:${actionId}` });

    const command = await agent.next(isCommand);
    expect(
      verify(
        null,
        Buffer.from(command.payload),
        host.commandPublicKey,
        Buffer.from(command.signature, 'base64url'),
      ),
    ).toBe(true);
    const payload = ActionCommand.parse(JSON.parse(command.payload));
    expect(payload).toMatchObject({
      kind: 'run',
      actionId,
      hostId: host.hostId,
      action: 'restart-service',
      params: { unit: 'nginx' },
    });
    if (payload.kind !== 'run') throw new Error('expected a run command');
    expect(payload.expiresAt - payload.issuedAt).toBe(60_000);

    agent.send({ type: 'action.started', actionId, startedAt: Date.now() });
    expect(await client.next((m) => m.type === 'action.status' && m.status === 'running')).toMatchObject({
      actionId,
      hostId: host.hostId,
    });
    agent.send({ type: 'action.output', actionId, stream: 'stdout', data: 'restarted\n' });
    expect(await client.next((m) => m.type === 'action.output')).toMatchObject({
      data: 'restarted\n',
      stream: 'stdout',
    });
    const resultId = `result:${actionId}`;
    agent.send({
      type: 'action.result',
      id: resultId,
      actionId,
      status: 'succeeded',
      exitCode: 0,
      finishedAt: Date.now(),
    });
    expect(await client.next((m) => m.type === 'action.status' && m.status === 'succeeded')).toMatchObject({
      exitCode: 0,
    });
    // The ack tells the agent the result is stored and may leave its disk.
    expect(await agent.next((m) => m.type === 'ack' && m.id === resultId)).toEqual({
      type: 'ack',
      id: resultId,
    });

    const stored = (await (
      await server.request('GET', `/api/actions/${actionId}`, { cookie: owner.cookie })
    ).json()) as { action: Record<string, unknown> };
    expect(stored.action).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      output: 'restarted\n',
      outputTruncated: false,
      userId: owner.userId,
    });
    const history = (await (
      await server.request('GET', `/api/hosts/${host.hostId}/actions`, { cookie: owner.cookie })
    ).json()) as { actions: { id: string }[] };
    expect(history.actions.map((a) => a.id)).toEqual([actionId]);
    const [row] = (await auditOf(owner.cookie, owner.organizationId)).filter(
      (e) => e.action === 'action.run',
    );
    expect(row).toMatchObject({
      decision: 'allowed',
      actorId: owner.userId,
      details: { action: 'restart-service', params: { unit: 'nginx' }, exitCode: 0, outcome: 'succeeded' },
    });
    await Promise.all([agent.close(), client.close()]);
  });

  it('completes the audit row with the outcome when the result arrives after a restart', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const run = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: owner.cookie,
      body: { action: 'uptime' },
    });
    const actionId = ((await run.json()) as { action: { id: string } }).action.id;
    await agent.next(isCommand);
    await server.close();
    await agent.closed;

    // The agent kept the result on disk and reports it to the restarted server.
    server = await startTestServer({}, { dataDir: server.dataDir });
    const again = await connectRawAgent(server, host);
    const resultId = `result:${actionId}`;
    again.send({
      type: 'action.result',
      id: resultId,
      actionId,
      status: 'succeeded',
      exitCode: 0,
      finishedAt: Date.now(),
    });
    expect(await again.next((m) => m.type === 'ack' && m.id === resultId)).toEqual({
      type: 'ack',
      id: resultId,
    });
    const cookie = await server.login('owner@example.com', 'correct horse battery');
    const [row] = (await auditOf(cookie, owner.organizationId)).filter((e) => e.action === 'action.run');
    expect(row?.details).toMatchObject({ actionId, outcome: 'succeeded', exitCode: 0 });
    await again.close();
  });

  it('ends an action on an offline host as agent_offline at once', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    await agent.close();
    const res = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: owner.cookie,
      body: { action: 'uptime' },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { action: { status: string } }).action.status).toBe('agent_offline');
  });

  it('refuses viewers over REST and WebSocket alike and audits every denied attempt', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'viewer@example.com', 'viewer');
    const rest = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: viewer.cookie,
      body: { action: 'uptime' },
    });
    expect(rest.status).toBe(403);
    const client = await connectRawClient(server, viewer.cookie);
    expect(await client.request({ type: 'action.run', hostId: host.hostId, action: 'uptime' })).toMatchObject(
      { type: 'error', code: 'forbidden' },
    );
    const operator = await server.addMember(owner.cookie, owner.organizationId, 'op@example.com', 'operator');
    const bad = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: operator.cookie,
      body: { action: 'restart-service', params: { unit: 'nginx; id' } },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_params');
    const unknown = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: operator.cookie,
      body: { action: 'rm-rf' },
    });
    expect(unknown.status).toBe(404);
    expect(agent.messages.some((m) => m.type === 'command')).toBe(false);
    const denied = (await auditOf(owner.cookie, owner.organizationId)).filter(
      (e) => e.action === 'action.run',
    );
    expect(denied.map((e) => `${e.decision}:${String(e.details?.reason)}`).sort()).toEqual([
      'denied:forbidden',
      'denied:forbidden',
      'denied:invalid_params',
      'denied:unknown_action',
    ]);
    await Promise.all([agent.close(), client.close()]);
  });

  it('gives a viewer of another organization forbidden for metrics, logs and actions alike', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const org = (await (
      await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } })
    ).json()) as { organization: { id: string } };
    const outsider = await server.addMember(owner.cookie, org.organization.id, 'b@example.com', 'owner');
    const client = await connectRawClient(server, outsider.cookie);
    for (const request of [
      { type: 'subscribe', topic: `host:${host.hostId}` },
      { type: 'subscribe', topic: `org:${owner.organizationId}` },
      { type: 'logs.subscribe', hostId: host.hostId, source: 'syslog' },
      { type: 'action.run', hostId: host.hostId, action: 'uptime' },
    ]) {
      expect(await client.request(request)).toMatchObject({ type: 'error', code: 'forbidden' });
    }
    expect(agent.messages.some((m) => m.type === 'command' || m.type === 'logs.start')).toBe(false);
    expect(
      (
        await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
          cookie: outsider.cookie,
          body: { action: 'uptime' },
        })
      ).status,
    ).toBe(404);
    await Promise.all([agent.close(), client.close()]);
  });

  it('sends a signed cancel to the agent and refuses to cancel a finished action', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const run = (await (
      await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
        cookie: owner.cookie,
        body: { action: 'uptime' },
      })
    ).json()) as { action: { id: string; status: string } };
    expect(run.action.status).toBe('sent');
    await agent.next(isCommand);
    expect(
      (await server.request('POST', `/api/actions/${run.action.id}/cancel`, { cookie: owner.cookie })).status,
    ).toBe(202);
    const cancel = await agent.next((m): m is Command => isCommand(m) && m.payload.includes('"cancel"'));
    expect(ActionCommand.parse(JSON.parse(cancel.payload))).toMatchObject({
      kind: 'cancel',
      actionId: run.action.id,
      hostId: host.hostId,
    });
    agent.send({
      type: 'action.result',
      actionId: run.action.id,
      status: 'cancelled',
      exitCode: null,
      signal: 'SIGTERM',
      finishedAt: Date.now(),
    });
    await waitFor(
      async () => (await server.ctx.store.actions.findById(run.action.id))?.status === 'cancelled',
    );
    const done = await server.request('POST', `/api/actions/${run.action.id}/cancel`, {
      cookie: owner.cookie,
    });
    expect(done.status).toBe(409);
    await agent.close();
  });

  it('ignores action frames for another host (identity comes from the connection)', async () => {
    const owner = await server.setup();
    const a = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'a');
    const b = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'b');
    const agentA = await connectRawAgent(server, a);
    const agentB = await connectRawAgent(server, b);
    const run = (await (
      await server.request('POST', `/api/hosts/${a.hostId}/actions`, {
        cookie: owner.cookie,
        body: { action: 'uptime' },
      })
    ).json()) as { action: { id: string } };
    agentB.send({
      type: 'action.result',
      id: 'foreign-result',
      actionId: run.action.id,
      status: 'succeeded',
      exitCode: 0,
      finishedAt: Date.now(),
    });
    // The ack comes once the server handled (here: ignored) the frame.
    await agentB.next((m) => m.type === 'ack' && m.id === 'foreign-result');
    const stored = (await (
      await server.request('GET', `/api/actions/${run.action.id}`, { cookie: owner.cookie })
    ).json()) as { action: { status: string } };
    expect(stored.action.status).toBe('sent');
    await Promise.all([agentA.close(), agentB.close()]);
  });
});

describe('audit of refused and socket-started actions', () => {
  it('authorizes before validating: a non-member gets 404 and writes nothing into the victim organization', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const other = (await (
      await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'Elsewhere' } })
    ).json()) as { organization: { id: string } };
    const outsider = await server.addMember(owner.cookie, other.organization.id, 'out@example.com', 'owner');
    const huge = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(5000)]));
    for (const body of [
      { action: 'uptime', params: huge },
      { action: '!!not-an-action!!' },
      { nothing: true },
    ]) {
      const res = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
        cookie: outsider.cookie,
        body,
      });
      expect(res.status).toBe(404);
    }
    const victim = (await auditOf(owner.cookie, owner.organizationId)).filter(
      (e) => e.action === 'action.run',
    );
    expect(victim).toEqual([]);
    const elsewhere = (await auditOf(outsider.cookie, other.organization.id)).filter(
      (e) => e.action === 'action.run',
    );
    expect(elsewhere).toEqual([]);
  });

  it('caps the parameters stored for a refused attempt of a member', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    const res = await server.request('POST', `/api/hosts/${host.hostId}/actions`, {
      cookie: viewer.cookie,
      body: { action: 'uptime', params: { note: 'y'.repeat(4000) } },
    });
    expect(res.status).toBe(403);
    const [denied] = (await auditOf(owner.cookie, owner.organizationId)).filter(
      (e) => e.action === 'action.run',
    );
    expect(denied?.details).toMatchObject({ reason: 'forbidden', params: { truncated: true } });
    expect(JSON.stringify(denied?.details).length).toBeLessThan(300);
  });

  it('records the client address of socket-started actions, and denied cancels', async () => {
    await server.cleanup();
    server = await startTestServer({ TRUST_PROXY: 'loopback' });
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const ticket = await server.ticket(owner.cookie);
    const { connect } = await import('../test-support/ws-client.js');
    const socket = await connect(`${server.wsUrl}/ws/client?ticket=${ticket}`, {
      headers: { 'x-forwarded-for': '198.51.100.23' },
    });
    await socket.next((m) => m.type === 'welcome');
    socket.send({ type: 'action.run', id: 'run-1', hostId: host.hostId, action: 'uptime' });
    const ack = await socket.next((m) => m.id === 'run-1');
    expect(ack).toMatchObject({ type: 'ack', actionId: expect.any(String) });
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    const viewerSocket = await connectRawClient(server, viewer.cookie);
    expect(
      await viewerSocket.request({ type: 'action.cancel', actionId: String(ack.actionId) }),
    ).toMatchObject({ type: 'error', code: 'forbidden' });
    const events = await auditOf(owner.cookie, owner.organizationId);
    const run = events.find((e) => e.action === 'action.run');
    expect(run).toMatchObject({ decision: 'allowed', ip: '198.51.100.23' });
    const cancel = events.find((e) => e.action === 'action.cancel');
    expect(cancel).toMatchObject({
      decision: 'denied',
      details: expect.objectContaining({ reason: 'forbidden' }),
    });
    socket.ws.close();
    await Promise.all([agent.close(), viewerSocket.close()]);
  });
});
