import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRawClient, waitFor } from '../test-support/raw-peers.js';
import { REDIS_URL, skipWithout } from '../test-support/services.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

const skip = await skipWithout('redis');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function killSubscriber(server: TestServer): Promise<void> {
  const admin = new Redis(REDIS_URL);
  try {
    const list = await admin.client('LIST');
    const line = String(list)
      .split('\n')
      .find((l) => l.includes(`name=hostwire-sub-${server.ctx.bus.instanceId}`));
    const id = /\bid=(\d+)/.exec(line ?? '')?.[1];
    if (!id) throw new Error('subscriber connection not found');
    await admin.client('KILL', 'ID', id);
  } finally {
    admin.disconnect();
  }
}

describe.skipIf(skip)('backplane outage', () => {
  it('tells followers about the gap and redoes the control checks the outage may have hidden', async () => {
    const server = await startTestServer({ REDIS_URL });
    cleanups.push(() => server.cleanup());
    const owner = await server.setup();
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const watcher = await connectRawClient(server, owner.cookie);
    await watcher.request({ type: 'subscribe', topic: `host:${host.hostId}` });
    const loggedOut = await server.login('owner@example.com', 'correct horse battery');
    const stale = await connectRawClient(server, loggedOut);
    // A logout whose broadcast was lost in the outage: only the store knows.
    const verified = await server.ctx.tokens.verifySession(loggedOut.slice('session='.length));
    if (!verified.ok) throw new Error('session did not verify');
    await server.ctx.store.sessions.revoke(verified.claims.sessionId, Date.now());

    await killSubscriber(server);
    expect(await watcher.next((m) => m.type === 'gap', 10_000)).toMatchObject({
      topics: [`host:${host.hostId}`],
    });
    expect((await stale.closed).code).toBe(4001);
    await waitFor(() => server.ctx.bus.isHealthy());
    expect(watcher.ws.readyState).toBe(watcher.ws.OPEN);
    await watcher.close();
  });
});
