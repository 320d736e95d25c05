// Tests of the whole agent (runAgent) against a real ws server on port 0: hello, metrics with acks,
// replay after an outage and a restart with every seq once, interval switching, log tails, revocation.
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentToServer, MetricsSample } from '@hostwire/protocol';
import { AgentHello } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from './agent.js';
import { createLogger } from './log.js';
import { readStatus } from './state/status-file.js';
import {
  createCommandKeys,
  createTempDir,
  createTestConfig,
  runCommand,
  signCommand,
  TEST_HOST_ID,
  waitFor,
} from './test-support/fixtures.js';
import type { AgentPeer, TestGateway } from './test-support/test-server.js';
import { startTestGateway } from './test-support/test-server.js';

const keys = createCommandKeys();
type Metrics = Extract<AgentToServer, { type: 'metrics' }>;
const samplesOf = (frames: AgentToServer[]): MetricsSample[] =>
  frames.filter((f): f is Metrics => f.type === 'metrics').flatMap((f) => f.samples);

/** Acks every metrics batch and records the seqs it stored. */
function acking(stored: number[]) {
  return (peer: AgentPeer): void => {
    peer.socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { type: string; samples?: { seq: number }[] };
      if (frame.type !== 'metrics' || !frame.samples) return;
      const seqs = frame.samples.map((s) => s.seq);
      stored.push(...seqs);
      peer.send({ type: 'metrics.ack', seqs });
    });
  };
}

describe('runAgent', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let gateway: TestGateway;
  let controller: AbortController;
  beforeEach(async () => {
    tmp = await createTempDir();
    gateway = await startTestGateway();
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await gateway.close();
    await tmp.remove();
  });

  const start = (overrides: Parameters<typeof createTestConfig>[2] = {}) =>
    runAgent(
      createTestConfig(gateway.url, keys.publicKeyPem, { metrics: { intervalMs: 300 }, ...overrides }),
      {
        stateDir: path.join(tmp.dir, 'state'),
        signal: controller.signal,
        backends: { journald: false, docker: false },
      },
    );

  it('says hello with its catalog, sends seq-numbered samples and drains the outbox on ack', async () => {
    const stored: number[] = [];
    gateway.onConnection(acking(stored));
    const done = start({ actions: [{ name: 'uptime', argv: ['uptime'] }] });
    const peer = await waitFor(() => gateway.peers[0], 3000, 'connection');
    await waitFor(() => stored.length >= 3, 5000, 'three samples');
    const hello = peer.frames[0];
    expect(AgentHello.safeParse(hello).success).toBe(true);
    expect(hello).toMatchObject({
      type: 'hello',
      actions: [{ name: 'uptime', timeoutMs: 60_000 }],
      outbox: { pending: expect.any(Number) as number },
    });
    expect(JSON.stringify(hello)).not.toContain('argv');
    expect(stored.slice(0, 3)).toEqual([1, 2, 3]);
    const status = await waitFor(() => readStatus(path.join(tmp.dir, 'state')), 3000, 'status file');
    expect(status).toMatchObject({ connected: true, hostId: TEST_HOST_ID });
    controller.abort();
    expect(await done).toBeUndefined();
    expect(await readStatus(path.join(tmp.dir, 'state'))).toMatchObject({
      stopped: true,
      bufferedSamples: expect.any(Number) as number,
    });
  });

  it('loses no sample across a server outage and an agent restart: every seq arrives exactly once, in order', async () => {
    const stored: number[] = [];
    gateway.onConnection(acking(stored));
    const port = gateway.port;
    let done = start();
    await waitFor(() => stored.length >= 2, 5000, 'first samples');
    await gateway.close();
    const stateDir = path.join(tmp.dir, 'state');
    // Samples taken during the outage wait in the outbox (the status file reports them).
    const outage = async () => {
      const status = await readStatus(stateDir);
      return status?.connected === false && status.failedAttempts >= 1 ? status.lastSeq : undefined;
    };
    const lastSeqAtOutage = await waitFor(outage, 5000, 'outage noticed');
    await waitFor(
      async () => ((await readStatus(stateDir))?.lastSeq ?? 0) >= lastSeqAtOutage + 2,
      8000,
      'outage samples',
    );
    controller.abort();
    await done;
    controller = new AbortController();
    const restartedAt = Date.now();
    done = start();
    // The restarted agent fails to connect at least once before the server comes back.
    const restartedAndRefused = async () => {
      const status = await readStatus(stateDir);
      return status !== undefined && status.startedAt >= restartedAt && status.failedAttempts >= 1;
    };
    await waitFor(restartedAndRefused, 5000, 'failed attempt after restart');
    gateway = await startTestGateway({ port });
    gateway.onConnection(acking(stored));
    const hello = await waitFor(() => gateway.peers[0]?.frames[0], 5000, 'hello after restart');
    expect(hello).toMatchObject({ type: 'hello', outbox: { pending: expect.any(Number) as number } });
    const last = await waitFor(
      () => (stored.length >= 8 ? Math.max(...stored) : undefined),
      8000,
      'replayed samples',
    );
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    expect(new Set(stored).size).toBe(stored.length);
    expect(last).toBe(stored.length);
    controller.abort();
    await done;
  });

  it('switches to the interval the server asks for', async () => {
    const stored: number[] = [];
    gateway.onConnection(acking(stored));
    const done = start({ metrics: { intervalMs: 5000 } });
    const peer = await waitFor(() => gateway.peers[0], 3000, 'connection');
    await waitFor(() => stored.length >= 1, 3000, 'first sample');
    peer.send({ type: 'metrics.interval', intervalMs: 250 });
    await waitFor(() => stored.length >= 5, 3000, 'fast samples');
    const samples = samplesOf(peer.frames);
    expect(samples.every((s) => s.ts > 0)).toBe(true);
    controller.abort();
    await done;
  });

  it('tails a log source on request and runs a signed action', async () => {
    const file = path.join(tmp.dir, 'app.log');
    await writeFile(file, 'one\ntwo\n');
    const done = start({
      logs: { sources: [{ name: 'app', kind: 'file', path: file }], batchMs: 20 },
      actions: [
        { name: 'hello', argv: ['echo', 'hi {{who}}'], params: { who: { type: 'string', enum: ['you'] } } },
      ],
    });
    const peer = await waitFor(() => gateway.peers[0], 3000, 'connection');
    await waitFor(() => peer.frames[0], 3000, 'hello');
    expect(peer.frames[0]).toMatchObject({ logSources: [{ name: 'app', kind: 'file' }] });
    peer.send({ type: 'logs.start', id: 'r1', streamId: 's1', source: 'app', backfill: 1 });
    await waitFor(() => peer.frames.find((f) => f.type === 'ack' && f.id === 'r1'), 3000, 'logs.start ack');
    await appendFile(file, 'three\n');
    await waitFor(
      () => peer.frames.filter((f) => f.type === 'logs.lines').flatMap((f) => f.lines).length >= 2,
      3000,
      'lines',
    );
    const lines = peer.frames.flatMap((f) => (f.type === 'logs.lines' ? f.lines.map((l) => l.line) : []));
    expect(lines).toEqual(['two', 'three']);
    peer.send(signCommand(runCommand(TEST_HOST_ID, 'hello', { who: 'you' }), keys.privateKey));
    const result = await waitFor(
      () => peer.frames.find((f) => f.type === 'action.result'),
      3000,
      'action result',
    );
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(peer.frames.find((f) => f.type === 'action.output')).toMatchObject({ data: 'hi you\n' });
    controller.abort();
    await done;
  });

  it('stops with REVOKED when the server closes with 4001', async () => {
    const done = start();
    const peer = await waitFor(() => gateway.peers[0], 3000, 'connection');
    peer.socket.close(4001, 'revoked');
    expect((await done)?.code).toBe('REVOKED');
    expect(gateway.attempts).toBe(1);
  });

  it('keeps sending live samples while its state dir is full, says so once, and buffers again when space returns', async () => {
    const mnt = path.join(tmp.dir, 'small');
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    const lines: string[] = [];
    try {
      const stored: number[] = [];
      gateway.onConnection(acking(stored));
      const stateDir = path.join(mnt, 'state');
      const done = runAgent(
        createTestConfig(gateway.url, keys.publicKeyPem, { metrics: { intervalMs: 250 } }),
        {
          stateDir,
          signal: controller.signal,
          backends: { journald: false, docker: false },
          log: createLogger('info', (line) => void lines.push(line)),
        },
      );
      await waitFor(() => stored.length >= 2, 5000, 'samples before the disk fills');
      await writeFile(path.join(mnt, 'filler'), Buffer.alloc(1024 * 1024)).catch(() => undefined);
      const full = await waitFor(
        async () => {
          const status = await readStatus(stateDir);
          return status?.storageError?.includes('ENOSPC') ? status : undefined;
        },
        10_000,
        'status reporting the full disk',
      );
      expect(full.connected).toBe(true);
      // Samples keep arriving while nothing can be stored.
      const atFull = stored.length;
      await waitFor(() => stored.length >= atFull + 4, 5000, 'live samples while the disk is full');
      await rm(path.join(mnt, 'filler'));
      await waitFor(async () => (await readStatus(stateDir))?.storageError === null, 10_000, 'recovery');
      const atRecovery = stored.length;
      await waitFor(() => stored.length >= atRecovery + 3, 5000, 'samples after recovery');
      controller.abort();
      await done;
      expect(stored).toEqual(stored.map((_, i) => i + 1));
      expect(lines.filter((l) => l.includes('cannot write the outbox (ENOSPC)'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('accepts writes again'))).toHaveLength(1);
    } finally {
      controller.abort();
      execFileSync('umount', ['-l', mnt]);
    }
  });
});
