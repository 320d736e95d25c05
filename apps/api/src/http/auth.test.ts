import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ LOGIN_MAX_ATTEMPTS: '3' });
});
afterEach(async () => {
  await server.cleanup();
});

describe('request bodies', () => {
  it('answers 400, not 500, to a body that does not match its Content-Encoding', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await server.request('POST', '/api/auth/login', {
        body: { email: 'a@example.com', password: 'whatever password' },
        headers: { 'content-encoding': encoding },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    }
  });
});

describe('first-run setup', () => {
  it('reports that setup is required until the first user exists', async () => {
    expect(await (await server.request('GET', '/api/auth/setup')).json()).toEqual({ setupRequired: true });
    await server.setup();
    expect(await (await server.request('GET', '/api/auth/setup')).json()).toEqual({ setupRequired: false });
  });

  it('works once, then answers 409', async () => {
    const first = await server.request('POST', '/api/auth/setup', {
      body: {
        email: 'a@example.com',
        password: 'long enough password',
        organizationName: 'Acme',
        setupCode: server.setupCode(),
      },
    });
    expect(first.status).toBe(201);
    const me = (await first.json()) as {
      user: { email: string };
      organizations: { name: string; role: string }[];
    };
    expect(me.user.email).toBe('a@example.com');
    expect(me.organizations).toEqual([expect.objectContaining({ name: 'Acme', role: 'owner' })]);
    const second = await server.request('POST', '/api/auth/setup', {
      body: {
        email: 'b@example.com',
        password: 'long enough password',
        organizationName: 'Other',
        setupCode: 'anything-at-all',
      },
    });
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ error: { code: 'conflict', message: expect.any(String) } });
  });

  it('needs the one-time setup code: 0600 in DATA_DIR while pending, refused when wrong, deleted after', async () => {
    const file = path.join(server.dataDir, 'setup-code');
    const code = readFileSync(file, 'utf8').trim();
    expect(code.length).toBeGreaterThanOrEqual(20);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(server.running.setupUrl).toBe(`${server.ctx.config.publicUrl}/setup?code=${code}`);
    const body = { email: 'a@example.com', password: 'long enough password', organizationName: 'Acme' };
    for (const setupCode of [undefined, '', 'wrong-code-123', `${code}x`]) {
      const res = await server.request('POST', '/api/auth/setup', { body: { ...body, setupCode } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    expect(await (await server.request('GET', '/api/auth/setup')).json()).toEqual({ setupRequired: true });
    const ok = await server.request('POST', '/api/auth/setup', { body: { ...body, setupCode: code } });
    expect(ok.status).toBe(201);
    expect(existsSync(file)).toBe(false);
  });

  it('takes SETUP_CODE from the environment and prints no code once setup is done', async () => {
    const dataDir = server.dataDir;
    await server.close();
    server = await startTestServer({ SETUP_CODE: 'preset-setup-code-42' }, { dataDir });
    expect(server.running.setupUrl).toMatch(/\/setup\?code=preset-setup-code-42$/);
    await server.setup();
    await server.close();
    server = await startTestServer({}, { dataDir });
    expect(server.running.setupUrl).toBeUndefined();
    expect(existsSync(path.join(dataDir, 'setup-code'))).toBe(false);
  });

  it('answers an invalid body with 400 and the zod issues', async () => {
    const res = await server.request('POST', '/api/auth/setup', {
      body: { email: 'not-an-email', password: 'x' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { path: string[] }[] };
    };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.details.map((d) => d.path[0]).sort()).toEqual([
      'email',
      'organizationName',
      'password',
    ]);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.origin },
      body: '{"email":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });
});

describe('login', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie on Path=/', async () => {
    await server.setup('owner@example.com', 'correct horse battery');
    const res = await server.request('POST', '/api/auth/login', {
      body: { email: 'OWNER@example.com', password: 'correct horse battery' },
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
  });

  it('answers a wrong password with 401, then rate-limits the account with 429 and Retry-After', async () => {
    await server.setup('owner@example.com', 'correct horse battery');
    const attempt = () =>
      server.request('POST', '/api/auth/login', {
        body: { email: 'owner@example.com', password: 'wrong password!' },
      });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('limits per (account, address): failures elsewhere never lock the owner out', async () => {
    await server.cleanup();
    server = await startTestServer({ LOGIN_MAX_ATTEMPTS: '3', TRUST_PROXY: 'loopback' });
    await server.setup('owner@example.com', 'correct horse battery');
    // Behind a proxy on loopback: the proxy appends the address it saw to X-Forwarded-For.
    const from = (address: string, password: string) =>
      server.request('POST', '/api/auth/login', {
        body: { email: 'owner@example.com', password },
        headers: { 'x-forwarded-for': address },
      });
    const attacker = [];
    for (let i = 0; i < 6; i++) attacker.push((await from('203.0.113.9', 'wrong password!')).status);
    expect(attacker.slice(0, 3)).toEqual([401, 401, 401]);
    expect(attacker.slice(3)).toEqual([429, 429, 429]);
    expect((await from('198.51.100.7', 'correct horse battery')).status).toBe(200);
  });

  it('resolves the client address from trusted proxies only: a rotated X-Forwarded-For does not reset the limit', async () => {
    await server.cleanup();
    server = await startTestServer({ LOGIN_MAX_ATTEMPTS: '3', TRUST_PROXY: '1' });
    await server.setup('owner@example.com', 'correct horse battery');
    const statuses = [];
    for (let i = 0; i < 8; i++) {
      const res = await server.request('POST', '/api/auth/login', {
        body: { email: 'owner@example.com', password: 'wrong password!' },
        // The attacker's own entry first, then what the one trusted proxy appended.
        headers: { 'x-forwarded-for': `10.9.${i}.1, 203.0.113.9` },
      });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
  });

  it('answers an unknown email with the same 401 as a wrong password', async () => {
    await server.setup();
    const res = await server.request('POST', '/api/auth/login', {
      body: { email: 'nobody@example.com', password: 'whatever it is' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'Wrong email or password',
    );
  });
});

describe('me, logout and CSRF', () => {
  it('returns the user and organizations, and 401 without a session', async () => {
    const { cookie, userId, organizationId } = await server.setup('owner@example.com');
    const me = await server.request('GET', '/api/auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({
      user: { id: userId, email: 'owner@example.com', instanceAdmin: true },
      organizations: [{ id: organizationId, name: 'Acme', role: 'owner' }],
      mayCreateOrganizations: true,
    });
    expect((await server.request('GET', '/api/auth/me')).status).toBe(401);
  });

  it('ends the session on logout: the old cookie no longer works', async () => {
    const { cookie } = await server.setup();
    expect((await server.request('POST', '/api/auth/logout', { cookie })).status).toBe(204);
    expect((await server.request('GET', '/api/auth/me', { cookie })).status).toBe(401);
  });

  it('refuses a cookie-authenticated state change from another origin or with no Origin', async () => {
    const { cookie } = await server.setup();
    const evil = await server.request('POST', '/api/orgs', {
      cookie,
      origin: 'https://evil.example.com',
      body: { name: 'X' },
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    expect(
      (await server.request('POST', '/api/orgs', { cookie, origin: null, body: { name: 'X' } })).status,
    ).toBe(403);
    expect((await server.request('POST', '/api/orgs', { cookie, body: { name: 'X' } })).status).toBe(201);
  });
});

describe('organization creation', () => {
  it('regression: only instance administrators create organizations unless ORG_CREATION=anyone', async () => {
    const owner = await server.setup();
    const viewer = await server.addMember(owner.cookie, owner.organizationId, 'v@example.com', 'viewer');
    const me = (await (await server.request('GET', '/api/auth/me', { cookie: viewer.cookie })).json()) as {
      user: { instanceAdmin: boolean };
      mayCreateOrganizations: boolean;
    };
    expect(me.user.instanceAdmin).toBe(false);
    expect(me.mayCreateOrganizations).toBe(false);
    const refused = await server.request('POST', '/api/orgs', {
      cookie: viewer.cookie,
      body: { name: 'Mine' },
    });
    expect(refused.status).toBe(403);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('instance_admin_only');
    expect(error.message).toMatch(/instance administrator/);
    const mine = (await (await server.request('GET', '/api/auth/me', { cookie: viewer.cookie })).json()) as {
      organizations: unknown[];
    };
    expect(mine.organizations).toHaveLength(1);
    expect(
      (await server.request('POST', '/api/orgs', { cookie: owner.cookie, body: { name: 'Second' } })).status,
    ).toBe(201);

    const open = await startTestServer({ ORG_CREATION: 'anyone', LOG_LEVEL: 'warn' });
    try {
      const first = await open.setup();
      const member = await open.addMember(first.cookie, first.organizationId, 'm@example.com', 'viewer');
      const created = await open.request('POST', '/api/orgs', {
        cookie: member.cookie,
        body: { name: 'Own' },
      });
      expect(created.status).toBe(201);
    } finally {
      await open.cleanup();
    }
  });
});

describe('names', () => {
  it('regression: refuses control and bidi characters in every name with a 400 naming the field', async () => {
    const refusal = async (res: Response) => ({
      status: res.status,
      message: ((await res.json()) as { error?: { message: string } }).error?.message ?? '',
    });
    const setupCode = server.setupCode();
    const badSetup = await server.request('POST', '/api/auth/setup', {
      body: {
        email: 'o@example.com',
        password: 'long enough pw',
        organizationName: 'Acme\r\nBcc: x',
        setupCode,
      },
    });
    expect(await refusal(badSetup)).toEqual({
      status: 400,
      message: expect.stringMatching(/^organizationName: must not contain control characters/),
    });
    const { cookie, organizationId } = await server.setup();
    const org = `/api/orgs/${organizationId}`;
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/api/orgs', { name: 'Evil\u202eexe.txt' }, 'name'],
      ['POST', `${org}/hosts`, { name: 'web\u001b[31m-1' }, 'name'],
      ['POST', `${org}/api-tokens`, { name: 'ci\tdeploy', role: 'viewer' }, 'name'],
      [
        'POST',
        `${org}/invitations`,
        { email: 'a@example.com\r\nBcc: b@example.com', role: 'viewer' },
        'email',
      ],
      [
        'POST',
        `${org}/notification-channels`,
        { name: 'ops\u0085', type: 'webhook', config: { url: 'https://hooks.example.com/x' } },
        'name',
      ],
      [
        'POST',
        `${org}/alert-rules`,
        { name: 'cpu\u2066high', condition: { kind: 'host_offline' }, forSeconds: 60, channelIds: [] },
        'name',
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await server.request(method, path, { cookie, body });
      expect({ path, ...(await refusal(res)) }).toEqual({
        path,
        status: 400,
        message: expect.stringContaining(`${field}: must not contain control characters`),
      });
    }
    const created = await server.request('POST', `${org}/hosts`, { cookie, body: { name: 'Café 東京 ☕' } });
    const { enrollmentToken } = (await created.json()) as { enrollmentToken: string };
    const enroll = await server.request('POST', '/api/agent/enroll', {
      body: { enrollmentToken, hostname: 'host\r\n' },
    });
    expect(await refusal(enroll)).toEqual({
      status: 400,
      message: expect.stringContaining('hostname: must not contain control characters'),
    });
  });
});

describe('WebSocket tickets', () => {
  it('issues a single-use ticket that expires within 30 s', async () => {
    const { cookie, userId } = await server.setup();
    const res = await server.request('POST', '/api/ws-ticket', { cookie });
    expect(res.status).toBe(201);
    const { ticket, expiresAt } = (await res.json()) as { ticket: string; expiresAt: number };
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30_000);
    expect(expiresAt).toBeGreaterThan(Date.now());
    const owner = await server.ctx.tickets.consume(ticket);
    expect(owner?.userId).toBe(userId);
    expect(await server.ctx.tickets.consume(ticket)).toBeUndefined();
  });

  it('refuses an expired ticket', async () => {
    const { createMemoryTicketStore } = await import('../auth/tickets.js');
    let now = 1_000_000;
    const store = createMemoryTicketStore(30_000, () => now);
    const { ticket } = await store.issue({ userId: 'u', sessionId: 's' });
    now += 30_001;
    expect(await store.consume(ticket)).toBeUndefined();
    await store.close();
  });

  it('requires a session', async () => {
    expect((await server.request('POST', '/api/ws-ticket')).status).toBe(401);
  });
});
