// logs.check: a browser asks, the agent re-checks its log sources, every viewer of the host hears the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, connectRawClient } from '../test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
let owner: { cookie: string; organizationId: string };

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
});
afterAll(() => server.cleanup());

describe('logs.check', () => {
  it('forwards the check to the agent and publishes the sources it reports as host.agent', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'checked');
    const agent = await connectRawAgent(server, host);
    const client = await connectRawClient(server, owner.cookie);
    expect(await client.request({ type: 'subscribe', topic: `host:${host.hostId}` })).toMatchObject({
      type: 'ack',
    });

    expect(await client.request({ type: 'logs.check', hostId: host.hostId })).toMatchObject({ type: 'ack' });
    await agent.next((m) => m.type === 'logs.check');
    const reported = [
      { name: 'syslog', kind: 'file', description: '', available: true },
      { name: 'nginx', kind: 'file', description: '', available: false, unavailableReason: 'gone' },
    ];
    agent.send({ type: 'logs.sources', logSources: reported });
    const event = await client.next(
      (m) => m.type === 'host.agent' && JSON.stringify(m.logSources).includes('nginx'),
    );
    expect(event.logSources).toEqual(reported);
    expect((await server.ctx.store.hosts.findById(host.hostId))?.agent?.logSources).toEqual(reported);
    await agent.close();
    await client.close();
  });

  it('answers agent_offline when the host has no agent connected, and forbidden for a host it may not see', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'silent');
    const client = await connectRawClient(server, owner.cookie);
    expect(await client.request({ type: 'logs.check', hostId: host.hostId })).toMatchObject({
      type: 'error',
      code: 'agent_offline',
    });
    expect(await client.request({ type: 'logs.check', hostId: 'h_nope' })).toMatchObject({
      type: 'error',
      code: 'forbidden',
    });
    await client.close();
  });
});
