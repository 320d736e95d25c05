#!/usr/bin/env node
// Footprint benchmark of hostwire-agent, side by side: the Node.js package (node apps/agent/dist/bin.js
// run) and the compiled executable (apps/agent/dist-bin/hostwire-agent-linux-<arch> run), one after the
// other, each against a minimal ws peer on 127.0.0.1:0 that answers welcome / metrics.ack. Samples each
// agent's RSS and CPU (utime+stime from /proc/<pid>/stat) at the 10 s interval and then at 1 s. Also times
// one /proc collection in-process and measures a bare Node process as the baseline.
//
//   node bench/agent-footprint.mjs [--slow 60] [--fast 30] [--warmup 5] [--collects 200] [--only node|bin]
//                                  [--containers 50 --engine-socket /run/hostwire-test/podman.sock]
//
// With --containers N the agents also watch a container engine holding N busybox `sleep` containers
// (created here through the Engine API, removed at the end; tooling/podman-start.sh provides one), and
// one container refresh (list + stats + inspects) is timed in-process.
//
// Needs a build: npm run build (the executable is skipped, with a note, when it is not built).
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    slow: { type: 'string', default: '60' },
    fast: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    collects: { type: 'string', default: '200' },
    'node-flags': { type: 'string', default: '' },
    only: { type: 'string', default: '' },
    executable: { type: 'string', default: '' },
    containers: { type: 'string', default: '0' },
    'engine-socket': {
      type: 'string',
      default: process.env.HOSTWIRE_TEST_DOCKER_SOCKET ?? '/run/hostwire-test/podman.sock',
    },
    image: { type: 'string', default: 'localhost/hostwire-test/busybox:latest' },
  },
});
const CONTAINERS = Number(values.containers);
const ENGINE_SOCKET = values['engine-socket'];
const SLOW_S = Number(values.slow);
const FAST_S = Number(values.fast);
const WARMUP_S = Number(values.warmup);
const COLLECTS = Number(values.collects);
const TICKS = 100; // USER_HZ
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readProc(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(rest[11]) + Number(rest[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  // RssFile: pages of the executable (and libraries) the process touched, shared and reclaimable;
  // RssAnon: its own heap and stacks.
  return {
    cpuTicks,
    rssKb: kb('VmRSS'),
    anonKb: kb('RssAnon'),
    fileKb: kb('RssFile'),
    at: performance.now(),
  };
}

/** Samples a pid every second for `seconds`; returns CPU % of one core over the window and RSS stats (MB). */
async function measure(pid, seconds) {
  const first = readProc(pid);
  const rss = [first.rssKb];
  const anon = [first.anonKb];
  const file = [first.fileKb];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    const now = readProc(pid);
    rss.push(now.rssKb);
    anon.push(now.anonKb);
    file.push(now.fileKb);
  }
  const last = readProc(pid);
  const cpu = ((last.cpuTicks - first.cpuTicks) / TICKS / ((last.at - first.at) / 1000)) * 100;
  const avgMb = (list) => list.reduce((a, b) => a + b, 0) / list.length / 1024;
  return {
    cpu,
    rssAvg: avgMb(rss),
    rssMax: Math.max(...rss) / 1024,
    anonAvg: avgMb(anon),
    fileAvg: avgMb(file),
  };
}

/** One Engine API call over the unix socket (JSON in, JSON or nothing out). */
function engineCall(method, apiPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: ENGINE_SOCKET,
        path: `/v1.41${apiPath}`,
        method,
        headers: data
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
          : {},
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          (res.statusCode ?? 0) < 400
            ? resolve(text ? JSON.parse(text) : undefined)
            : reject(new Error(`${method} ${apiPath}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Starts `count` busybox `sleep` containers (5 at a time); returns their names. */
async function startBenchContainers(count) {
  const prefix = `hw-bench-${process.pid}`;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < names.length; i += 5) {
    await Promise.all(
      names.slice(i, i + 5).map(async (name) => {
        await engineCall('POST', `/containers/create?name=${name}`, {
          Image: values.image,
          Cmd: ['sleep', '3600'],
        });
        await engineCall('POST', `/containers/${name}/start`);
      }),
    );
  }
  return names;
}

async function removeBenchContainers(names) {
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names
        .slice(i, i + 10)
        .map((name) => engineCall('DELETE', `/containers/${name}?force=1`).catch(() => undefined)),
    );
  }
}

/** CPU ms per full scan of /proc/<pid>/stat: fs.promises.readFile vs openSync/readSync into one buffer. */
async function compareProcReads(runs) {
  const buffer = Buffer.allocUnsafe(4096);
  const asyncScan = async () => {
    const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
    await Promise.all(pids.map((p) => readFile(`/proc/${p}/stat`, 'latin1').catch(() => '')));
  };
  const syncScan = async () => {
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      let fd;
      try {
        fd = openSync(`/proc/${p}/stat`, 'r');
        buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, null));
      } catch {
        // process exited
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
  };
  const cost = async (scan) => {
    await scan();
    const c0 = process.cpuUsage();
    for (let i = 0; i < runs; i++) await scan();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / runs;
  };
  return { asyncMs: await cost(asyncScan), syncMs: await cost(syncScan) };
}

/**
 * What the agent needs from the Bun runtime before any code of its own, as compiled programs built with
 * the same Bun package as the agent: `idle` is a bare `setInterval`; `floor` also uses the built-ins
 * every agent uses (node:fs sync and promises, statfs, node:crypto Ed25519 verify and SHA-256,
 * node:child_process, node:os, the runtime's WebSocket connected to the bench's peer) and nothing else.
 */
const BUN_FLOOR = `
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { readFile, statfs, writeFile } from 'node:fs/promises';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { spawn } from 'node:child_process';
import os from 'node:os';
const buffer = Buffer.allocUnsafe(65536);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signature = sign(null, Buffer.from('x'), privateKey);
const ws = new WebSocket(process.argv[2]);
ws.onmessage = () => {};
async function tick() {
  let n = 0;
  for (const e of readdirSync('/proc')) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    try { const fd = openSync('/proc/' + e + '/stat', 'r'); n += readSync(fd, buffer, 0, 65536, null); closeSync(fd); } catch {}
  }
  const fs = await statfs('/');
  await writeFile(process.argv[3], JSON.stringify({ n, fs: fs.blocks, host: os.hostname(), ok: verify(null, Buffer.from('x'), publicKey, signature),
    sum: createHash('sha256').update(await readFile('/proc/meminfo')).digest('hex') }));
  if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'ping', n }));
}
globalThis.spawn = spawn;
setInterval(tick, 1000);
`;

async function compileBun(bun, dir, name, source) {
  writeFileSync(path.join(dir, `${name}.js`), source);
  const out = path.join(dir, name);
  await new Promise((resolve, reject) => {
    const build = spawn(bun, ['build', `${name}.js`, '--compile', '--minify', '--outfile', out], {
      cwd: dir,
      stdio: 'ignore',
    });
    build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bun build exited ${code}`))));
  });
  return out;
}

async function measureBareBun(dir) {
  const pkg = process.arch === 'arm64' ? '@oven/bun-linux-aarch64' : '@oven/bun-linux-x64';
  const bun = path.join(root, 'node_modules', pkg, 'bin', 'bun');
  if (!existsSync(bun)) return undefined;
  const run = async (file, args, env = process.env) => {
    const child = spawn(file, args, { stdio: 'ignore', env });
    try {
      await sleep(2000);
      return await measure(child.pid, Math.min(10, SLOW_S));
    } finally {
      child.kill('SIGTERM');
    }
  };
  const idle = await run(await compileBun(bun, dir, 'idle', 'setInterval(() => {}, 1000);\n'), []);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.send('{"type":"welcome"}'));
  try {
    const floorBin = await compileBun(bun, dir, 'floor', BUN_FLOOR);
    const floorArgs = [`ws://127.0.0.1:${wss.address().port}`, path.join(dir, 'floor.json')];
    const floor = await run(floorBin, floorArgs);
    // As the agent runs it (apps/agent/src/bin.ts: `run` re-executes itself without the JIT, idle GC every 10 s).
    const floorNoJit = await run(floorBin, floorArgs, {
      BUN_GC_TIMER_INTERVAL: '10000',
      ...process.env,
      BUN_JSC_useJIT: '0',
    });
    return { idle, floor, floorNoJit };
  } finally {
    wss.close();
  }
}

/** Starts a ws peer, runs one agent command against it, and measures it at 10 s and at 1 s. */
async function runVariant(command, args, dir) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const { port } = wss.address();
  let samples = 0;
  let agentSocket;
  wss.on('connection', (ws) => {
    agentSocket = ws;
    ws.send(
      JSON.stringify({
        type: 'welcome',
        serverTime: Date.now(),
        heartbeatIntervalMs: 25_000,
        limits: { maxPayloadBytes: 65_536, messagesPerSecond: 50 },
      }),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'metrics') return;
      samples += frame.samples.length;
      ws.send(JSON.stringify({ type: 'metrics.ack', seqs: frame.samples.map((s) => s.seq) }));
    });
    const ping = setInterval(() => ws.ping(), 25_000);
    ws.on('close', () => clearInterval(ping));
  });

  const { publicKey } = generateKeyPairSync('ed25519');
  const configPath = path.join(dir, `agent-${port}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({
      server: `http://127.0.0.1:${port}`,
      hostId: 'bench_host',
      agentToken: 'bench-token',
      commandPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      logLevel: 'warn',
      stateDir: path.join(dir, `state-${port}`),
      metrics: { intervalMs: 10_000 },
      logs: { sources: [{ name: 'syslog', kind: 'file', path: '/var/log/syslog' }] },
      actions: [],
      // Without --containers the engine socket points nowhere: the agent finds no engine (as on most hosts).
      containers: { socket: CONTAINERS > 0 ? ENGINE_SOCKET : path.join(dir, 'no-engine.sock') },
    }),
    { mode: 0o600 },
  );
  const agent = spawn(command, [...args, 'run', '--config', configPath], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await sleep(WARMUP_S * 1000);
    if (!agentSocket) throw new Error(`the agent (${command}) did not connect`);
    const slow = await measure(agent.pid, SLOW_S);
    const slowSamples = samples;
    agentSocket.send(JSON.stringify({ type: 'metrics.interval', intervalMs: 1000 }));
    await sleep(1500);
    const before = samples;
    const fast = await measure(agent.pid, FAST_S);
    return { slow, fast, slowSamples, fastSamples: samples - before };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    wss.close();
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-footprint-'));
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const executable = values.executable || path.join(root, `apps/agent/dist-bin/hostwire-agent-linux-${arch}`);
  const nodeFlags = values['node-flags'].split(' ').filter(Boolean);
  const containerNames = CONTAINERS > 0 ? await startBenchContainers(CONTAINERS) : [];
  const baseline = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(1000);
    const bare = await measure(baseline.pid, Math.min(10, SLOW_S));
    const bareBun = await measureBareBun(dir);
    const variants = [];
    if (values.only !== 'bin')
      variants.push([
        'node package',
        await runVariant(process.execPath, [...nodeFlags, path.join(root, 'apps/agent/dist/bin.js')], dir),
      ]);
    if (values.only !== 'node') {
      if (existsSync(executable)) variants.push(['executable', await runVariant(executable, [], dir)]);
      else console.log(`(executable skipped: ${executable} is not built; run npm run build)`);
    }

    const { MetricsCollector } = await import(path.join(root, 'apps/agent/dist/metrics/collector.js'));
    const collector = new MetricsCollector();
    await collector.prime();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < COLLECTS; i++) await collector.collect();
    const wallMs = (performance.now() - t0) / COLLECTS;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / COLLECTS;
    const sample = await collector.collect();
    const procs = sample.processes.count;

    const reads = await compareProcReads(Math.min(COLLECTS, 100));

    let refresh;
    if (CONTAINERS > 0) {
      const { ContainerMonitor } = await import(
        path.join(root, 'apps/agent/dist/containers/container-monitor.js')
      );
      const { EngineClient } = await import(path.join(root, 'apps/agent/dist/containers/engine-client.js'));
      const silent = { debug() {}, info() {}, warn() {}, error() {} };
      const monitor = new ContainerMonitor({ engine: new EngineClient(ENGINE_SOCKET), log: silent });
      await monitor.refresh();
      const runs = 10;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let i = 0; i < runs; i++) await monitor.refresh();
      const c = process.cpuUsage(c0);
      const seen = (await monitor.sample(0, 60_000))?.length ?? 0;
      refresh = { wallMs: (performance.now() - w0) / runs, cpuMs: (c.user + c.system) / 1000 / runs, seen };
    }

    const mb = (n) => `${n.toFixed(1).padStart(5)} MB`;
    const row = (name, m, extra) =>
      `| ${name.padEnd(30)} | ${m.cpu.toFixed(2).padStart(6)} % | ${mb(m.rssAvg)} | ${mb(m.rssMax)} | ${mb(m.anonAvg)} | ${mb(m.fileAvg)} | ${extra.padEnd(22)} |`;
    console.log(
      '\n| run                            | CPU/core |  RSS avg |  RSS max | RssAnon | RssFile | notes                  |',
    );
    console.log(
      '|--------------------------------|---------:|---------:|---------:|--------:|--------:|------------------------|',
    );
    console.log(row('bare node (baseline)', bare, 'setInterval only'));
    if (bareBun) {
      console.log(row('bare bun executable (baseline)', bareBun.idle, 'compiled setInterval'));
      console.log(row('bun runtime floor (baseline)', bareBun.floor, 'built-ins the agent uses'));
      console.log(row('bun runtime floor, no JIT', bareBun.floorNoJit, 'as run sets it'));
    }
    for (const [name, r] of variants) {
      const tag = CONTAINERS > 0 ? `, ${CONTAINERS} ctrs` : '';
      console.log(row(`${name} @10 s (${SLOW_S} s${tag})`, r.slow, `${r.slowSamples} samples acked`));
      console.log(row(`${name} @1 s (${FAST_S} s${tag})`, r.fast, `${r.fastSamples} samples acked`));
    }
    console.log(
      `\n/proc collector in-process: ${wallMs.toFixed(2)} ms wall, ${cpuMs.toFixed(2)} ms CPU per sample (${procs} processes, ${COLLECTS} runs)`,
    );
    console.log(
      `/proc/<pid>/stat scan: fs.promises.readFile ${reads.asyncMs.toFixed(2)} ms CPU vs openSync/readSync ${reads.syncMs.toFixed(2)} ms CPU (the agent uses the latter)`,
    );
    if (refresh) {
      console.log(
        `container refresh in-process (${CONTAINERS} running containers, ${refresh.seen} reported): ${refresh.wallMs.toFixed(0)} ms wall, ${refresh.cpuMs.toFixed(1)} ms agent CPU per refresh (list + stats: one libpod call on Podman, one call each on Docker + inspects)`,
      );
    }
    const bin = variants.find(([name]) => name === 'executable')?.[1];
    if (bin) {
      const verdict = (ok) => (ok ? 'ok' : 'OVER');
      console.log(
        `targets for the executable: RSS <= 25 MB steady (${bin.slow.rssAvg.toFixed(1)} MB: ${verdict(bin.slow.rssAvg <= 25)}), <= 0.5 % @10 s (${bin.slow.cpu.toFixed(2)} %: ${verdict(bin.slow.cpu <= 0.5)}), <= 1.5 % @1 s (${bin.fast.cpu.toFixed(2)} %: ${verdict(bin.fast.cpu <= 1.5)})`,
      );
      if (bareBun) {
        const over = (base) => (bin.slow.rssAvg - base.rssAvg).toFixed(1);
        console.log(
          `the executable's RSS @10 s over the bare runtime: +${over(bareBun.idle)} MB; over the runtime floor without JIT (as the agent runs): +${over(bareBun.floorNoJit)} MB`,
        );
      }
    }
  } finally {
    baseline.kill('SIGTERM');
    await removeBenchContainers(containerNames);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
