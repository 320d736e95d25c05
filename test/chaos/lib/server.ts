/** @module test/chaos/lib/server — the real hostwire-server program (built dist) as a child process, and an HTTP client for it. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@hostwire/protocol/testing';
import { rssMiB, type Proc, type Scope } from './scope.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER_BIN = path.join(REPO_ROOT, 'apps/api/dist/bin.js');

/** The one-time setup code the suite presets (DESIGN.md: `SETUP_CODE`); servers that do not ask ignore it. */
export const SETUP_CODE = randomBytes(12).toString('hex');

/** Settings every experiment's server shares: 1 s samples, a 2 s heartbeat, quick shutdown. */
export const CHAOS_SERVER_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  METRICS_SLOW_INTERVAL_MS: '1000',
  METRICS_LIVE_INTERVAL_MS: '1000',
  WS_HEARTBEAT_MS: '2000',
  SHUTDOWN_TIMEOUT_MS: '3000',
  SETUP_CODE,
};

export interface ServerProcess {
  name: string;
  port: number;
  url: string;
  dataDir: string;
  proc: Proc;
  /** Starts the program again with the same port, data dir and environment (after a kill or a stop). */
  restart(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  rss(): number;
}

/** Waits until GET `url` answers 200 (or the process exits). */
export async function waitHealthy(url: string, proc: Proc, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      if (!proc.alive()) throw new Error(`${proc.name} exited before it was healthy:\n${proc.output()}`);
      try {
        return (await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200;
      } catch {
        return false;
      }
    },
    timeoutMs,
    `${proc.name} at ${url}`,
    50,
  ).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n${proc.output().slice(-2000)}`,
    );
  });
}

/** Runs `node apps/api/dist/bin.js` on `port` with `env` added to the chaos defaults; resolves once /healthz answers. */
export async function startServerProcess(
  scope: Scope,
  options: { name: string; port: number; dataDir: string; env?: Record<string, string> },
): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const env = {
    ...CHAOS_SERVER_ENV,
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    PUBLIC_URL: url,
    ...options.env,
  };
  const launch = async () => {
    const proc = scope.spawn(options.name, process.execPath, [SERVER_BIN], env);
    await waitHealthy(`${url}/healthz`, proc);
    return proc;
  };
  const server: ServerProcess = {
    name: options.name,
    port: options.port,
    url,
    dataDir: options.dataDir,
    proc: await launch(),
    async restart() {
      if (server.proc.alive()) throw new Error(`${options.name} is still running`);
      server.proc = await launch();
    },
    kill9: () => server.proc.kill9(),
    stop: () => server.proc.stop(),
    rss: () => rssMiB(server.proc.pid),
  };
  return server;
}

/** A signed-in person speaking HTTP to one server (or to the load balancer). */
export interface ApiClient {
  url: string;
  cookie: string;
  organizationId: string;
  request(method: string, path: string, body?: unknown): Promise<Response>;
  /** Creates a host; returns its id and one-time enrollment token. */
  createHost(name: string): Promise<{ hostId: string; enrollmentToken: string }>;
  ticket(): Promise<string>;
  /** The same person on another base URL (another instance of the same deployment). */
  on(url: string): ApiClient;
}

function clientFor(url: string, cookie: string, organizationId: string, origin: string): ApiClient {
  const request = (method: string, p: string, body?: unknown) =>
    fetch(`${url}${p}`, {
      method,
      headers: {
        origin,
        cookie,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  return {
    url,
    cookie,
    organizationId,
    request,
    async createHost(name) {
      const res = await request('POST', `/api/orgs/${organizationId}/hosts`, { name });
      if (res.status !== 201) throw new Error(`create host ${name}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { host: { id: string }; enrollmentToken: string };
      return { hostId: body.host.id, enrollmentToken: body.enrollmentToken };
    },
    async ticket() {
      const res = await request('POST', '/api/ws-ticket');
      if (res.status !== 201) throw new Error(`ticket: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { ticket: string }).ticket;
    },
    on: (other) => clientFor(other, cookie, organizationId, origin),
  };
}

/**
 * First-run setup over HTTP (with the preset setup code); returns the owner's client. `origin` is the
 * server's PUBLIC_URL (the CSRF check compares against it).
 */
export async function setupOwner(url: string, origin = url): Promise<ApiClient> {
  const res = await fetch(`${url}/api/auth/setup`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'chaos@example.com',
      password: 'correct horse battery staple',
      organizationName: 'Chaos',
      setupCode: SETUP_CODE,
    }),
  });
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.getSetCookie().find((c) => c.startsWith('session=')) ?? '').split(';')[0];
  const me = (await res.json()) as { organizations: { id: string }[] };
  return clientFor(url, cookie ?? '', me.organizations[0]?.id ?? '', origin);
}
