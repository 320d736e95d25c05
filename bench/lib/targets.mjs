/** @module bench/lib/targets — the servers under test (Hostwire, the bare ws relay) as child processes. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atExit, freePort, spawnNode, waitForHealth } from './process.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// BENCH_HOSTWIRE_BIN runs another build (e.g. the one before a change) for before/after figures.
export const HOSTWIRE_BIN = process.env.BENCH_HOSTWIRE_BIN ?? path.join(ROOT, 'apps/api/dist/bin.js');
export const BARE_BIN = path.join(ROOT, 'bench/peers/bare-ws-server.mjs');

/** Runs `fn` over `items` with at most `limit` in flight; resolves with the results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Extra node flags for the servers under test, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
function serverNodeArgs() {
  return (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/**
 * Starts Hostwire (`node apps/api/dist/bin.js`) on a free port with a temp DATA_DIR, generous WS
 * limits, and runs first-run setup. `env` overrides the defaults.
 */
export async function startHostwire(env = {}) {
  if (!existsSync(HOSTWIRE_BIN)) {
    throw new Error(
      `${HOSTWIRE_BIN} is missing: run \`npm run build -w @hostwire/protocol -w @hostwire/api\``,
    );
  }
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hostwire-bench-'));
  const httpUrl = `http://127.0.0.1:${port}`;
  const proc = spawnNode(
    HOSTWIRE_BIN,
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PUBLIC_URL: httpUrl,
      SHUTDOWN_TIMEOUT_MS: '2000',
      WS_MAX_CONNECTIONS_PER_USER: '100000',
      WS_MESSAGES_PER_SECOND: '100000',
      WS_UPGRADES_PER_SECOND_PER_IP: '100000',
      ...env,
    },
    serverNodeArgs(),
  );
  const removeDataDir = atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const stop = async () => {
    await proc.stop();
    removeDataDir();
  };
  try {
    await waitForHealth(`${httpUrl}/healthz`, proc);
  } catch (error) {
    await stop();
    throw error;
  }

  const request = async (method, p, { body, cookie } = {}) => {
    const headers = { origin: httpUrl };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    const res = await fetch(`${httpUrl}${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined, text };
  };
  const expect = (res, status, what) => {
    if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res.json;
  };

  let cookie;
  let organizationId;
  try {
    const res = await request('POST', '/api/auth/setup', {
      body: {
        email: 'bench@example.com',
        password: 'bench password 123',
        organizationName: 'Bench',
        setupCode: readFileSync(path.join(dataDir, 'setup-code'), 'utf8').trim(),
      },
    });
    const me = expect(res, 201, 'setup');
    cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('session='))
      ?.split(';')[0];
    organizationId = me.organizations[0].id;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    kind: 'hostwire',
    label: 'Hostwire',
    pid: proc.pid,
    httpUrl,
    dataDir,
    organizationId,
    /** An HTTP request as the set-up owner (session cookie, allowed Origin): { status, json, text }. */
    ownerRequest: (method, p, body) => request(method, p, { body, cookie }),
    wsUrl: `ws://127.0.0.1:${port}`,
    stderr: proc.stderr,
    /** Creates and enrolls `count` hosts: [{ hostId, agentToken }]. */
    async provisionHosts(count, concurrency = 8) {
      return mapLimit(
        Array.from({ length: count }, (_, i) => i),
        concurrency,
        async (i) => {
          const created = expect(
            await request('POST', `/api/orgs/${organizationId}/hosts`, {
              cookie,
              body: { name: `bench-${i}` },
            }),
            201,
            'create host',
          );
          const enrolled = expect(
            await request('POST', '/api/agent/enroll', {
              body: { enrollmentToken: created.enrollmentToken, hostname: `bench-${i}` },
            }),
            201,
            'enroll',
          );
          return { hostId: enrolled.hostId, agentToken: enrolled.agentToken };
        },
      );
    },
    agentEndpoint(host) {
      return {
        url: `ws://127.0.0.1:${port}/ws/agent/${host.hostId}`,
        headers: { authorization: `Bearer ${host.agentToken}` },
      };
    },
    /** A single-use client URL (a fresh ticket, valid ≤ 30 s). */
    async clientUrl() {
      const { ticket } = expect(await request('POST', '/api/ws-ticket', { cookie }), 201, 'ws-ticket');
      return `ws://127.0.0.1:${port}/ws/client?ticket=${encodeURIComponent(ticket)}`;
    },
    /** Creates `count` alert rules for every host (`condition(i)` gives each one's condition); returns their ids. */
    async createAlertRules(count, condition) {
      const ids = [];
      for (let i = 0; i < count; i += 1) {
        const created = expect(
          await request('POST', `/api/orgs/${organizationId}/alert-rules`, {
            cookie,
            body: { name: `bench rule ${i}`, condition: condition(i), forSeconds: 60, channelIds: [] },
          }),
          201,
          'create alert rule',
        );
        ids.push(created.rule.id);
      }
      return ids;
    },
    async deleteAlertRules(ids) {
      for (const id of ids)
        expect(await request('DELETE', `/api/alert-rules/${id}`, { cookie }), 204, 'delete rule');
    },
    /** The value of a Prometheus counter/gauge (summed over labels), or undefined. */
    async promValue(name) {
      const res = await fetch(`${httpUrl}/metrics`);
      const text = await res.text();
      let sum;
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
          sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
    stop,
  };
}

/** Starts the bare ws relay (bench/peers/bare-ws-server.mjs): no setup, hosts are just names. */
export async function startBare() {
  const port = await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  const proc = spawnNode(BARE_BIN, [], { PORT: String(port), HOST: '127.0.0.1' }, serverNodeArgs());
  try {
    await waitForHealth(`${httpUrl}/healthz`, proc);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    kind: 'bare',
    label: 'bare ws',
    pid: proc.pid,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    stderr: proc.stderr,
    async provisionHosts(count) {
      return Array.from({ length: count }, (_, i) => ({ hostId: `host-${i}`, agentToken: '' }));
    },
    agentEndpoint(host) {
      return { url: `ws://127.0.0.1:${port}/ws/agent/${host.hostId}`, headers: {} };
    },
    async clientUrl() {
      return `ws://127.0.0.1:${port}/ws/client`;
    },
    async promValue() {
      return undefined;
    },
    stop: () => proc.stop(),
  };
}

/** Starts the target named `kind` ('hostwire' or 'bare'). */
export function startTarget(kind, env) {
  return kind === 'bare' ? startBare() : startHostwire(env);
}
