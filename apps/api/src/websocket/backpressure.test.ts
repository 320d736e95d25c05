// Slow consumers: a client that stops reading costs bounded memory, gets drop markers, and is closed with 4008.
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrame, frameFromData } from '../realtime/bus/types.js';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { connect, waitFor, type TestSocket } from '../test-support/ws-client.js';

const SOFT = 16 * 1024;
const HARD = 256 * 1024;
const PAD = 'x'.repeat(4000);

let server: TestServer;
let owner: { cookie: string; userId: string; organizationId: string };
let hostId: string;

beforeAll(async () => {
  server = await startTestServer({
    WS_SEND_BUFFER_SOFT_BYTES: String(SOFT),
    WS_SEND_BUFFER_HARD_BYTES: String(HARD),
  });
  owner = await server.setup();
  hostId = (await server.createEnrolledHost(owner.cookie, owner.organizationId, 'busy-host')).hostId;
});

afterAll(async () => {
  await server.cleanup();
});

function metricsFrame(seq: number) {
  const message = { type: 'metrics', hostId, sample: { seq, pad: PAD } };
  // Padded past any real sample: wrapped as already-serialized data, not built from the protocol's union.
  return frameFromData(JSON.stringify(message), 'metrics', { coalesceKey: hostId });
}

function clientStats() {
  const stats = server.running.gateway.connectionStats().filter((s) => s.kind === 'client');
  expect(stats).toHaveLength(1);
  return stats[0] ?? { heldBytes: 0, bufferedAmount: 0 };
}

async function counter(name: string): Promise<number> {
  const metric = await server.ctx.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

async function subscribedClient(): Promise<TestSocket> {
  const socket = await connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(owner.cookie)}`);
  socket.send({ type: 'subscribe', id: 's', topic: `host:${hostId}` });
  await socket.next((m) => m.id === 's');
  return socket;
}

describe('a client that stops reading', () => {
  it('keeps only the newest metrics frame, drops log lines with a marker, and catches up when it reads again', async () => {
    const socket = await subscribedClient();
    socket.ws.pause();
    const frameBytes = metricsFrame(99_999).data.length;
    let maxHeld = 0;
    let maxBuffered = 0;
    let seq = 0;
    // Enough to fill the kernel's socket buffers many times over (about 24 MB).
    for (let i = 0; i < 6000; i += 1) {
      seq += 1;
      server.ctx.bus.publish(`host:${hostId}`, metricsFrame(seq));
      const stats = clientStats();
      maxHeld = Math.max(maxHeld, stats.heldBytes);
      maxBuffered = Math.max(maxBuffered, stats.bufferedAmount);
      if (i % 50 === 0) await yieldToIo();
    }
    expect(maxHeld).toBeLessThanOrEqual(frameBytes);
    expect(maxBuffered).toBeLessThan(SOFT + 2 * frameBytes);
    expect(await counter('hostwire_ws_frames_coalesced_total')).toBeGreaterThan(0);
    const congested = clientStats();
    expect(congested.bufferedAmount + congested.heldBytes).toBeGreaterThanOrEqual(SOFT);

    for (let i = 0; i < 30; i += 1) {
      const lines = Array.from({ length: 10 }, (_, n) => ({ ts: n, line: `line ${i}-${n}` }));
      server.ctx.bus.publish(
        `host:${hostId}`,
        createFrame({ type: 'logs.lines', streamId: 'tail-1', lines }, 'logs', { streamId: 'tail-1' }),
      );
    }
    expect(await counter('hostwire_ws_log_lines_dropped_total')).toBe(300);

    socket.ws.resume();
    expect(await socket.next((m) => m.type === 'logs.dropped', 10_000)).toEqual({
      type: 'logs.dropped',
      streamId: 'tail-1',
      count: 300,
    });
    await socket.next((m) => m.type === 'metrics' && (m.sample as { seq: number }).seq === seq, 10_000);
    const received = socket.messages.filter((m) => m.type === 'metrics').length;
    expect(received).toBeLessThan(seq);
    expect(socket.messages.some((m) => m.type === 'logs.lines')).toBe(false);
    await waitFor(() => clientStats().heldBytes === 0);
    socket.ws.close();
    await socket.closed;
  });

  it('is closed with 4008 once queued events pass the hard cap, holding no more than the cap', async () => {
    const socket = await subscribedClient();
    socket.ws.pause();
    const before = await counter('hostwire_ws_slow_consumer_closes_total');
    let maxPending = 0;
    for (let i = 0; i < 10_000 && socket.ws.readyState === socket.ws.OPEN; i += 1) {
      server.ctx.bus.publish(
        `host:${hostId}`,
        createFrame({
          type: 'host.upserted',
          organizationId: owner.organizationId,
          hostId,
          name: `${i}-${PAD}`,
        }),
      );
      const stats = server.running.gateway.connectionStats().find((s) => s.kind === 'client');
      if (stats) maxPending = Math.max(maxPending, stats.heldBytes + stats.bufferedAmount);
      if (i % 50 === 0) {
        await yieldToIo();
        if ((await counter('hostwire_ws_slow_consumer_closes_total')) > before) break;
      }
    }
    expect(await counter('hostwire_ws_slow_consumer_closes_total')).toBe(before + 1);
    expect(maxPending).toBeLessThanOrEqual(HARD + 2 * PAD.length);
    socket.ws.resume();
    expect((await socket.closed).code).toBe(4008);
  });
});
