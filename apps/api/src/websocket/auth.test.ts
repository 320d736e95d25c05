// Handshake tests: every refusal is an HTTP status before the upgrade (no `open`), and secrets never reach the logs.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { handshake, waitFor } from '../test-support/ws-client.js';

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let hostA: { hostId: string; agentToken: string };
let hostB: { hostId: string; agentToken: string };

const sessionValue = (cookie: string) => cookie.replace(/^session=/, '');

function signAgentLike(
  key: Uint8Array,
  claims: { sub: string; org: string; ver: number },
  options: { expiresIn?: number; typ?: string; aud?: string } = {},
) {
  const jwt = new SignJWT({ org: claims.org, ver: claims.ver })
    .setProtectedHeader({ alg: 'HS256', typ: options.typ ?? 'hostwire-agent+jwt' })
    .setIssuer('hostwire')
    .setAudience(options.aud ?? 'hostwire:agent')
    .setSubject(claims.sub)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600);
  if (options.expiresIn !== undefined)
    jwt.setExpirationTime(Math.floor(Date.now() / 1000) + options.expiresIn);
  return jwt.sign(key);
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await server.setup();
  hostA = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'host-a');
  hostB = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'host-b');
});

afterAll(async () => {
  await server.cleanup();
});

const agentUrl = (hostId: string) => `${server.wsUrl}/ws/agent/${hostId}`;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('agent handshake', () => {
  it('opens with a valid Bearer token and with ?token=', async () => {
    const viaHeader = await handshake(agentUrl(hostA.hostId), bearer(hostA.agentToken));
    expect(viaHeader.status).toBe(101);
    viaHeader.socket?.ws.close();
    await viaHeader.socket?.closed;
    const viaQuery = await handshake(`${agentUrl(hostA.hostId)}?token=${hostA.agentToken}`);
    expect(viaQuery.status).toBe(101);
    viaQuery.socket?.ws.close();
    await viaQuery.socket?.closed;
  });

  it('refuses a missing token with 401 and a JSON error body, without opening', async () => {
    const outcome = await handshake(agentUrl(hostA.hostId));
    expect(outcome).toMatchObject({ status: 401, opened: false });
    expect(outcome.headers.connection).toBe('close');
    const body = JSON.parse(outcome.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.message.length).toBeGreaterThan(0);
  });

  it('refuses a token signed with another key with 401', async () => {
    const forged = await signAgentLike(new TextEncoder().encode('x'.repeat(48)), {
      sub: hostA.hostId,
      org: owner.organizationId,
      ver: 0,
    });
    expect(await handshake(agentUrl(hostA.hostId), bearer(forged))).toMatchObject({
      status: 401,
      opened: false,
    });
  });

  it('refuses an expired token with 401', async () => {
    const expired = await signAgentLike(
      server.ctx.config.secrets.agentJwt,
      { sub: hostA.hostId, org: owner.organizationId, ver: 0 },
      { expiresIn: -60 },
    );
    expect(await handshake(agentUrl(hostA.hostId), bearer(expired))).toMatchObject({
      status: 401,
      opened: false,
    });
  });

  it('refuses an alg:none token with 401', async () => {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = b64({ alg: 'none', typ: 'hostwire-agent+jwt' });
    const payload = b64({
      iss: 'hostwire',
      aud: 'hostwire:agent',
      sub: hostA.hostId,
      org: owner.organizationId,
      ver: 0,
    });
    expect(await handshake(agentUrl(hostA.hostId), bearer(`${header}.${payload}.`))).toMatchObject({
      status: 401,
      opened: false,
    });
  });

  it('refuses a session token used as an agent token with 401', async () => {
    expect(await handshake(agentUrl(hostA.hostId), bearer(sessionValue(owner.cookie)))).toMatchObject({
      status: 401,
      opened: false,
    });
  });

  it('refuses a token of the agent kind signed with the session key with 401', async () => {
    const crossKey = await signAgentLike(server.ctx.config.secrets.sessionJwt, {
      sub: hostA.hostId,
      org: owner.organizationId,
      ver: 0,
    });
    expect(await handshake(agentUrl(hostA.hostId), bearer(crossKey))).toMatchObject({
      status: 401,
      opened: false,
    });
  });

  it('rejects an agent token whose hostId differs from the path with 403', async () => {
    expect(await handshake(agentUrl(hostB.hostId), bearer(hostA.agentToken))).toMatchObject({
      status: 403,
      opened: false,
    });
  });

  it('ignores cookies on the agent endpoint', async () => {
    const outcome = await handshake(agentUrl(hostA.hostId), {
      headers: { cookie: owner.cookie, origin: server.origin },
    });
    expect(outcome).toMatchObject({ status: 401, opened: false });
  });

  it('refuses a rotated (old version) token with 403 and a deleted host with 403', async () => {
    const host = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'host-rotated');
    const rotated = await server.request('POST', `/api/hosts/${host.hostId}/rotate-token`, {
      cookie: owner.cookie,
    });
    expect(rotated.status).toBe(201);
    expect(await handshake(agentUrl(host.hostId), bearer(host.agentToken))).toMatchObject({
      status: 403,
      opened: false,
    });

    const doomed = await server.createEnrolledHost(owner.cookie, owner.organizationId, 'host-deleted');
    const deleted = await server.request('DELETE', `/api/hosts/${doomed.hostId}`, { cookie: owner.cookie });
    expect(deleted.status).toBe(204);
    expect(await handshake(agentUrl(doomed.hostId), bearer(doomed.agentToken))).toMatchObject({
      status: 403,
      opened: false,
    });
  });

  it('answers unknown paths and malformed host ids with 404', async () => {
    expect(await handshake(`${server.wsUrl}/ws/nope`)).toMatchObject({ status: 404, opened: false });
    expect(await handshake(`${server.wsUrl}/ws/agent/bad%20id`, bearer(hostA.agentToken))).toMatchObject({
      status: 404,
      opened: false,
    });
    expect(
      await handshake(`${server.wsUrl}/ws/agent/${hostA.hostId}/extra`, bearer(hostA.agentToken)),
    ).toMatchObject({ status: 404, opened: false });
  });
});

describe('client handshake', () => {
  const clientUrl = () => `${server.wsUrl}/ws/client`;

  it('opens with the session cookie and an allowed Origin, and welcomes with the organizations', async () => {
    const outcome = await handshake(clientUrl(), {
      headers: { cookie: owner.cookie, origin: server.origin },
    });
    expect(outcome.status).toBe(101);
    const welcome = await outcome.socket?.next((m) => m.type === 'welcome');
    expect(welcome).toMatchObject({
      userId: owner.userId,
      organizations: [{ id: owner.organizationId, role: 'owner' }],
    });
    outcome.socket?.ws.close();
  });

  it('refuses the cookie with a foreign Origin or no Origin with 403', async () => {
    expect(
      await handshake(clientUrl(), { headers: { cookie: owner.cookie, origin: 'https://evil.example' } }),
    ).toMatchObject({ status: 403, opened: false });
    expect(await handshake(clientUrl(), { headers: { cookie: owner.cookie } })).toMatchObject({
      status: 403,
      opened: false,
    });
  });

  it('refuses an agent token used as the session cookie with 401, and no credentials with 401', async () => {
    expect(
      await handshake(clientUrl(), {
        headers: { cookie: `session=${hostA.agentToken}`, origin: server.origin },
      }),
    ).toMatchObject({ status: 401, opened: false });
    expect(await handshake(clientUrl(), { headers: { origin: server.origin } })).toMatchObject({
      status: 401,
      opened: false,
    });
    expect(await handshake(`${clientUrl()}?ticket=`)).toMatchObject({ status: 401, opened: false });
  });

  it('accepts a ticket once and refuses its reuse with 401', async () => {
    const ticket = await server.ticket(owner.cookie);
    const first = await handshake(`${clientUrl()}?ticket=${ticket}`);
    expect(first.status).toBe(101);
    first.socket?.ws.close();
    expect(await handshake(`${clientUrl()}?ticket=${ticket}`)).toMatchObject({ status: 401, opened: false });
  });

  it('lets exactly one of two parallel upgrades with one ticket through', async () => {
    const ticket = await server.ticket(owner.cookie);
    const outcomes = await Promise.all([
      handshake(`${clientUrl()}?ticket=${ticket}`),
      handshake(`${clientUrl()}?ticket=${ticket}`),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual([101, 401]);
    for (const o of outcomes) o.socket?.ws.close();
  });

  it('refuses the ticket of a session that logged out with 401', async () => {
    const cookie = await server.login('owner@example.com', 'correct horse battery');
    const ticket = await server.ticket(cookie);
    expect((await server.request('POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect(await handshake(`${clientUrl()}?ticket=${ticket}`)).toMatchObject({ status: 401, opened: false });
  });
});

describe('logging', () => {
  it('never writes a token or ticket from the query string to the logs', async () => {
    const canary = 'canary-token-4f1c9d2e7b';
    await handshake(`${agentUrl(hostA.hostId)}?token=${canary}`);
    await handshake(`${server.wsUrl}/ws/client?ticket=${canary}-ticket`);
    const ok = await handshake(`${agentUrl(hostA.hostId)}?token=${hostA.agentToken}`);
    ok.socket?.ws.close();
    await waitFor(
      () => server.logs.some((line) => line.includes(`${canary}`) || line.includes('[REDACTED]')),
      2000,
      'refusal logs',
    );
    const logs = server.logs.join('\n');
    expect(logs).toContain('ws.refused');
    expect(logs).toContain('token=[REDACTED]');
    expect(logs).not.toContain(canary);
    expect(logs).not.toContain(hostA.agentToken);
  });

  it('redacts a percent-encoded parameter name the server decodes (?%74oken=)', async () => {
    const ok = await handshake(`${agentUrl(hostA.hostId)}?%74oken=${hostA.agentToken}&x=1`);
    expect(ok.status).toBe(101);
    ok.socket?.ws.close();
    const canary = 'canary-encoded-7a1b';
    await handshake(`${agentUrl(hostA.hostId)}?%74oken=${canary}`);
    await waitFor(() => server.logs.some((line) => line.includes('%74oken=')), 2000, 'refusal log');
    const logs = server.logs.join('\n');
    expect(logs).toContain('%74oken=[REDACTED]');
    expect(logs).not.toContain(canary);
    expect(logs).not.toContain(hostA.agentToken);
  });
});
