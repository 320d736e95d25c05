// The container monitor against a real engine (Podman's Docker API): states, figures, health, restarts,
// an absent engine that never holds a sample; and the `docker stats` formulas on fixed readings.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContainerInfo } from '@hostwire/protocol';
import { waitFor } from '../test-support/fixtures.js';
import { TestEngine, skipWithoutEngine } from '../test-support/engine.js';
import { ContainerMonitor } from './container-monitor.js';
import { EngineClient } from './engine-client.js';
import { computeFigures, podmanSwapsNetwork, readLibpodStats, readStats } from './engine-stats.js';

describe('docker stats formulas', () => {
  it('computes CPU % of one core and rates from two readings, memory without the page cache', () => {
    const first = readStats(
      {
        cpu_stats: {
          cpu_usage: { total_usage: 1_000_000_000 },
          system_cpu_usage: 10_000_000_000,
          online_cpus: 4,
        },
        memory_stats: { usage: 300, limit: 1000, stats: { inactive_file: 100 } },
        networks: { eth0: { rx_bytes: 1000, tx_bytes: 0 }, eth1: { rx_bytes: 1000, tx_bytes: 500 } },
        blkio_stats: {
          io_service_bytes_recursive: [
            { op: 'Read', value: 4096 },
            { op: 'write', value: 0 },
          ],
        },
      },
      0,
      8000,
    );
    const second = readStats(
      {
        cpu_stats: {
          cpu_usage: { total_usage: 1_500_000_000 },
          system_cpu_usage: 14_000_000_000,
          online_cpus: 4,
        },
        memory_stats: { usage: 400, limit: 1000, stats: { inactive_file: 100 } },
        networks: { eth0: { rx_bytes: 3000, tx_bytes: 0 }, eth1: { rx_bytes: 1000, tx_bytes: 2500 } },
        blkio_stats: {
          io_service_bytes_recursive: [
            { op: 'Read', value: 8192 },
            { op: 'write', value: 2048 },
          ],
        },
      },
      2000,
      8000,
    );
    expect(computeFigures(first, second)).toEqual({
      cpuPercent: 50, // 0.5 s of CPU over 4 s of all-core time × 4 cores
      memoryBytes: 300,
      memoryLimitBytes: 1000,
      netRxBps: 1000,
      netTxBps: 1000,
      blockReadBps: 2048,
      blockWriteBps: 1024,
    });
    // No limit: the engine reports the host's memory, which is 0 here.
    expect(readStats({ memory_stats: { usage: 5, limit: 8000 } }, 0, 8000).memoryLimitBytes).toBe(0);
    // A restarted container's counters start over: no negative rates.
    expect(computeFigures(second, first).cpuPercent).toBe(0);
  });

  it("computes the same figures from Podman's bulk counters (CPU time over the engine's wall clock)", () => {
    const entry = (cpu: number, wall: number, net: number, block: number) => ({
      ContainerID: 'abc',
      CPUNano: cpu,
      SystemNano: wall,
      MemUsage: 300,
      MemLimit: 1000,
      NetInput: net,
      NetOutput: net / 2,
      BlockInput: block,
      BlockOutput: 0,
    });
    const first = readLibpodStats(entry(1_000_000_000, 5_000_000_000, 2000, 4096), 0, 8000);
    const second = readLibpodStats(entry(2_500_000_000, 7_000_000_000, 6000, 8192), 2000, 8000);
    expect(computeFigures(first, second)).toEqual({
      cpuPercent: 75, // 1.5 s of CPU over 2 s of wall time
      memoryBytes: 300,
      memoryLimitBytes: 1000,
      netRxBps: 2000,
      netTxBps: 1000,
      blockReadBps: 2048,
      blockWriteBps: 0,
    });
    // A reading from the other call is not a previous one: counters differ in meaning.
    const docker = readStats({ cpu_stats: { cpu_usage: { total_usage: 1 } } }, 0, 8000);
    expect(computeFigures(docker, second).cpuPercent).toBe(0);
    expect(readLibpodStats({ MemLimit: 8000 }, 0, 8000).memoryLimitBytes).toBe(0);
  });
});

describe('Podman network byte order', () => {
  it('knows which Podman versions report received and sent bytes swapped (before 4.4)', () => {
    expect(['4.3.1', '4.3.0', '3.4.4', '2.2.1', 'v4.3.1'].map(podmanSwapsNetwork)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['4.4.0', '4.9.4', '5.2.2', '10.0.0', 'dev', '', undefined, 4.3].map(podmanSwapsNetwork)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('container monitor (real engine)', async () => {
  const skip = await skipWithoutEngine();
  const engine = new TestEngine();
  afterAll(() => engine.removeAll());

  const byName = (list: ContainerInfo[] | undefined, name: string) => list?.find((c) => c.name === name);

  it.skipIf(skip)(
    'reports running, exited and busy containers with their figures, health and restarts',
    async () => {
      const idle = engine.uniqueName('idle');
      const busy = engine.uniqueName('busy');
      const done = engine.uniqueName('done');
      const flappy = engine.uniqueName('flappy');
      const checked = engine.uniqueName('checked');
      await Promise.all([
        engine.run(idle, { cmd: ['sleep', '600'] }),
        engine.run(busy, { cmd: ['sh', '-c', 'while :; do :; done'] }),
        engine.run(done, { cmd: ['true'] }),
        engine.run(flappy, { cmd: ['sh', '-c', 'sleep 1; exit 3'], restart: 'always' }),
        engine.run(checked, { cmd: ['sleep', '600'], healthcheck: ['CMD-SHELL', 'test -f /tmp/ok'] }),
      ]);
      const names: string[][] = [];
      const monitor = new ContainerMonitor({
        engine: engine.engine,
        log: silent,
        onNamesChanged: (n) => names.push(n),
      });
      const sample = () => monitor.sample(5000, 60_000);

      const first = await sample();
      expect(byName(first, idle)).toMatchObject({
        state: 'running',
        health: 'none',
        image: expect.stringContaining('busybox'),
      });
      expect(byName(first, idle)?.startedAt).toBeGreaterThan(Date.now() - 120_000);
      expect(names.at(-1)).toEqual(expect.arrayContaining([idle, busy, done, flappy, checked]));
      await waitFor(
        async () => byName(await sample(), done)?.state === 'exited',
        10_000,
        'the one-shot container exited',
      );
      // CPU % comes from deltas between two readings: the busy loop shows up on the second one.
      const busyNow = await waitFor(
        async () => {
          const c = byName(await sample(), busy);
          return c && c.cpuPercent > 10 ? c : undefined;
        },
        10_000,
        'busy container CPU',
      );
      expect(busyNow.memoryBytes).toBeGreaterThan(0);
      await engine.remove(busy);
      expect(byName(await sample(), checked)?.health).toBe('starting');
      await engine.runHealthcheck(checked);
      await waitFor(async () => byName(await sample(), checked)?.health === 'unhealthy', 10_000, 'unhealthy');
      // Restarts by the engine's policy are counted (inspect refreshed when the counters restart).
      await waitFor(
        async () => (byName(await sample(), flappy)?.restartCount ?? 0) >= 2,
        20_000,
        'restart count of the always-restarting container',
        500,
      );
      await engine.remove(flappy);
      await monitor.settle();
    },
  );

  it.skipIf(skip)(
    "gives the same figures from Podman's bulk libpod call as from the Docker API's call per container",
    async () => {
      const busy = engine.uniqueName('bulk-busy');
      const idle = engine.uniqueName('bulk-idle');
      const limit = 64 * 1024 * 1024;
      await Promise.all([
        engine.run(busy, { cmd: ['sh', '-c', 'while :; do :; done'], memory: limit }),
        engine.run(idle, { cmd: ['sleep', '600'] }),
      ]);
      const logged: string[] = [];
      const bulk = new ContainerMonitor({
        engine: engine.engine,
        log: { ...silent, debug: (m) => logged.push(m) },
      });
      const perContainer = new ContainerMonitor({ engine: engine.engine, log: silent, statsApi: 'docker' });
      // Both read over the same windows: refreshed side by side, 4 s apart. The engine reads a container's
      // counters and the host's CPU time at slightly different moments, and under load those moments drift by
      // a few hundred ms: over a short window that alone made 88 % against 188 % for one busy container
      // (waitFor's first check used to come right after the baseline, a window of a few milliseconds).
      const both = async () => {
        await Promise.all([bulk.refresh(), perContainer.refresh()]);
        return Promise.all([bulk.sample(0, 60_000), perContainer.sample(0, 60_000)]);
      };
      await both();
      const [fromBulk, fromDocker] = await waitFor(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 4000)); // the measurement window
          const mark = logged.length;
          const pair = await both();
          // A window whose bulk call failed twice (other suites' containers starting and exiting) was read
          // per container: it compares nothing, so measure another one.
          if (logged.slice(mark).some((m) => m.includes('bulk stats failed'))) return undefined;
          return pair.every((list) => (byName(list, busy)?.cpuPercent ?? 0) > 10) ? pair : undefined;
        },
        30_000,
        'CPU figures of the busy container on both paths',
        0,
      );
      expect(logged).toContain('containers: Podman engine, reading stats with one libpod call');
      const near = (a: number, b: number, absolute: number, relative: number) =>
        expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(absolute, relative * Math.max(a, b)));
      for (const name of [busy, idle]) {
        const a = byName(fromBulk, name);
        const b = byName(fromDocker, name);
        expect(a && b).toBeTruthy();
        if (!a || !b) return;
        expect({
          ...a,
          cpuPercent: 0,
          memoryBytes: 0,
          netRxBps: 0,
          netTxBps: 0,
          blockReadBps: 0,
          blockWriteBps: 0,
        }).toEqual({
          ...b,
          cpuPercent: 0,
          memoryBytes: 0,
          netRxBps: 0,
          netTxBps: 0,
          blockReadBps: 0,
          blockWriteBps: 0,
        });
        near(a.cpuPercent, b.cpuPercent, 5, 0.25);
        near(a.memoryBytes, b.memoryBytes, 256 * 1024, 0.1);
        // The two paths read the counters some hundred milliseconds apart, and the shared bridge carries bursts
        // (ARP, neighbour discovery) whenever other suites start containers: a few KiB can land in between.
        near(a.netRxBps, b.netRxBps, 8 * 1024, 0.25);
        near(a.netTxBps, b.netTxBps, 8 * 1024, 0.25);
        near(a.blockReadBps, b.blockReadBps, 64 * 1024, 0.25);
        near(a.blockWriteBps, b.blockWriteBps, 64 * 1024, 0.25);
      }
      expect(byName(fromBulk, busy)?.memoryLimitBytes).toBe(limit);
      expect(byName(fromBulk, idle)?.memoryLimitBytes).toBe(0);
      await Promise.all([engine.remove(busy), engine.remove(idle)]);
    },
  );

  it.skipIf(skip)(
    'reports the bytes a container receives as received on both stats paths (Podman before 4.4 swaps them)',
    async () => {
      const sink = engine.uniqueName('net-sink');
      await engine.run(sink, { cmd: ['sh', '-c', 'while :; do nc -l -p 8080 > /dev/null; done'] });
      const address = (await engine.inspect(sink)).NetworkSettings?.IPAddress ?? '';
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      const logged: string[] = [];
      const bulk = new ContainerMonitor({
        engine: engine.engine,
        log: { ...silent, debug: (m) => logged.push(m) },
      });
      const perContainer = new ContainerMonitor({ engine: engine.engine, log: silent, statsApi: 'docker' });
      // 4 MiB into the container; what it sends back is TCP acknowledgements only.
      const payload = Buffer.alloc(4 * 1024 * 1024);
      const send = () =>
        waitFor(
          () =>
            new Promise<boolean>((resolve) => {
              const socket = connect(8080, address);
              socket.once('error', () => resolve(false));
              socket.once('connect', () => socket.end(payload));
              socket.once('close', (hadError) => resolve(!hadError && socket.bytesWritten >= payload.length));
            }),
          10_000,
          'sending 4 MiB to the container',
        );
      // A window in which Podman failed both bulk tries (other suites' containers starting and exiting) was read
      // per container on the bulk monitor too and gives no rates: measure another one.
      const [fromBulk, fromDocker] = await waitFor(
        async () => {
          const mark = logged.length;
          await Promise.all([bulk.refresh(), perContainer.refresh()]);
          await send();
          await Promise.all([bulk.refresh(), perContainer.refresh()]);
          if (logged.slice(mark).some((m) => m.includes('bulk stats failed'))) return undefined;
          return Promise.all([bulk.sample(0, 60_000), perContainer.sample(0, 60_000)]);
        },
        30_000,
        'a window read with the bulk call',
        0,
      );
      for (const figures of [byName(fromBulk, sink), byName(fromDocker, sink)]) {
        expect(figures?.netRxBps).toBeGreaterThan(64 * 1024);
        expect(figures?.netRxBps).toBeGreaterThan(10 * (figures?.netTxBps ?? Infinity));
      }
      await engine.remove(sink);
    },
  );

  it.each([
    { failures: 1, bulkCalls: 2, perContainerCalls: 0, fellBack: false },
    { failures: 3, bulkCalls: 2, perContainerCalls: 1, fellBack: true },
  ])(
    'asks the bulk call again when Podman answers without a list ($failures such answers)',
    async ({ failures, bulkCalls, perContainerCalls, fellBack }) => {
      // A stand-in for Podman: the real one answers `{"Error":{},"Stats":null}` when a container starts or
      // exits while it reads the stats, which a test cannot time on the real engine.
      const id = 'a'.repeat(64);
      const calls = { bulk: 0, perContainer: 0 };
      const answers: Record<string, () => unknown> = {
        '/v1.41/version': () => ({ Components: [{ Name: 'Podman Engine', Version: '5.2.2' }] }),
        '/v1.41/containers/json?all=1': () => [
          { Id: id, Names: ['/web'], Image: 'busybox', State: 'running', Status: 'Up 1 minute' },
        ],
        [`/v1.41/containers/${id}/json`]: () => ({ Id: id, RestartCount: 0, State: { Status: 'running' } }),
        '/v4.0.0/libpod/containers/stats?stream=false': () =>
          ++calls.bulk <= failures
            ? { Error: {}, Stats: null }
            : { Error: null, Stats: [{ ContainerID: id, CPUNano: 1, SystemNano: 1, MemUsage: 4096 }] },
        [`/v1.41/containers/${id}/stats?stream=false&one-shot=true`]: () => {
          calls.perContainer++;
          return { memory_stats: { usage: 4096 } };
        },
      };
      const dir = await mkdtemp(path.join(tmpdir(), 'hw-podman-'));
      const socketPath = path.join(dir, 'engine.sock');
      const standIn = createHttpServer((req, res) => {
        const answer = answers[req.url ?? ''];
        res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer ? answer() : { message: 'no such route' }));
      });
      await new Promise<void>((resolve) => standIn.listen(socketPath, resolve));
      const logged: string[] = [];
      const monitor = new ContainerMonitor({
        engine: new EngineClient(socketPath),
        log: { ...silent, debug: (m) => logged.push(m) },
      });
      try {
        expect(await monitor.sample(5000, 60_000)).toEqual([
          expect.objectContaining({ name: 'web', state: 'running', memoryBytes: 4096 }),
        ]);
        expect(calls).toEqual({ bulk: bulkCalls, perContainer: perContainerCalls });
        expect(logged.filter((m) => m.includes('bulk stats failed'))).toEqual(
          fellBack
            ? ['containers: bulk stats failed, reading each container: answer without a Stats list, 2 times']
            : [],
        );
      } finally {
        await new Promise((resolve) => standIn.close(resolve));
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('costs a sample at most the grace when the engine accepts but never answers', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hw-stalled-'));
    const socketPath = path.join(dir, 'engine.sock');
    const held: Socket[] = [];
    const stalled = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => stalled.listen(socketPath, resolve));
    const warnings: string[] = [];
    const monitor = new ContainerMonitor({
      engine: new EngineClient(socketPath),
      log: { ...silent, warn: (m) => warnings.push(m) },
      requestTimeoutMs: 1500,
    });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect(await monitor.sample(250, 60_000)).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1000);
    }
    // One refresh at a time: the stalled one is still the only request.
    expect(held).toHaveLength(1);
    await monitor.settle();
    expect(warnings).toEqual([expect.stringContaining('did not answer within 1500 ms')]);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => stalled.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('omits containers when there is no engine, logs that once, and never holds the sample', async () => {
    const warnings: string[] = [];
    const monitor = new ContainerMonitor({
      engine: new EngineClient('/nonexistent/docker.sock'),
      log: { ...silent, warn: (m) => warnings.push(m) },
    });
    for (let i = 0; i < 3; i++) expect(await monitor.sample(250, 60_000)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(monitor.engineReachable).toBe(false);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
