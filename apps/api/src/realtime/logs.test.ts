import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectRawAgent, connectRawClient } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.cleanup();
});

type Start = { type: 'logs.start'; id: string; streamId: string; source: string; backfill: number };
const isStart = (m: { type: string }): m is Start => m.type === 'logs.start';

describe('log tailing', () => {
  it('runs one agent tail for two viewers of the same source and stops it after the last leaves', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    agent.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; id?: string };
      if (m.type === 'logs.start') agent.send({ type: 'ack', id: m.id });
    });
    const a = await connectRawClient(server, owner.cookie);
    const b = await connectRawClient(server, owner.cookie);
    const ackA = await a.request({
      type: 'logs.subscribe',
      hostId: host.hostId,
      source: 'syslog',
      backfill: 10,
    });
    expect(ackA).toMatchObject({ type: 'ack', streamId: expect.any(String) });
    const start = await agent.next(isStart);
    expect(start).toMatchObject({ source: 'syslog', backfill: 10, streamId: ackA.streamId });
    agent.send({ type: 'logs.lines', streamId: start.streamId, lines: [{ ts: 1, line: 'first' }] });
    expect(await a.next((m) => m.type === 'logs.lines')).toMatchObject({ lines: [{ line: 'first' }] });

    const ackB = await b.request({
      type: 'logs.subscribe',
      hostId: host.hostId,
      source: 'syslog',
      backfill: 10,
    });
    expect(ackB.streamId).toBe(ackA.streamId);
    expect(await b.next((m) => m.type === 'logs.lines')).toMatchObject({ lines: [{ line: 'first' }] });
    agent.send({
      type: 'logs.lines',
      streamId: start.streamId,
      lines: [{ ts: 2, line: 'second' }],
      dropped: 3,
    });
    expect(await b.next((m) => m.type === 'logs.dropped')).toMatchObject({ count: 3 });
    expect(await a.next((m) => m.type === 'logs.lines' && JSON.stringify(m).includes('second'))).toBeTruthy();
    expect(agent.messages.filter(isStart)).toHaveLength(1);

    await a.request({ type: 'logs.unsubscribe', streamId: ackA.streamId });
    expect(agent.messages.some((m) => m.type === 'logs.stop')).toBe(false);
    await b.close();
    expect(await agent.next((m) => m.type === 'logs.stop')).toMatchObject({ streamId: start.streamId });
    await Promise.all([agent.close(), a.close()]);
  });

  it('refuses a source the agent did not announce, and a bad regex', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    expect(
      await client.request({ type: 'logs.subscribe', hostId: host.hostId, source: 'secrets' }),
    ).toMatchObject({ type: 'error', code: 'unknown_source' });
    expect(
      await client.request({
        type: 'logs.subscribe',
        hostId: host.hostId,
        source: 'syslog',
        filter: { pattern: '(', regex: true },
      }),
    ).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(agent.messages.some((m) => m.type === 'logs.start')).toBe(false);
    await Promise.all([agent.close(), client.close()]);
  });

  it('tells viewers the tail was interrupted when the agent leaves and resumes it when the agent returns', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const autoAck = (peer: Awaited<ReturnType<typeof connectRawAgent>>) =>
      peer.ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string; id?: string };
        if (m.type === 'logs.start') peer.send({ type: 'ack', id: m.id });
      });
    const agent = await connectRawAgent(server, host);
    autoAck(agent);
    const client = await connectRawClient(server, owner.cookie);
    const ack = await client.request({ type: 'logs.subscribe', hostId: host.hostId, source: 'syslog' });
    await agent.close();
    expect(await client.next((m) => m.type === 'logs.interrupted')).toMatchObject({ streamId: ack.streamId });
    const back = await connectRawAgent(server, host, null);
    autoAck(back);
    back.send({
      type: 'hello',
      agentVersion: 't',
      hostname: 'h',
      os: { platform: 'linux', release: '1', arch: 'x64' },
      logSources: [{ name: 'syslog', kind: 'file' }],
    });
    const restart = await back.next(isStart);
    expect(restart).toMatchObject({ streamId: ack.streamId, backfill: 0 });
    expect(await client.next((m) => m.type === 'logs.resumed')).toMatchObject({ streamId: ack.streamId });
    await Promise.all([back.close(), client.close()]);
  });
});

describe('log tails under hostile viewers', () => {
  const autoAck = (peer: Awaited<ReturnType<typeof connectRawAgent>>) =>
    peer.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; id?: string };
      if (m.type === 'logs.start') peer.send({ type: 'ack', id: m.id });
    });
  const tail = (i: number) => ({
    type: 'logs.subscribe',
    hostId: '',
    source: 'syslog',
    filter: { pattern: `needle-${i}` },
  });

  it('refuses a pattern RE2 cannot run (backreference, lookaround) with a clear error, before the agent', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    for (const pattern of ['(a)\\1', '(?=x)y', '(?<!x)y']) {
      const answer = await client.request({
        type: 'logs.subscribe',
        hostId: host.hostId,
        source: 'syslog',
        filter: { pattern, regex: true },
      });
      expect(answer).toMatchObject({ type: 'error', code: 'invalid_message' });
      expect(String(answer.message)).toMatch(/cannot be used/);
    }
    expect(agent.messages.some((m) => m.type === 'logs.start')).toBe(false);
    await Promise.all([agent.close(), client.close()]);
  });

  it('caps tails per socket, per user and per host with limit_reached, and nothing else changes', async () => {
    await server.cleanup();
    server = await startTestServer({
      LOG_TAILS_PER_SOCKET: '2',
      LOG_TAILS_PER_USER: '3',
      LOG_TAILS_PER_HOST: '4',
    });
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host);
    autoAck(agent);
    const a = await connectRawClient(server, owner.cookie);
    const ask = (peer: typeof a, i: number) => peer.request({ ...tail(i), hostId: host.hostId });
    expect(await ask(a, 1)).toMatchObject({ type: 'ack' });
    expect(await ask(a, 2)).toMatchObject({ type: 'ack' });
    expect(await ask(a, 3)).toMatchObject({ type: 'error', code: 'limit_reached' });
    const b = await connectRawClient(server, owner.cookie);
    expect(await ask(b, 3)).toMatchObject({ type: 'ack' });
    expect(await ask(b, 4)).toMatchObject({ type: 'error', code: 'limit_reached' });
    // Another member fills the host's cap.
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'viewer@example.com', 'viewer');
    const c = await connectRawClient(server, viewer.cookie);
    expect(await ask(c, 4)).toMatchObject({ type: 'ack' });
    expect(await ask(c, 5)).toMatchObject({ type: 'error', code: 'limit_reached' });
    // A viewer joining a running tail adds no agent tail, so the host cap does not apply.
    expect(await ask(c, 1)).toMatchObject({ type: 'ack' });
    expect(agent.messages.filter((m) => m.type === 'logs.start')).toHaveLength(4);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    await Promise.all([agent.close(), a.close(), b.close(), c.close()]);
  });

  it('stops the tail on the agent when its start timed out', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const agent = await connectRawAgent(server, host); // never answers logs.start
    const client = await connectRawClient(server, owner.cookie);
    const answer = await client.request(
      { type: 'logs.subscribe', hostId: host.hostId, source: 'syslog' },
      15_000,
    );
    expect(answer).toMatchObject({ type: 'error', code: 'unavailable' });
    const start = await agent.next(isStart);
    expect(await agent.next((m) => m.type === 'logs.stop')).toMatchObject({ streamId: start.streamId });
    await Promise.all([agent.close(), client.close()]);
  }, 20_000);
});
