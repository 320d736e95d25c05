// The last-owner rule under concurrency: checked and written in one transaction, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, skipWithout } from '../test-support/services.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

const ROUNDS = 20;
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
  describe.skipIf(skip)(`the last owner on ${name}`, () => {
    let server: TestServer;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const backend = await open();
      drop = () => backend.drop();
      server = await startTestServer(backend.env);
    });

    afterAll(async () => {
      await server?.cleanup();
      await drop?.();
    });

    /** A new organization of `a` where `b` is an owner too. */
    async function twoOwners(
      a: { cookie: string },
      b: { userId: string; cookie: string },
      round: number,
    ): Promise<string> {
      const created = await server.request('POST', '/api/orgs', {
        cookie: a.cookie,
        body: { name: `Org ${round}` },
      });
      const { organization } = (await created.json()) as { organization: { id: string } };
      const invited = await server.request('POST', `/api/orgs/${organization.id}/invitations`, {
        cookie: a.cookie,
        body: { email: 'b@example.com', role: 'owner' },
      });
      expect(invited.status).toBe(201);
      const { inviteUrl } = (await invited.json()) as { inviteUrl: string };
      const token = inviteUrl.slice(inviteUrl.lastIndexOf('/') + 1);
      const accepted = await server.request('POST', `/api/invitations/by-token/${token}/accept`, {
        cookie: b.cookie,
        body: {},
      });
      expect(accepted.status).toBe(200);
      expect(((await accepted.json()) as { user: { id: string } }).user.id).toBe(b.userId);
      return organization.id;
    }

    async function owners(cookie: string, orgId: string): Promise<number> {
      const res = await server.request('GET', `/api/orgs/${orgId}/members`, { cookie });
      const { members } = (await res.json()) as { members: { role: string }[] };
      return members.filter((m) => m.role === 'owner').length;
    }

    it(`keeps one owner when two owners demote themselves at once (${ROUNDS} rounds)`, async () => {
      const a = await server.setup('a@example.com');
      const b = await server.addMember(a.cookie, a.organizationId, 'b@example.com', 'owner');
      for (let round = 0; round < ROUNDS; round += 1) {
        const orgId = await twoOwners(a, b, round);
        const statuses = await Promise.all(
          [a, b].map(async (m) => {
            const res = await server.request('PATCH', `/api/orgs/${orgId}/members/${m.userId}`, {
              cookie: m.cookie,
              body: { role: 'admin' },
            });
            return res.status;
          }),
        );
        expect([...statuses].sort()).toEqual([200, 409]);
        expect(await owners(a.cookie, orgId)).toBe(1);
      }
    });

    it(`keeps one owner when two owners leave at once (${ROUNDS} rounds)`, async () => {
      const a = { cookie: await server.login('a@example.com', 'correct horse battery'), userId: '' };
      const me = (await (await server.request('GET', '/api/auth/me', { cookie: a.cookie })).json()) as {
        user: { id: string };
      };
      a.userId = me.user.id;
      const b = { cookie: await server.login('b@example.com', 'member password 123'), userId: '' };
      b.userId = (
        (await (await server.request('GET', '/api/auth/me', { cookie: b.cookie })).json()) as {
          user: { id: string };
        }
      ).user.id;
      for (let round = 0; round < ROUNDS; round += 1) {
        const orgId = await twoOwners(a, b, 100 + round);
        const statuses = await Promise.all(
          [a, b].map(async (m) => {
            const res = await server.request('DELETE', `/api/orgs/${orgId}/members/${m.userId}`, {
              cookie: m.cookie,
            });
            return res.status;
          }),
        );
        expect([...statuses].sort()).toEqual([204, 409]);
        const remaining = statuses[0] === 204 ? b : a;
        expect(await owners(remaining.cookie, orgId)).toBe(1);
      }
    });
  });
}
