import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { withRawDatabase } from '../test-support/raw-database.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.cleanup();
});

describe('hosts and roles', () => {
  it('lets an admin create a host and forbids a viewer (403)', async () => {
    const owner = await server.setup();
    const admin = await server.addMember(owner.cookie, owner.organizationId, 'admin@example.com', 'admin');
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'viewer@example.com', 'viewer');
    const denied = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: viewer.cookie,
      body: { name: 'db-1' },
    });
    expect(denied.status).toBe(403);
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: admin.cookie,
      body: { name: 'db-1' },
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as {
      host: { id: string; name: string; status: string; organizationId: string };
      enrollmentToken: string;
    };
    expect(body.host).toMatchObject({
      name: 'db-1',
      status: 'offline',
      organizationId: owner.organizationId,
    });
    expect(body.enrollmentToken).toMatch(/^hwe_/);
    const list = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/hosts`, { cookie: viewer.cookie })
    ).json()) as { hosts: { id: string }[] };
    expect(list.hosts.map((h) => h.id)).toEqual([body.host.id]);
  });

  it("answers 404, never 403, for another organization's host and members", async () => {
    const owner = await server.setup();
    const { hostId } = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const orgB = await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } });
    const { organization } = (await orgB.json()) as { organization: { id: string } };
    const outsider = await server.addMember(owner.cookie, organization.id, 'outsider@example.com', 'admin');
    expect((await server.request('GET', `/api/hosts/${hostId}`, { cookie: outsider.cookie })).status).toBe(
      404,
    );
    expect((await server.request('DELETE', `/api/hosts/${hostId}`, { cookie: outsider.cookie })).status).toBe(
      404,
    );
    expect(
      (await server.request('GET', `/api/orgs/${owner.organizationId}/members`, { cookie: outsider.cookie }))
        .status,
    ).toBe(404);
    expect(
      (await server.request('GET', `/api/hosts/does-not-exist`, { cookie: outsider.cookie })).status,
    ).toBe(404);
  });
});

describe('agent enrollment', () => {
  it('accepts an enrollment token once and refuses its reuse with 401', async () => {
    const owner = await server.setup();
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'web-1' },
    });
    const { enrollmentToken, host } = (await created.json()) as {
      enrollmentToken: string;
      host: { id: string };
    };
    const first = await server.request('POST', '/api/agent/enroll', {
      body: { enrollmentToken, hostname: 'web-1' },
    });
    expect(first.status).toBe(201);
    const enrolled = (await first.json()) as {
      hostId: string;
      organizationId: string;
      agentToken: string;
      commandPublicKey: string;
    };
    expect(enrolled).toMatchObject({ hostId: host.id, organizationId: owner.organizationId });
    expect(enrolled.commandPublicKey).toMatch(/BEGIN PUBLIC KEY/);
    const again = await server.request('POST', '/api/agent/enroll', {
      body: { enrollmentToken, hostname: 'web-1' },
    });
    expect(again.status).toBe(401);
  });

  it('lets exactly one of two concurrent enrollments with one token win', async () => {
    const owner = await server.setup();
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'web-1' },
    });
    const { enrollmentToken } = (await created.json()) as { enrollmentToken: string };
    const statuses = await Promise.all(
      [1, 2].map(() =>
        server
          .request('POST', '/api/agent/enroll', { body: { enrollmentToken, hostname: 'x' } })
          .then((r) => r.status),
      ),
    );
    expect(statuses.sort()).toEqual([201, 401]);
  });

  it('refuses an expired enrollment token', async () => {
    const owner = await server.setup();
    const created = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'web-1' },
    });
    const { enrollmentToken } = (await created.json()) as { enrollmentToken: string };
    await withRawDatabase(server, (db) =>
      db
        .updateTable('enrollment_tokens')
        .set({ expires_at: Date.now() - 1 })
        .execute(),
    );
    expect(
      (await server.request('POST', '/api/agent/enroll', { body: { enrollmentToken, hostname: 'x' } }))
        .status,
    ).toBe(401);
  });

  it('issues an agent token carrying hostId and organization that stops verifying once the host is deleted or rotated', async () => {
    const owner = await server.setup();
    const { hostId, agentToken } = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    const verified = await server.ctx.tokens.verifyAgent(agentToken);
    expect(verified).toEqual({
      ok: true,
      claims: { hostId, organizationId: owner.organizationId, tokenVersion: 0 },
    });
    const { authenticateWebSocket } = await import('../websocket/auth.js');
    const fakeReq = (token: string, id: string) =>
      ({
        url: `/ws/agent/${id}`,
        headers: { authorization: `Bearer ${token}` },
        socket: { remoteAddress: '127.0.0.1' },
      }) as never;
    expect((await authenticateWebSocket(fakeReq(agentToken, hostId), server.ctx)).ok).toBe(true);

    const rotated = await server.request('POST', `/api/hosts/${hostId}/rotate-token`, {
      cookie: owner.cookie,
    });
    expect(rotated.status).toBe(201);
    expect(await authenticateWebSocket(fakeReq(agentToken, hostId), server.ctx)).toMatchObject({
      ok: false,
      status: 403,
    });

    const second = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'web-2');
    expect(
      (await server.request('DELETE', `/api/hosts/${second.hostId}`, { cookie: owner.cookie })).status,
    ).toBe(204);
    expect(await authenticateWebSocket(fakeReq(second.agentToken, second.hostId), server.ctx)).toMatchObject({
      ok: false,
      status: 403,
    });
  });
});

describe('members', () => {
  it('lets an admin add operators but only an owner add admins, and keeps the last owner', async () => {
    const owner = await server.setup();
    const admin = await server.addMember(owner.cookie, owner.organizationId, 'admin@example.com', 'admin');
    const addAdmin = await server.request('POST', `/api/orgs/${owner.organizationId}/members`, {
      cookie: admin.cookie,
      body: { email: 'x@example.com', role: 'admin' },
    });
    expect(addAdmin.status).toBe(403);
    await server.addMember(admin.cookie, owner.organizationId, 'op@example.com', 'operator');
    const demoteSelf = await server.request(
      'PATCH',
      `/api/orgs/${owner.organizationId}/members/${owner.userId}`,
      { cookie: owner.cookie, body: { role: 'viewer' } },
    );
    expect(demoteSelf.status).toBe(409);
    const members = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/members`, { cookie: admin.cookie })
    ).json()) as { members: { email: string; role: string }[] };
    expect(members.members.map((m) => `${m.email}:${m.role}`)).toEqual([
      'owner@example.com:owner',
      'admin@example.com:admin',
      'op@example.com:operator',
    ]);
  });
});

describe('audit', () => {
  it('records setup, login, host creation and deletion, member changes and token rotation', async () => {
    const owner = await server.setup();
    await server.login('owner@example.com', 'correct horse battery');
    const { hostId } = await server.createEnrolledHost(owner.cookie, owner.organizationId);
    await server.request('POST', `/api/hosts/${hostId}/rotate-token`, { cookie: owner.cookie });
    const member = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    await server.request('PATCH', `/api/orgs/${owner.organizationId}/members/${member.userId}`, {
      cookie: owner.cookie,
      body: { role: 'operator' },
    });
    await server.request('DELETE', `/api/orgs/${owner.organizationId}/members/${member.userId}`, {
      cookie: owner.cookie,
    });
    await server.request('DELETE', `/api/hosts/${hostId}`, { cookie: owner.cookie });
    const res = await server.request('GET', `/api/orgs/${owner.organizationId}/audit`, {
      cookie: owner.cookie,
    });
    const { events } = (await res.json()) as { events: { action: string; actorId: string | null }[] };
    expect(events.map((e) => e.action).reverse()).toEqual([
      'setup',
      'login',
      'host.created',
      'host.enrolled',
      'host.token_rotated',
      'invitation.created',
      'invitation.accepted',
      'member.role_changed',
      'member.removed',
      'host.deleted',
    ]);
  });
});
