// Group 3 — abuse on one instance: invalid frames, malformed and oversized bodies, broken
// Content-Encoding, bad upgrades and slow-loris sockets, while a real agent and a person keep working.
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'vitest';
import { WebSocket } from 'ws';
import { handshake } from '../../apps/api/src/test-support/ws-client.js';
import { enrollFleet } from './lib/agents.js';
import { stopAndAccount, totalReconnects, waitCaughtUp, waitStatuses } from './lib/checks.js';
import { connectClient } from './lib/client.js';
import { check, runExperiment } from './lib/experiment.js';
import { SMOKE } from './lib/report.js';
import { freePort, sleep } from './lib/scope.js';
import { setupOwner, startServerProcess, type ApiClient } from './lib/server.js';
import { openSqliteReader, sqliteIntegrity } from './lib/store.js';

const ABUSE_MS = SMOKE ? 10_000 : 30_000;
const INVALID_FRAMES = SMOKE ? 1000 : 3000;
const BAD_BODIES = SMOKE ? 200 : 600;
const BAD_UPGRADES = SMOKE ? 200 : 500;
const SLOW_LORIS = SMOKE ? 50 : 200;

/** Text frames no peer may send: not JSON, not an object, unknown types, wrong fields. */
const INVALID: string[] = [
  'not json',
  '{"type":',
  '[]',
  'null',
  '{}',
  '{"type":"no.such.type"}',
  '{"type":"metrics","samples":"many"}',
  '{"type":"subscribe","topic":42,"id":"x"}',
  `{"type":"hello","hostname":"${'x'.repeat(5000)}"}`,
  `${'['.repeat(2000)}${']'.repeat(2000)}`,
];

const count = (tally: Map<string, number>, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const show = (tally: Map<string, number>) =>
  [...tally]
    .sort()
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');

/** Opens sockets (agent and person, alternately) and sends invalid frames until each is closed. */
async function sendInvalidFrames(
  wsBase: string,
  abuser: { hostId: string; agentToken: string },
  api: ApiClient,
  total: number,
  closes: Map<string, number>,
): Promise<number> {
  let sent = 0;
  for (let round = 0; sent < total; round++) {
    const url =
      round % 2 === 0
        ? `${wsBase}/ws/agent/${abuser.hostId}`
        : `${wsBase}/ws/client?ticket=${await api.ticket()}`;
    const ws = new WebSocket(
      url,
      round % 2 === 0 ? { headers: { authorization: `Bearer ${abuser.agentToken}` } } : {},
    );
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      ws.once('open', () => resolve());
      ws.once('close', () => resolve());
    });
    // Every tenth socket sends an oversized frame (→ 1009), another a binary one (→ 1003); the rest
    // send invalid text frames until the server gives up on them (→ 1008).
    if (round % 10 === 9 && ws.readyState === WebSocket.OPEN) {
      ws.send('x'.repeat(200_000));
      sent++;
    }
    if (round % 10 === 4 && ws.readyState === WebSocket.OPEN) {
      ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
      sent++;
    }
    for (let i = 0; i < 40 && ws.readyState === WebSocket.OPEN; i++) {
      ws.send(INVALID[(round + i) % INVALID.length] ?? '');
      sent++;
    }
    const code = await Promise.race([closed, sleep(5000).then(() => -1)]);
    count(closes, String(code));
    if (code === -1) ws.terminate();
  }
  return sent;
}

/** Malformed JSON, oversized bodies, wrong content types, broken or unknown Content-Encoding. */
async function sendBadBodies(
  url: string,
  origin: string,
  total: number,
  statuses: Map<string, number>,
): Promise<void> {
  const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2_000_000) });
  const kinds: { name: string; headers: Record<string, string>; body: string }[] = [
    { name: 'malformed', headers: { 'content-type': 'application/json' }, body: '{"email": "a@b.c", ' },
    { name: 'oversized', headers: { 'content-type': 'application/json' }, body: big },
    { name: 'wrong-type', headers: { 'content-type': 'text/plain' }, body: 'email=a@b.c' },
    {
      name: 'broken-gzip',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'this is not gzip at all',
    },
    {
      name: 'unknown-encoding',
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd-x' },
      body: '{}',
    },
  ];
  for (let i = 0; i < total; i++) {
    const kind = kinds[i % kinds.length];
    if (!kind) continue;
    try {
      const res = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { origin, ...kind.headers },
        body: kind.body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      count(statuses, `${kind.name}:${res.status}`);
    } catch {
      count(statuses, `${kind.name}:reset`);
    }
  }
}

/** Upgrades that must be refused before the handshake completes. */
async function sendBadUpgrades(
  wsBase: string,
  abuser: { hostId: string; agentToken: string },
  otherHostId: string,
  total: number,
  statuses: Map<string, number>,
): Promise<void> {
  const attempts: (() => Promise<{ status: number }>)[] = [
    () => handshake(`${wsBase}/ws/agent/${abuser.hostId}`),
    () =>
      handshake(`${wsBase}/ws/agent/${abuser.hostId}`, { headers: { authorization: 'Bearer not-a-token' } }),
    () =>
      handshake(`${wsBase}/ws/agent/${otherHostId}`, {
        headers: { authorization: `Bearer ${abuser.agentToken}` },
      }),
    () => handshake(`${wsBase}/ws/nowhere`),
    () => handshake(`${wsBase}/ws/client?ticket=forged`),
    () => handshake(`${wsBase}/ws/client`, { headers: { origin: 'https://evil.example' } }),
  ];
  for (let i = 0; i < total; i++) {
    const attempt = attempts[i % attempts.length];
    if (!attempt) continue;
    const outcome = await attempt();
    count(statuses, String(outcome.status));
  }
}

/** Sockets that send a request's headers one byte at a time and never finish. */
function openSlowLoris(port: number, n: number): { sockets: net.Socket[]; closedByServer: () => number } {
  const sockets: net.Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('close', () => closed++);
    socket.once('connect', () => socket.write('GET /api/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    const drip = setInterval(() => {
      if (socket.destroyed) clearInterval(drip);
      else socket.write('X');
    }, 1000);
    socket.once('close', () => clearInterval(drip));
    sockets.push(socket);
  }
  return { sockets, closedByServer: () => closed };
}

describe('3. abuse on one instance', () => {
  it('keeps a legitimate agent and person working through an abuse burst', async () => {
    await runExperiment(3, `abuse burst (${ABUSE_MS / 1000} s)`, async (scope, figures) => {
      const dataDir = scope.tempDir('abuse');
      const port = await freePort();
      const server = await startServerProcess(scope, { name: 'server', port, dataDir });
      const store = openSqliteReader(path.join(dataDir, 'hostwire.db'));
      const api = await setupOwner(server.url);
      const [legit] = await enrollFleet(scope, api, server.url, 1, 'legit');
      if (!legit) throw new Error('no legitimate agent');
      legit.start();
      await waitCaughtUp(store, [legit], 30_000);
      // The abuser holds real credentials of another host (a stolen or compromised agent).
      const abuserHost = await api.createHost('abuser');
      const enrolled = await fetch(`${server.url}/api/agent/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enrollmentToken: abuserHost.enrollmentToken, hostname: 'abuser' }),
      });
      const abuser = (await enrolled.json()) as { hostId: string; agentToken: string };
      const viewer = await connectClient(api);
      await viewer.request({ type: 'subscribe', topic: `host:${legit.hostId}` });
      figures.rssBeforeMiB = server.rss();
      const reconnects = totalReconnects([legit]);

      const wsBase = server.url.replace(/^http/, 'ws');
      const closes = new Map<string, number>();
      const bodies = new Map<string, number>();
      const upgrades = new Map<string, number>();
      const loris = openSlowLoris(port, SLOW_LORIS);
      scope.defer(() => loris.sockets.forEach((s) => s.destroy()));
      const metricsBefore = viewer.messages.filter((m) => m.type === 'metrics').length;
      const latencies: number[] = [];
      let userFailures = 0;
      const started = Date.now();
      const deadline = started + ABUSE_MS;
      const person = (async () => {
        while (Date.now() < deadline) {
          const t0 = performance.now();
          const res = await api
            .request('GET', `/api/orgs/${api.organizationId}/hosts`)
            .catch(() => undefined);
          latencies.push(performance.now() - t0);
          if (res?.status !== 200) userFailures++;
          await res?.arrayBuffer();
          await sleep(200);
        }
      })();
      const [invalidSent] = await Promise.all([
        sendInvalidFrames(wsBase, abuser, api, INVALID_FRAMES, closes),
        sendBadBodies(server.url, server.url, BAD_BODIES, bodies),
        sendBadUpgrades(wsBase, abuser, legit.hostId, BAD_UPGRADES, upgrades),
        person,
      ]);
      const abuseSeconds = (Date.now() - started) / 1000;
      const metricsDuring = viewer.messages.filter((m) => m.type === 'metrics').length - metricsBefore;

      const t0 = Date.now();
      await waitCaughtUp(store, [legit], 30_000, t0);
      figures.healSeconds = Math.round((Date.now() - t0) / 100) / 10;
      figures.rssAfterMiB = server.rss();
      check(figures, server.proc.alive(), 'the server died');
      check(figures, totalReconnects([legit]) === reconnects, 'the legitimate agent was disconnected');
      check(figures, viewer.ws.readyState === WebSocket.OPEN, 'the person’s socket was closed');
      const expectedMetrics = Math.floor((Math.min(abuseSeconds, ABUSE_MS / 1000) - 3) * 0.8);
      check(
        figures,
        metricsDuring >= expectedMetrics,
        `the person received ${metricsDuring} live samples in ${abuseSeconds.toFixed(0)} s of abuse (expected ≥ ${expectedMetrics})`,
      );
      check(
        figures,
        userFailures === 0,
        `${userFailures} of the person’s ${latencies.length} requests failed`,
      );
      check(figures, (upgrades.get('101') ?? 0) === 0, 'a bad upgrade was accepted (101)');
      for (const [key, n] of bodies) {
        const status = key.split(':')[1] ?? '';
        // An oversized body may be refused before it is read (413, then the socket closes under fetch).
        const ok = /^4\d\d$/.test(status) || key === 'oversized:reset';
        check(figures, ok, `${n} bad bodies answered ${key} (expected a 4xx)`);
      }
      for (const [status, n] of upgrades)
        check(figures, /^4\d\d$/.test(status), `${n} bad upgrades answered ${status} (expected a 4xx)`);
      for (const [code, n] of closes)
        check(
          figures,
          ['1003', '1008', '1009'].includes(code),
          `${n} abusive sockets ended with ${code}, not 1003/1008/1009`,
        );
      await viewer.close();
      const account = await stopAndAccount(store, [legit]);
      Object.assign(figures, {
        generated: account.generated,
        stored: account.stored,
        lost: account.lost,
        duplicated: account.duplicated,
      });
      figures.problems.push(...account.problems);
      await waitStatuses(store, [legit], 'offline', 15_000);
      await server.stop();
      const integrity = sqliteIntegrity(path.join(dataDir, 'hostwire.db'));
      check(figures, integrity === 'ok', `integrity_check: ${integrity}`);
      latencies.sort((x, y) => x - y);
      const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
      figures.notes =
        `${invalidSent} invalid frames (closes ${show(closes)}); ${BAD_BODIES} bad bodies (${show(bodies)}); ` +
        `${BAD_UPGRADES} bad upgrades (${show(upgrades)}); ${SLOW_LORIS} slow-loris sockets (${loris.closedByServer()} closed by the server); ` +
        `person: ${latencies.length} requests, p99 ${p99.toFixed(0)} ms, ${metricsDuring} live samples`;
    });
  });
});
