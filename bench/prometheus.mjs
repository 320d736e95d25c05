/**
 * @module bench/prometheus — the fleet's Prometheus endpoint at fleet scale: `hosts` hosts (10,000 in the
 * full run) are written straight into the server's SQLite (creating them over HTTP would take minutes), each
 * connects as a raw agent with a token signed with the run's AGENT_JWT_SECRET and sends a sample with 3
 * filesystems, 2 interfaces and 2 disks; `GET /api/orgs/:orgId/prometheus` is timed with a bearer API
 * token (the first scrape, which starts following the organization, and `scrapes` more); then every
 * agent sends a sample with 4 containers too, and the scrapes are timed again.
 * For reference the bench also renders the same series with prom-client's Registry in its own process.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { SignJWT } from 'jose';
import { Gauge, Registry } from 'prom-client';
import { connectAgents } from './lib/fleet.mjs';
import { procStats } from './lib/process.mjs';
import { makeSample } from './lib/peers.mjs';

/** The environment the scenario's server needs: a known agent key, room for every agent socket. */
export function prometheusEnv() {
  return {
    AGENT_JWT_SECRET: randomBytes(48).toString('base64url'),
    WS_MAX_CONNECTIONS_PER_IP: '100000',
    WS_UPGRADES_PER_SECOND_PER_IP: '100000',
  };
}

function fleetSample(seq, i, withContainers) {
  const base = makeSample(seq, Date.now());
  return {
    ...base,
    cpu: { total: (i * 7) % 100, cores: [10, 20] },
    filesystems: ['/', '/var', '/home'].map((mount, k) => ({
      mount,
      fstype: 'ext4',
      total: 1e11,
      used: 1e10 * (k + 1),
    })),
    disk: {
      readBps: 100,
      writeBps: 200,
      devices: ['vda', 'vdb'].map((name) => ({ name, readBps: 50, writeBps: 100 })),
    },
    network: {
      rxBps: 1000,
      txBps: 2000,
      interfaces: ['eth0', 'wg0'].map((name) => ({ name, rxBps: 500, txBps: 1000 })),
    },
    containers: (withContainers ? ['api', 'worker', 'redis', 'nginx'] : []).map((name, k) => ({
      id: `c${i}x${k}`,
      name,
      image: `acme/${name}:1`,
      state: 'running',
      health: k === 0 ? 'healthy' : 'none',
      cpuPercent: 12.5,
      memoryBytes: 2e8,
      memoryLimitBytes: 1e9,
      netRxBps: 10,
      netTxBps: 20,
      blockReadBps: 30,
      blockWriteBps: 40,
      restartCount: 0,
    })),
  };
}

/** Writes `count` enrolled hosts into the organization and signs an agent token for each. */
async function seedHosts(target, env, count) {
  const db = new SQLite(path.join(target.dataDir, 'hostwire.db'));
  db.pragma('busy_timeout = 10000');
  const now = Date.now();
  const hosts = Array.from({ length: count }, (_, i) => ({ hostId: randomUUID(), name: `bench-${i}` }));
  const insert = db.prepare(
    `insert into hosts (id, organization_id, name, status, created_at, enrolled_at, token_version, last_seq)
     values (?, ?, ?, 'offline', ?, ?, 0, 0)`,
  );
  db.transaction(() => {
    for (const h of hosts) insert.run(h.hostId, target.organizationId, h.name, now, now);
  })();
  db.close();
  const key = Buffer.from(env.AGENT_JWT_SECRET, 'utf8');
  for (const h of hosts) {
    h.agentToken = await new SignJWT({ org: target.organizationId, ver: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'hostwire-agent+jwt' })
      .setIssuer('hostwire')
      .setAudience('hostwire:agent')
      .setSubject(h.hostId)
      .setIssuedAt()
      .sign(key);
  }
  return hosts;
}

/** The same series rendered by prom-client (labels parsed back from the scrape), timed: a reference. */
async function promClientReference(text) {
  const families = new Map();
  const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/;
  const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of m[2].matchAll(LABEL)) labels[l[1]] = l[2];
    let list = families.get(m[1]);
    if (!list) families.set(m[1], (list = []));
    list.push([labels, Number(m[3])]);
  }
  const t0 = performance.now();
  const registry = new Registry();
  for (const [name, samples] of families) {
    const gauge = new Gauge({
      name,
      help: name,
      labelNames: Object.keys(samples[0][0]),
      registers: [registry],
    });
    for (const [labels, value] of samples) gauge.set(labels, value);
  }
  const out = await registry.metrics();
  return { ms: performance.now() - t0, bytes: out.length };
}

/** Times `count` scrapes after one untimed one: to the response headers (rendered) and to the last byte. */
async function timeScrapes(url, token, count, pid) {
  // node:http, not fetch: undici's body stream costs the bench more than the transfer itself at 80 MiB.
  const scrape = () =>
    new Promise((resolve, reject) => {
      const s0 = performance.now();
      const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        const headersMs = performance.now() - s0;
        const parts = [];
        res.on('data', (chunk) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(parts);
          if (res.statusCode !== 200)
            reject(new Error(`scrape: HTTP ${res.statusCode} ${body.toString().slice(0, 200)}`));
          else resolve({ headersMs, ms: performance.now() - s0, body });
        });
      });
      req.on('error', reject);
    });
  const first = await scrape();
  const runs = [];
  const cpu0 = procStats(pid).cpuSeconds;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) runs.push(await scrape());
  const span = performance.now() - t0;
  const cpu1 = procStats(pid).cpuSeconds;
  // The server's CPU over as long without scrapes (its agents' heartbeats and presence renewals) is
  // subtracted: what remains is what the scrapes cost, whatever else runs on the machine.
  await new Promise((resolve) => setTimeout(resolve, span));
  const idleMs = (procStats(pid).cpuSeconds - cpu1) * 1000;
  const serverCpuMs = Math.max(0, (cpu1 - cpu0) * 1000 - idleMs) / count;
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const text = runs.at(-1).body.toString('utf8');
  const lines = text.split('\n');
  return {
    firstMs: first.ms,
    p50Ms: median(runs.map((r) => r.ms)),
    maxMs: Math.max(...runs.map((r) => r.ms)),
    headersP50Ms: median(runs.map((r) => r.headersMs)),
    serverCpuMs,
    bytes: runs.at(-1).body.length,
    series: lines.filter((l) => l.startsWith('hostwire_')).length,
    hostsUp: lines.filter((l) => l.startsWith('hostwire_host_up{') && l.endsWith(' 1')).length,
    text,
  };
}

export async function runPrometheusScrape(target, scope, { hosts: count, scrapes, env }) {
  const hosts = await seedHosts(target, env, count);
  let acked = 0;
  const t0 = performance.now();
  const fleet = await connectAgents(target, scope, hosts, { onAck: (n) => (acked += n) });
  const sendAll = async (seq, withContainers) => {
    const goal = acked + fleet.agents.length;
    for (const agent of fleet.agents)
      agent.ws.send(
        JSON.stringify({ type: 'metrics', samples: [fleetSample(seq, agent.hostIndex, withContainers)] }),
      );
    while (acked < goal) await new Promise((r) => setTimeout(r, 50));
  };
  await sendAll(1, false);
  const connectedMs = performance.now() - t0;

  const created = await target.ownerRequest('POST', `/api/orgs/${target.organizationId}/api-tokens`, {
    name: 'bench',
    role: 'viewer',
  });
  if (created.status !== 201) throw new Error(`token: HTTP ${created.status} ${created.text.slice(0, 200)}`);
  const url = `${target.httpUrl}/api/orgs/${target.organizationId}/prometheus`;
  const hostsOnly = await timeScrapes(url, created.json.token, scrapes, target.pid);
  await sendAll(2, true);
  const withContainers = await timeScrapes(url, created.json.token, scrapes, target.pid);
  const reference = await promClientReference(withContainers.text);
  delete hostsOnly.text;
  delete withContainers.text;
  return {
    hosts: count,
    agents: fleet.agents.length,
    agentFailures: fleet.failures,
    connectedMs,
    hostsOnly,
    withContainers,
    promClientMs: reference.ms,
  };
}

export function renderPrometheus(title, r) {
  if (!r) return `== ${title} ==\n(no result)\n`;
  const shape = (label, m) => [
    [
      `${label}: series per scrape, size`,
      `${m.series} (${m.hostsUp} hosts up), ${(m.bytes / 1048576).toFixed(1)} MiB`,
    ],
    [`${label}: first scrape (follows the org)`, `${m.firstMs.toFixed(0)} ms`],
    [`${label}: scrape p50 / max, last byte`, `${m.p50Ms.toFixed(0)} / ${m.maxMs.toFixed(0)} ms`],
    [`${label}: scrape p50, to the headers`, `${m.headersP50Ms.toFixed(0)} ms (rendered, before sending)`],
    [`${label}: server CPU per scrape`, `${m.serverCpuMs.toFixed(0)} ms (its idle CPU subtracted)`],
  ];
  const rows = [
    ['hosts (agents connected, failures)', `${r.hosts} (${r.agents}, ${r.agentFailures})`],
    ...shape('3 fs, 2 NICs, 2 disks', r.hostsOnly),
    ...shape('+ 4 containers', r.withContainers),
    ['reference: prom-client Registry, + 4 containers', `${r.promClientMs.toFixed(0)} ms (render only)`],
    ['agents connected + first samples acked in', `${(r.connectedMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `== ${title} ==\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
