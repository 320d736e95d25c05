// The send path alone, over a real socket pair: congestion timeout → 4008, and a fast reader is never held back.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../logger.js';
import { createServerMetrics } from '../observability/metrics.js';
import { frameFromData } from '../realtime/bus/types.js';
import { Connection } from './connection.js';
import { connect, waitFor } from '../test-support/ws-client.js';

let wss: WebSocketServer | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
  wss = undefined;
});

async function pair(options: { softBytes: number; hardBytes: number; slowConsumerTimeoutMs?: number }) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss = server;
  await new Promise((resolve) => server.once('listening', resolve));
  const metrics = createServerMetrics();
  const accepted = new Promise<Connection>((resolve) => {
    server.once('connection', (ws: WebSocket) => {
      ws.on('error', () => undefined);
      resolve(new Connection(ws, { kind: 'client', metrics, logger: createLogger('silent'), ...options }));
    });
  });
  const client = await connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return { client, connection: await accepted, metrics };
}

describe('Connection', () => {
  it('closes with 4008 a socket that stays congested past the slow-consumer timeout', async () => {
    const { client, connection, metrics } = await pair({
      softBytes: 4096,
      hardBytes: 64 * 1024 * 1024,
      slowConsumerTimeoutMs: 300,
    });
    client.ws.pause();
    const pad = 'y'.repeat(8000);
    const flood = setInterval(() => {
      for (let i = 0; i < 200; i += 1)
        connection.sendFrame(
          frameFromData(JSON.stringify({ type: 'metrics', hostId: 'h', sample: { i, pad } }), 'metrics', {
            coalesceKey: 'h',
          }),
        );
    }, 10);
    try {
      await waitFor(
        async () => ((await metrics.slowConsumerCloses.get()).values[0]?.value ?? 0) === 1,
        10_000,
        '4008',
      );
      expect(connection.heldBytes).toBe(0);
      client.ws.resume();
      expect((await client.closed).code).toBe(4008);
      expect(await connection.closed).toBe(4008);
    } finally {
      clearInterval(flood);
    }
  });

  it('writes straight through while the reader keeps up, in order', async () => {
    const { client, connection } = await pair({ softBytes: 1024 * 1024, hardBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < 100; i += 1) connection.send({ type: 'gap', topics: [], reason: String(i) });
    await client.next((m) => m.reason === '99');
    expect(client.messages.map((m) => m.reason)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    expect(connection.heldBytes).toBe(0);
    connection.close(1000);
    expect((await client.closed).code).toBe(1000);
  });
});
