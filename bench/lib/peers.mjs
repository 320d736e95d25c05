/** @module bench/lib/peers — raw WebSocket agents and clients of the load generator, and sample payloads. */
import WebSocket from 'ws';

/**
 * Opens a WebSocket and resolves once the server's first frame (`welcome`) arrived:
 * `{ ok: true, ws, welcomeMs, at }` (`at`: performance.now() of the welcome), or `{ ok: false, status }`
 * for an HTTP refusal before the upgrade,
 * or `{ ok: false, error }` for a network error or timeout. Never rejects.
 */
export function openPeer(url, { headers = {}, timeoutMs = 15_000, onMessage } = {}) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.ok) ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), timeoutMs);
    ws.on('error', (error) => done({ ok: false, error: error.code ?? error.message }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      done({ ok: false, status: res.statusCode });
    });
    ws.once('close', (code) => done({ ok: false, error: `closed ${code}` }));
    ws.on('message', (data) => {
      if (!settled) {
        const message = JSON.parse(String(data));
        if (message.type === 'welcome')
          done({ ok: true, ws, welcomeMs: performance.now() - t0, at: performance.now() });
        return;
      }
      onMessage?.(data);
    });
  });
}

/** Closes sockets and waits (at most `timeoutMs`) for them to go; stragglers are terminated. */
export async function closeAll(sockets, timeoutMs = 2000) {
  const waits = sockets
    .filter((ws) => ws && ws.readyState !== WebSocket.CLOSED)
    .map(
      (ws) =>
        new Promise((resolve) => {
          ws.once('close', resolve);
          try {
            ws.close(1000);
          } catch {
            ws.terminate();
          }
        }),
    );
  let timer;
  await Promise.race([
    Promise.all(waits),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  for (const ws of sockets) if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

/** The `hello` a raw agent sends after `welcome`. */
export function helloFrame(name) {
  return JSON.stringify({
    type: 'hello',
    agentVersion: 'bench',
    hostname: name,
    os: { platform: 'linux', release: '6.1', arch: 'x64' },
    capabilities: ['metrics'],
    actions: [],
    logSources: [],
  });
}

/**
 * A valid MetricsSample. `size` "small" is a typical 2-core host (~700 bytes of JSON); "large" has
 * 64 cores, 32 filesystems, 32 NICs and full top-10 process lists (~8 KiB), for the flood.
 */
let sampleContainers = 0;

/** Every sample made from now on carries `n` containers (the ingest cost of a host running containers). */
export function setSampleContainers(n) {
  sampleContainers = n;
}

function benchContainers(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `c0ffee${String(i).padStart(58, '0')}`,
    name: `bench-container-${i}`,
    image: 'registry.example.com/team/app:1.2.3',
    state: i % 10 === 9 ? 'exited' : 'running',
    health: 'none',
    cpuPercent: (i * 3.7) % 100,
    memoryBytes: 50_000_000 + i * 1000,
    memoryLimitBytes: 0,
    netRxBps: 1200 + i,
    netTxBps: 800 + i,
    blockReadBps: 0,
    blockWriteBps: 4096,
    restartCount: 0,
    startedAt: 1767222000000,
  }));
}

export function makeSample(seq, ts, size = 'small') {
  const large = size === 'large';
  const processes = (n) =>
    Array.from({ length: n }, (_, i) => ({ pid: 1000 + i, name: `proc-${i}`, cpu: 1.5, memory: 1e7 }));
  return {
    ...(sampleContainers > 0 ? { containers: benchContainers(sampleContainers) } : {}),
    seq,
    ts,
    cpu: { total: 12.5, cores: Array.from({ length: large ? 64 : 2 }, (_, i) => (i * 7) % 100) },
    load: [0.5, 0.4, 0.3],
    memory: { total: 8e9, used: 2e9, available: 6e9, swapTotal: 1e9, swapUsed: 0 },
    filesystems: Array.from({ length: large ? 32 : 1 }, (_, i) => ({
      mount: i ? `/mnt/d${i}` : '/',
      fstype: 'ext4',
      total: 1e11,
      used: 4e10,
    })),
    disk: {
      readBps: 100,
      writeBps: 200,
      devices: Array.from({ length: large ? 32 : 1 }, (_, i) => ({
        name: `vd${i}`,
        readBps: 100,
        writeBps: 200,
      })),
    },
    network: {
      rxBps: 1000,
      txBps: 2000,
      interfaces: Array.from({ length: large ? 32 : 1 }, (_, i) => ({
        name: `eth${i}`,
        rxBps: 1000,
        txBps: 2000,
      })),
    },
    uptime: 1000,
    processes: { count: 100, topCpu: processes(large ? 10 : 0), topMemory: processes(large ? 10 : 0) },
  };
}
