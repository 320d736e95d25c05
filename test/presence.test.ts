// Presence across instances: the hosts of an instance that dies turn offline on the instances that live.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, connectRawClient, waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { createPostgresDatabase, REDIS_URL, skipWithout } from '../apps/api/src/test-support/services.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const skip = (await skipWithout('postgres')) || (await skipWithout('redis'));
const HEARTBEAT_MS = 500;

describe.skipIf(skip)('presence across two instances on PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let shared: Record<string, string>;
  let survivor: TestServer;
  let doomed: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    shared = {
      DATABASE_URL: database.url,
      REDIS_URL,
      WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      AGENT_JWT_SECRET: randomBytes(48).toString('base64url'),
      SESSION_JWT_SECRET: randomBytes(48).toString('base64url'),
      COMMAND_SIGNING_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    };
    survivor = await startTestServer(shared);
  });

  afterAll(async () => {
    await doomed?.kill();
    await survivor?.cleanup();
    await database?.drop();
  });

  it('turns the hosts of a killed instance offline within two heartbeat intervals, seen by the fleet', async () => {
    const owner = await survivor.setup();
    const host = await survivor.createEnrolledHost(owner.cookie, owner.organizationId, 'orphan');
    doomed = await startServerProcess(shared);
    const agent = await connectRawAgent({ ...survivor, wsUrl: doomed.wsUrl }, host);
    const fleet = await connectRawClient(survivor, owner.cookie);
    await fleet.request({ type: 'subscribe', topic: `org:${owner.organizationId}` });
    const hosts = async () =>
      (
        (await (
          await survivor.request('GET', `/api/orgs/${owner.organizationId}/hosts`, { cookie: owner.cookie })
        ).json()) as {
          hosts: { id: string; status: string }[];
        }
      ).hosts;
    expect((await hosts()).find((h) => h.id === host.hostId)?.status).toBe('online');
    // Past a whole lease (1.5 intervals) of renewals: the living instance leaves a held host alone.
    const seenAt = async () => (await survivor.ctx.store.hosts.findById(host.hostId))?.lastSeenAt ?? 0;
    const firstSeen = await seenAt();
    await waitFor(async () => (await seenAt()) >= firstSeen + HEARTBEAT_MS * 2, HEARTBEAT_MS * 6);
    expect(fleet.messages.filter((m) => m.type === 'host.status')).toEqual([]);

    await doomed.kill();
    const killedAt = Date.now();
    const offline = await fleet.next(
      (m) => m.type === 'host.status' && m.hostId === host.hostId,
      HEARTBEAT_MS * 6,
    );
    const elapsed = Date.now() - killedAt;
    expect(offline).toMatchObject({ status: 'offline', organizationId: owner.organizationId });
    // At most two intervals after the last renewal (which came before the kill); the margin absorbs a
    // loaded machine's scheduling, not a missed sweep (that would add a whole half interval or more).
    expect(elapsed).toBeLessThan(HEARTBEAT_MS * 2 + 200);
    expect((await hosts()).find((h) => h.id === host.hostId)?.status).toBe('offline');
    expect((await agent.closed).code).toBe(1006);

    // The agent reconnects to the living instance: online again, as for any reconnect.
    const back = await connectRawAgent(survivor, host);
    expect(await fleet.next((m) => m.type === 'host.status' && m.status === 'online')).toBeTruthy();
    await Promise.all([back.close(), fleet.close()]);
  });
});
