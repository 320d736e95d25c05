// Token rotation and host deletion under concurrency: each is one transaction, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRawDatabase } from '../test-support/raw-database.js';
import { createPostgresDatabase, skipWithout } from '../test-support/services.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

const ROUNDS = 10;
const skipPostgres = await skipWithout('postgres');

const backends: [string, boolean, () => Promise<{ env: Record<string, string>; drop(): Promise<void> }>][] = [
  ['SQLite', false, () => Promise.resolve({ env: {}, drop: () => Promise.resolve() })],
  [
    'PostgreSQL',
    skipPostgres,
    async () => {
      const database = await createPostgresDatabase();
      return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
    },
  ],
];

for (const [name, skip, open] of backends) {
  describe.skipIf(skip)(`host token rotation and deletion on ${name}`, () => {
    let server: TestServer;
    let drop: () => Promise<void>;
    let owner: { cookie: string; userId: string; organizationId: string };

    beforeAll(async () => {
      const backend = await open();
      drop = () => backend.drop();
      server = await startTestServer(backend.env);
      owner = await server.setup();
    });

    afterAll(async () => {
      await server?.cleanup();
      await drop?.();
    });

    const rotate = async (hostId: string) => {
      const res = await server.request('POST', `/api/hosts/${hostId}/rotate-token`, { cookie: owner.cookie });
      const body = res.status === 201 ? ((await res.json()) as { enrollmentToken: string }) : undefined;
      return { status: res.status, enrollmentToken: body?.enrollmentToken };
    };
    const enroll = async (enrollmentToken: string) =>
      (await server.request('POST', '/api/agent/enroll', { body: { enrollmentToken, hostname: 'x' } }))
        .status;
    /** Enrollment tokens of a host that are neither used, revoked nor expired. */
    const liveEnrollmentTokens = (hostId: string) =>
      withRawDatabase(server, async (db) => {
        const rows = await db
          .selectFrom('enrollment_tokens')
          .select('token_hash')
          .where('host_id', '=', hostId)
          .where('used_at', 'is', null)
          .where('expires_at', '>', Date.now())
          .execute();
        return rows.length;
      });
    const auditActions = (hostId: string) =>
      withRawDatabase(server, async (db) => {
        const rows = await db
          .selectFrom('audit_events')
          .select('action')
          .where('target_id', '=', hostId)
          .execute();
        return rows.map((r) => r.action);
      });

    it(`leaves exactly one valid token when two rotations run at once (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { hostId } = await server.createEnrolledHost(owner.cookie, owner.organizationId, `r-${round}`);
        const before = (await server.ctx.domain.hosts.find(hostId))?.tokenVersion ?? -1;
        const results = await Promise.all([rotate(hostId), rotate(hostId)]);
        expect(results.map((r) => r.status)).toEqual([201, 201]);
        // Each rotation bumped the version once, and only the later one's enrollment token survives.
        expect((await server.ctx.domain.hosts.find(hostId))?.tokenVersion).toBe(before + 2);
        expect(await liveEnrollmentTokens(hostId)).toBe(1);
        const enrolled = [];
        for (const { enrollmentToken } of results) enrolled.push(await enroll(enrollmentToken ?? ''));
        expect([...enrolled].sort()).toEqual([201, 401]);
        expect((await auditActions(hostId)).filter((a) => a === 'host.token_rotated')).toHaveLength(2);
      }
    });

    it(`leaves no half state when a rotation races a deletion (${ROUNDS} rounds)`, async () => {
      const outcomes = new Set<number>();
      for (let round = 0; round < ROUNDS; round += 1) {
        const { hostId } = await server.createEnrolledHost(owner.cookie, owner.organizationId, `d-${round}`);
        const [rotated, deleted] = await Promise.all([
          rotate(hostId),
          server.request('DELETE', `/api/hosts/${hostId}`, { cookie: owner.cookie }),
        ]);
        expect(deleted.status).toBe(204);
        expect([201, 404]).toContain(rotated.status);
        outcomes.add(rotated.status);
        expect(await server.ctx.domain.hosts.find(hostId)).toBeUndefined();
        expect(await liveEnrollmentTokens(hostId)).toBe(0);
        if (rotated.enrollmentToken) expect(await enroll(rotated.enrollmentToken)).toBe(401);
        const actions = await auditActions(hostId);
        // A rotation that answered 201 committed before the deletion; one that answered 404 wrote nothing.
        expect(actions.filter((a) => a === 'host.token_rotated')).toHaveLength(
          rotated.status === 201 ? 1 : 0,
        );
        expect(actions.filter((a) => a === 'host.deleted')).toHaveLength(1);
      }
      expect(outcomes.size).toBeGreaterThan(0);
    });
  });
}
