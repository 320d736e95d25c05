// API tokens: creation (role ceiling, shown once, stored hashed), Bearer on every organization route family
// with a member's role checks and no cookie or Origin, 404 across organizations, 401 when revoked or
// expired, never on user-only routes, audited under the token's name, lastUsedAt without a write per request.
import { createHash } from 'node:crypto';
import type { ApiToken, AuditEvent, CreatedApiToken } from '@hostwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRawAgent, type RawPeer } from '../test-support/raw-peers.js';
import { withRawDatabase } from '../test-support/raw-database.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let admin: { cookie: string; userId: string };
let orgB = '';
let hostA = { hostId: '', agentToken: '' };
let hostB = '';
let agent: RawPeer<{ type: string }>;
const tokens: Record<'viewer' | 'operator' | 'admin' | 'owner' | 'otherOrg', string> = {
  viewer: '',
  operator: '',
  admin: '',
  owner: '',
  otherOrg: '',
};

async function createToken(
  cookie: string,
  organizationId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; created: CreatedApiToken }> {
  const res = await server.request('POST', `/api/orgs/${organizationId}/api-tokens`, { cookie, body });
  return { status: res.status, created: (await res.json()) as CreatedApiToken };
}

/** A request authenticated by a token only: no cookie, no Origin. */
function bearer(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return server.request(method, path, { origin: null, body, headers: { authorization: `Bearer ${token}` } });
}

async function listTokens(cookie: string, organizationId: string): Promise<ApiToken[]> {
  const res = await server.request('GET', `/api/orgs/${organizationId}/api-tokens`, { cookie });
  return ((await res.json()) as { apiTokens: ApiToken[] }).apiTokens;
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
  admin = await server.addMember(owner.cookie, owner.organizationId, 'admin@example.com', 'admin');
  hostA = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'a-1');
  agent = await connectRawAgent(server, hostA);
  const b = await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'B' } });
  orgB = ((await b.json()) as { organization: { id: string } }).organization.id;
  hostB = (await server.createEnrolledHost(owner.cookie, orgB, 'b-1')).hostId;
  for (const role of ['viewer', 'operator', 'admin'] as const)
    tokens[role] = (
      await createToken(admin.cookie, owner.organizationId, { name: `ci-${role}`, role })
    ).created.token;
  tokens.owner = (
    await createToken(owner.cookie, owner.organizationId, { name: 'ci-owner', role: 'owner' })
  ).created.token;
  tokens.otherOrg = (await createToken(owner.cookie, orgB, { name: 'b-admin', role: 'admin' })).created.token;
});

afterAll(async () => {
  await agent.close();
  await server.cleanup();
});

describe('creating API tokens', () => {
  it('answers the token once (hwt_ + 32 bytes), lists it without it, and stores only its SHA-256', async () => {
    const { status, created } = await createToken(admin.cookie, owner.organizationId, {
      name: 'deploy',
      role: 'operator',
      expiresInDays: 30,
    });
    expect(status).toBe(201);
    expect(created.token).toMatch(/^hwt_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.token.slice(4), 'base64url')).toHaveLength(32);
    expect(created.apiToken).toMatchObject({
      name: 'deploy',
      role: 'operator',
      lastUsedAt: null,
      createdBy: { id: admin.userId, email: 'admin@example.com' },
    });
    expect(created.apiToken.expiresAt).toBeGreaterThan(Date.now() + 29 * 86400_000);
    const listed = await listTokens(owner.cookie, owner.organizationId);
    expect(listed.find((t) => t.id === created.apiToken.id)).toEqual(created.apiToken);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const stored = await withRawDatabase(server, (db) =>
      db.selectFrom('api_tokens').selectAll().where('id', '=', created.apiToken.id).executeTakeFirstOrThrow(),
    );
    expect(stored.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(4));
  });

  it("never grants a role above the creator's: an admin cannot mint an owner token, a viewer none", async () => {
    expect((await createToken(admin.cookie, owner.organizationId, { name: 'x', role: 'owner' })).status).toBe(
      403,
    );
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    expect(
      (await createToken(viewer.cookie, owner.organizationId, { name: 'x', role: 'viewer' })).status,
    ).toBe(403);
    const operator = await server.addMember(owner.cookie, owner.organizationId, 'o@example.com', 'operator');
    expect(
      (await createToken(operator.cookie, owner.organizationId, { name: 'x', role: 'operator' })).status,
    ).toBe(403);
    expect(
      (await server.request('GET', `/api/orgs/${owner.organizationId}/api-tokens`, { cookie: viewer.cookie }))
        .status,
    ).toBe(403);
  });

  it('answers bad input with 400 and another organization with 404', async () => {
    for (const body of [
      { name: '', role: 'viewer' },
      { name: 'x', role: 'root' },
      { name: 'x', role: 'viewer', expiresInDays: 0 },
      { name: 'x', role: 'viewer', expiresInDays: 1.5 },
      { name: 'x', role: 'viewer', secret: 'mine' },
    ])
      expect((await createToken(owner.cookie, owner.organizationId, body)).status).toBe(400);
    const outsider = await server.addMember(owner.cookie, orgB, 'outsider@example.com', 'owner');
    expect(
      (await createToken(outsider.cookie, owner.organizationId, { name: 'x', role: 'viewer' })).status,
    ).toBe(404);
    expect(
      (
        await server.request('GET', `/api/orgs/${owner.organizationId}/api-tokens`, {
          cookie: outsider.cookie,
        })
      ).status,
    ).toBe(404);
  });
});

describe('Authorization: Bearer hwt_… on the organization routes', () => {
  const now = () => Date.now();
  /** Every route family, with the least role it needs; run with a token, no cookie, no Origin. */
  const families = (): { method: string; path: string; role: string; body?: unknown; ok: number }[] => [
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/hosts`, role: 'viewer', ok: 200 },
    { method: 'GET', path: `/api/hosts/${hostA.hostId}`, role: 'viewer', ok: 200 },
    {
      method: 'GET',
      path: `/api/hosts/${hostA.hostId}/metrics?from=${now() - 60_000}&to=${now()}`,
      role: 'viewer',
      ok: 200,
    },
    { method: 'GET', path: `/api/hosts/${hostA.hostId}/actions`, role: 'viewer', ok: 200 },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/members`, role: 'viewer', ok: 200 },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/audit`, role: 'viewer', ok: 200 },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/prometheus`, role: 'viewer', ok: 200 },
    {
      method: 'POST',
      path: `/api/hosts/${hostA.hostId}/actions`,
      role: 'operator',
      body: { action: 'uptime' },
      ok: 201,
    },
    {
      method: 'POST',
      path: `/api/orgs/${owner.organizationId}/hosts`,
      role: 'admin',
      body: { name: 'by-token' },
      ok: 201,
    },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/invitations`, role: 'admin', ok: 200 },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/alerts`, role: 'viewer', ok: 200 },
    { method: 'GET', path: `/api/orgs/${owner.organizationId}/alert-rules`, role: 'viewer', ok: 200 },
    {
      method: 'GET',
      path: `/api/orgs/${owner.organizationId}/notification-channels`,
      role: 'viewer',
      ok: 200,
    },
    {
      method: 'POST',
      path: `/api/orgs/${owner.organizationId}/alert-rules`,
      role: 'admin',
      body: { name: 'by-token', condition: { kind: 'host_offline' }, forSeconds: 60, channelIds: [] },
      ok: 201,
    },
    { method: 'GET', path: `/api/hosts/${hostA.hostId}/containers`, role: 'viewer', ok: 200 },
  ];
  const RANK = ['viewer', 'operator', 'admin', 'owner'];

  it('allows what the role allows and answers 403 above it, with neither cookie nor Origin', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      for (const f of families()) {
        const res = await bearer(tokens[role], f.method, f.path, f.body);
        const allowed = RANK.indexOf(role) >= RANK.indexOf(f.role);
        expect({ role, route: `${f.method} ${f.path}`, status: res.status }).toEqual({
          role,
          route: `${f.method} ${f.path}`,
          status: allowed ? f.ok : 403,
        });
      }
    }
  });

  it("answers 404 for another organization's token on every route family", async () => {
    for (const f of families()) {
      const res = await bearer(tokens.otherOrg, f.method, f.path, f.body);
      expect({ route: `${f.method} ${f.path}`, status: res.status }).toEqual({
        route: `${f.method} ${f.path}`,
        status: 404,
      });
    }
    // …and the token works on its own organization.
    expect((await bearer(tokens.otherOrg, 'GET', `/api/hosts/${hostB}`)).status).toBe(200);
    expect((await bearer(tokens.admin, 'GET', `/api/hosts/${hostB}`)).status).toBe(404);
  });

  it('lets host management run as the token, and deletes a host', async () => {
    const created = await bearer(tokens.owner, 'POST', `/api/orgs/${owner.organizationId}/hosts`, {
      name: 'doomed',
    });
    const { host } = (await created.json()) as { host: { id: string } };
    expect((await bearer(tokens.operator, 'DELETE', `/api/hosts/${host.id}`)).status).toBe(403);
    expect((await bearer(tokens.admin, 'POST', `/api/hosts/${host.id}/rotate-token`)).status).toBe(201);
    expect((await bearer(tokens.admin, 'DELETE', `/api/hosts/${host.id}`)).status).toBe(204);
  });

  it('regression: even owner and admin tokens cannot invite, change members or manage tokens (403 token_not_allowed)', async () => {
    const member = await server.addMember(owner.cookie, owner.organizationId, 'm@example.com', 'viewer');
    const pending = await server.request('POST', `/api/orgs/${owner.organizationId}/invitations`, {
      cookie: owner.cookie,
      body: { email: 'pending@example.com', role: 'viewer' },
    });
    const { invitation } = (await pending.json()) as { invitation: { id: string } };
    const [listed] = await listTokens(owner.cookie, owner.organizationId);
    const memberPath = `/api/orgs/${owner.organizationId}/members/${member.userId}`;
    const attempts: [string, string, unknown][] = [
      [
        'POST',
        `/api/orgs/${owner.organizationId}/invitations`,
        { email: 'new-owner@example.com', role: 'owner' },
      ],
      [
        'POST',
        `/api/orgs/${owner.organizationId}/members`,
        { email: 'new-admin@example.com', role: 'admin' },
      ],
      // Authorization before validation: a bad body changes nothing about the answer.
      ['POST', `/api/orgs/${owner.organizationId}/invitations`, { bad: true }],
      ['DELETE', `/api/invitations/${invitation.id}`, undefined],
      ['PATCH', memberPath, { role: 'operator' }],
      ['DELETE', memberPath, undefined],
      ['POST', `/api/orgs/${owner.organizationId}/api-tokens`, { name: 'minted', role: 'viewer' }],
      ['DELETE', `/api/api-tokens/${listed?.id ?? ''}`, undefined],
    ];
    for (const token of [tokens.owner, tokens.admin]) {
      for (const [method, path, body] of attempts) {
        const res = await bearer(token, method, path, body);
        const code = ((await res.json()) as { error: { code: string } }).error.code;
        expect({ method, path, status: res.status, code }).toEqual({
          method,
          path,
          status: 403,
          code: 'token_not_allowed',
        });
      }
    }
    // Nothing changed: the member keeps their role, the invitation is pending, no one else was invited.
    const members = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/members`, { cookie: owner.cookie })
    ).json()) as { members: { userId: string; role: string }[] };
    expect(members.members.find((m) => m.userId === member.userId)?.role).toBe('viewer');
    const invitations = (await (
      await server.request('GET', `/api/orgs/${owner.organizationId}/invitations`, { cookie: owner.cookie })
    ).json()) as { invitations: { email: string }[] };
    const emails = invitations.invitations.map((i) => i.email);
    expect(emails).toContain('pending@example.com');
    expect(emails).not.toContain('new-owner@example.com');
    expect(emails).not.toContain('new-admin@example.com');
    // The same people work as signed-in members.
    expect(
      (await server.request('PATCH', memberPath, { cookie: owner.cookie, body: { role: 'operator' } }))
        .status,
    ).toBe(200);
  });

  it('reads and cancels actions by id with the same roles, and 404 from another organization', async () => {
    const run = await bearer(tokens.operator, 'POST', `/api/hosts/${hostA.hostId}/actions`, {
      action: 'uptime',
    });
    const { action } = (await run.json()) as { action: { id: string } };
    expect((await bearer(tokens.viewer, 'GET', `/api/actions/${action.id}`)).status).toBe(200);
    expect((await bearer(tokens.otherOrg, 'GET', `/api/actions/${action.id}`)).status).toBe(404);
    expect((await bearer(tokens.viewer, 'POST', `/api/actions/${action.id}/cancel`)).status).toBe(403);
    expect((await bearer(tokens.otherOrg, 'POST', `/api/actions/${action.id}/cancel`)).status).toBe(404);
    expect((await bearer(tokens.operator, 'POST', `/api/actions/${action.id}/cancel`)).status).toBe(202);
  });

  it('keeps tokens off user-only routes (403): me, logout, tickets, new organizations, token management', async () => {
    for (const [method, path] of [
      ['GET', '/api/auth/me'],
      ['POST', '/api/auth/logout'],
      ['POST', '/api/ws-ticket'],
      ['POST', '/api/orgs'],
      ['GET', `/api/orgs/${owner.organizationId}/api-tokens`],
      ['POST', `/api/orgs/${owner.organizationId}/api-tokens`],
    ] as const) {
      const res = await bearer(
        tokens.owner,
        method,
        path,
        method === 'POST' ? { name: 'x', role: 'viewer' } : undefined,
      );
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    const [listed] = await listTokens(owner.cookie, owner.organizationId);
    expect((await bearer(tokens.owner, 'DELETE', `/api/api-tokens/${listed?.id ?? ''}`)).status).toBe(403);
  });

  it('answers 401 with WWW-Authenticate for a malformed or unknown token', async () => {
    for (const token of ['hwt_short', `hwt_${'A'.repeat(43)}`, 'not-a-token']) {
      const res = await bearer(token, 'GET', `/api/orgs/${owner.organizationId}/hosts`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('answers 401 once a token is revoked, at once, and 404 to revoke it again or from elsewhere', async () => {
    const { created } = await createToken(owner.cookie, owner.organizationId, {
      name: 'short',
      role: 'viewer',
    });
    const path = `/api/orgs/${owner.organizationId}/hosts`;
    expect((await bearer(created.token, 'GET', path)).status).toBe(200);
    const outsider = await server.login('outsider@example.com', 'member password 123');
    expect(
      (await server.request('DELETE', `/api/api-tokens/${created.apiToken.id}`, { cookie: outsider })).status,
    ).toBe(404);
    expect(
      (await server.request('DELETE', `/api/api-tokens/${created.apiToken.id}`, { cookie: admin.cookie }))
        .status,
    ).toBe(204);
    const res = await bearer(created.token, 'GET', path);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    expect(
      (await server.request('DELETE', `/api/api-tokens/${created.apiToken.id}`, { cookie: admin.cookie }))
        .status,
    ).toBe(404);
    expect((await listTokens(owner.cookie, owner.organizationId)).map((t) => t.id)).not.toContain(
      created.apiToken.id,
    );
  });

  it('answers 401 once a token expired', async () => {
    const { created } = await createToken(owner.cookie, owner.organizationId, {
      name: 'expiring',
      role: 'viewer',
      expiresInDays: 1,
    });
    const path = `/api/orgs/${owner.organizationId}/prometheus`;
    expect((await bearer(created.token, 'GET', path)).status).toBe(200);
    await withRawDatabase(server, (db) =>
      db
        .updateTable('api_tokens')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', created.apiToken.id)
        .execute(),
    );
    const res = await bearer(created.token, 'GET', path);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('follows its creator: capped when the creator is demoted, refused (401) once the creator left', async () => {
    const creator = await server.addMember(owner.cookie, owner.organizationId, 'c@example.com', 'admin');
    const { created } = await createToken(creator.cookie, owner.organizationId, { name: 'c', role: 'admin' });
    const hosts = `/api/orgs/${owner.organizationId}/hosts`;
    expect((await bearer(created.token, 'POST', hosts, { name: 'c-1' })).status).toBe(201);
    const member = `/api/orgs/${owner.organizationId}/members/${creator.userId}`;
    await server.request('PATCH', member, { cookie: owner.cookie, body: { role: 'viewer' } });
    expect((await bearer(created.token, 'POST', hosts, { name: 'c-2' })).status).toBe(403);
    expect((await bearer(created.token, 'GET', hosts)).status).toBe(200);
    await server.request('DELETE', member, { cookie: owner.cookie });
    expect((await bearer(created.token, 'GET', hosts)).status).toBe(401);
  });

  it('prefers the bearer token over a cookie sent with it, and needs no Origin for it', async () => {
    const res = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      origin: 'https://evil.example',
      body: { name: 'x' },
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(res.status).toBe(403);
    // The same cookie alone from that Origin is refused as cross-site.
    const cookieOnly = await server.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      origin: 'https://evil.example',
      body: { name: 'x' },
    });
    expect(cookieOnly.status).toBe(403);
    expect(((await cookieOnly.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
  });
});

describe('what a token did', () => {
  it("is audited under the token's name, allowed and denied alike", async () => {
    const { created } = await createToken(owner.cookie, owner.organizationId, {
      name: 'ci-audit',
      role: 'operator',
    });
    const made = await bearer(created.token, 'POST', `/api/hosts/${hostA.hostId}/actions`, {
      action: 'uptime',
    });
    expect(made.status).toBe(201);
    const viewer = await createToken(owner.cookie, owner.organizationId, {
      name: 'ci-viewer-2',
      role: 'viewer',
    });
    const refused = await bearer(viewer.created.token, 'POST', `/api/hosts/${hostA.hostId}/actions`, {
      action: 'uptime',
    });
    expect(refused.status).toBe(403);
    await server.request('DELETE', `/api/api-tokens/${created.apiToken.id}`, { cookie: owner.cookie });
    const res = await server.request(
      'GET',
      `/api/orgs/${owner.organizationId}/audit?actorId=${created.apiToken.id}`,
      { cookie: owner.cookie },
    );
    const { events } = (await res.json()) as { events: AuditEvent[] };
    expect(events.map((e) => [e.action, e.decision, e.actorType, e.actorName])).toEqual([
      ['action.run', 'allowed', 'api_token', 'ci-audit'],
    ]);
    const all = (
      (await (
        await server.request('GET', `/api/orgs/${owner.organizationId}/audit?limit=500`, {
          cookie: owner.cookie,
        })
      ).json()) as { events: AuditEvent[] }
    ).events;
    expect(
      all.find((e) => e.action === 'api_token.created' && e.targetId === created.apiToken.id),
    ).toMatchObject({
      actorType: 'user',
      actorId: owner.userId,
      details: { name: 'ci-audit', role: 'operator' },
    });
    expect(
      all.find((e) => e.action === 'api_token.revoked' && e.targetId === created.apiToken.id),
    ).toBeDefined();
    expect(
      all.find((e) => e.actorType === 'api_token' && e.actorId === viewer.created.apiToken.id),
    ).toMatchObject({ action: 'action.run', decision: 'denied', actorName: 'ci-viewer-2' });
    // The action record names the token's principal id as who started it.
    const actionId = ((await made.json()) as { action: { id: string; userId: string } }).action;
    expect(actionId.userId).toBe(`apitoken_${created.apiToken.id}`);
  });

  it('records lastUsedAt on first use and not again within a minute (no write per request)', async () => {
    const { created } = await createToken(owner.cookie, owner.organizationId, {
      name: 'used',
      role: 'viewer',
    });
    const path = `/api/orgs/${owner.organizationId}/hosts`;
    const before = Date.now();
    expect((await bearer(created.token, 'GET', path)).status).toBe(200);
    const lastUsed = async () =>
      (await listTokens(owner.cookie, owner.organizationId)).find((t) => t.id === created.apiToken.id)
        ?.lastUsedAt ?? null;
    await expect.poll(lastUsed).toBeGreaterThanOrEqual(before);
    const first = await lastUsed();
    for (let i = 0; i < 5; i++) expect((await bearer(created.token, 'GET', path)).status).toBe(200);
    expect(await lastUsed()).toBe(first);
  });
});
