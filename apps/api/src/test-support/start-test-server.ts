/** @module test-support/start-test-server — the real server on port 0 with a temp SQLite file, and HTTP helpers. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../app-server.js';
import { loadConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { createLogger } from '../logger.js';
import type { ResolveHost } from '../outbound/client.js';

export interface TestServer {
  url: string;
  wsUrl: string;
  origin: string;
  port: number;
  ctx: AppContext;
  running: RunningServer;
  dataDir: string;
  /** Everything the server logged, as raw JSON lines. */
  logs: string[];
  /** Stops the server; the data dir stays until `cleanup` (restart tests reuse it). */
  close(): Promise<void>;
  /** Stops the server and removes its data dir. */
  cleanup(): Promise<void>;
  /** fetch against the server with JSON bodies; cookies and Origin are the caller's. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; cookie?: string; origin?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Runs first-run setup and returns the owner's session cookie and organization id. */
  setup(
    email?: string,
    password?: string,
    organizationName?: string,
  ): Promise<{ cookie: string; userId: string; organizationId: string }>;
  login(email: string, password: string): Promise<string>;
  /** Creates a host (as `cookie`) and enrolls it; returns the agent token. */
  createEnrolledHost(
    cookie: string,
    organizationId: string,
    name?: string,
  ): Promise<{ hostId: string; agentToken: string; commandPublicKey: string }>;
  addMember(
    cookie: string,
    organizationId: string,
    email: string,
    role: string,
    password?: string,
  ): Promise<{ userId: string; cookie: string }>;
  ticket(cookie: string): Promise<string>;
  /** The one-time setup code (SETUP_CODE, else DATA_DIR/setup-code); empty once setup is done. */
  setupCode(): string;
}

export async function startTestServer(
  env: Record<string, string> = {},
  options: { dataDir?: string; resolveHost?: ResolveHost } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'hostwire-test-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const baseEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...env,
  };
  const provisional = loadConfig(baseEnv);
  const running = await startServer(provisional, {
    logger: createLogger('debug', sink),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  // Origins are derived from PUBLIC_URL, which needs the real port: allow it unless the test chose.
  const origin = env.PUBLIC_URL ?? `http://127.0.0.1:${running.port}`;
  if (!env.ALLOWED_ORIGINS && !env.PUBLIC_URL) (running.ctx.config.allowedOrigins as Set<string>).add(origin);
  const url = running.url;

  const request: TestServer['request'] = (method, p, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.cookie) headers.cookie = o.cookie;
    if (o.origin !== null) headers.origin = o.origin ?? origin;
    return fetch(`${url}${p}`, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
  };

  const cookieOf = (res: Response): string => {
    const set = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (!set) throw new Error(`no session cookie (status ${res.status})`);
    return set.split(';')[0] ?? '';
  };

  const setupCode = (): string => {
    if (running.ctx.config.setupCode !== undefined) return running.ctx.config.setupCode;
    const file = path.join(dataDir, 'setup-code');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  };

  const server: TestServer = {
    url,
    setupCode,
    wsUrl: url.replace(/^http/, 'ws'),
    origin,
    port: running.port,
    ctx: running.ctx,
    running,
    dataDir,
    logs,
    close: () => running.close(),
    async cleanup() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    request,
    async setup(email = 'owner@example.com', password = 'correct horse battery', organizationName = 'Acme') {
      const res = await request('POST', '/api/auth/setup', {
        body: { email, password, organizationName, setupCode: setupCode() },
      });
      if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
      const me = (await res.clone().json()) as { user: { id: string }; organizations: { id: string }[] };
      return { cookie: cookieOf(res), userId: me.user.id, organizationId: me.organizations[0]?.id ?? '' };
    },
    async login(email, password) {
      const res = await request('POST', '/api/auth/login', { body: { email, password } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return cookieOf(res);
    },
    async createEnrolledHost(cookie, organizationId, name = 'web-1') {
      const created = await request('POST', `/api/orgs/${organizationId}/hosts`, { cookie, body: { name } });
      if (created.status !== 201)
        throw new Error(`create host failed: ${created.status} ${await created.text()}`);
      const { enrollmentToken } = (await created.json()) as { enrollmentToken: string };
      const enrolled = await request('POST', '/api/agent/enroll', {
        body: { enrollmentToken, hostname: name },
      });
      if (enrolled.status !== 201)
        throw new Error(`enroll failed: ${enrolled.status} ${await enrolled.text()}`);
      return (await enrolled.json()) as { hostId: string; agentToken: string; commandPublicKey: string };
    },
    async addMember(cookie, organizationId, email, role, password = 'member password 123') {
      // People join by invitation: invite, then accept as the invitee (a new account sets its password;
      // an existing one signs in first and accepts without one).
      const invited = await request('POST', `/api/orgs/${organizationId}/invitations`, {
        cookie,
        body: { email, role },
      });
      if (invited.status !== 201) throw new Error(`invite failed: ${invited.status} ${await invited.text()}`);
      const { inviteUrl } = (await invited.json()) as { inviteUrl: string };
      const token = inviteUrl.slice(inviteUrl.lastIndexOf('/') + 1);
      const acceptPath = `/api/invitations/by-token/${token}/accept`;
      let accepted = await request('POST', acceptPath, { body: { password } });
      if (accepted.status === 401) {
        accepted = await request('POST', acceptPath, {
          body: {},
          cookie: await server.login(email, password),
        });
      }
      if (accepted.status !== 200)
        throw new Error(`accept failed: ${accepted.status} ${await accepted.text()}`);
      const me = (await accepted.clone().json()) as { user: { id: string } };
      return { userId: me.user.id, cookie: cookieOf(accepted) };
    },
    async ticket(cookie) {
      const res = await request('POST', '/api/ws-ticket', { cookie });
      if (res.status !== 201) throw new Error(`ticket failed: ${res.status}`);
      return ((await res.json()) as { ticket: string }).ticket;
    },
  };
  return server;
}
