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

describe('agent hello', () => {
  it('stores what the agent announced and tells the host and organization topics', async () => {
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const client = await connectRawClient(server, owner.cookie);
    await client.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    await client.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    const agent = await connectRawAgent(server, host, {
      hostname: 'db-7',
      os: { platform: 'linux', release: '6.8', arch: 'arm64' },
    });
    expect(await client.next((m) => m.type === 'host.agent')).toMatchObject({
      hostId: host.hostId,
      hostname: 'db-7',
      os: { arch: 'arm64' },
      logSources: [{ name: 'syslog' }],
    });
    expect(await client.next((m) => m.type === 'host.upserted')).toMatchObject({
      hostId: host.hostId,
      name: 'web-1',
    });
    expect(await client.next((m) => m.type === 'host.status')).toMatchObject({
      hostId: host.hostId,
      status: 'online',
    });
    const stored = (await (
      await server.request('GET', `/api/hosts/${host.hostId}`, { cookie: owner.cookie })
    ).json()) as { host: { agent: { hostname: string; actions: { name: string }[] } } };
    expect(stored.host.agent.hostname).toBe('db-7');
    expect(stored.host.agent.actions.map((a) => a.name)).toEqual(['uptime', 'restart-service']);
    await Promise.all([agent.close(), client.close()]);
  });
});
