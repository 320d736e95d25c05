// Findings 10, 11 and 16 of the security review: CSP and HSTS, private files in DATA_DIR, METRICS_TOKEN.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.cleanup();
});
async function server(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const s = await startTestServer(env, dataDir ? { dataDir } : {});
  servers.push(s);
  return s;
}

describe('security headers', () => {
  it('sends a Content-Security-Policy on every answer, and no HSTS over http', async () => {
    const s = await server();
    for (const p of ['/api/auth/setup', '/healthz', '/api/nothing-here']) {
      const res = await s.request('GET', p);
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
      ])
        expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe');
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('sends HSTS when PUBLIC_URL is https, and allows its wss:// socket', async () => {
    const s = await server({ PUBLIC_URL: 'https://hostwire.example.com' });
    const res = await s.request('GET', '/healthz');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
    expect(res.headers.get('content-security-policy')).toContain(
      "connect-src 'self' wss://hostwire.example.com",
    );
  });
});

describe('files in DATA_DIR', () => {
  it('makes an existing DATA_DIR 0700 and creates the database, -wal and -shm 0600', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'hostwire-modes-'));
    const dataDir = path.join(parent, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    try {
      const s = await server({}, dataDir);
      await s.setup();
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const name of ['hostwire.db', 'hostwire.db-wal', 'hostwire.db-shm', 'session-jwt.secret'])
        expect((statSync(path.join(dataDir, name)).mode & 0o777).toString(8)).toBe('600');
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('GET /metrics', () => {
  it('is open when METRICS_TOKEN is unset', async () => {
    const s = await server();
    expect((await s.request('GET', '/metrics')).status).toBe(200);
  });

  it('needs Authorization: Bearer <METRICS_TOKEN> when it is set', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const s = await server({ METRICS_TOKEN: token });
    const none = await s.request('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('hostwire_');
    const wrong = await s.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}x` } });
    expect(wrong.status).toBe(401);
    const right = await s.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('hostwire_');
  });
});
