// Tests of the realtime client against a real `ws` server: correlation, reconnects, replayed registries, 4001.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@hostwire/protocol/testing';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';
import { RealtimeClient, RealtimeRequestError, type ConnectionState } from './client.js';
import type { LogStreamEvent } from './log-stream.js';

interface Frame {
  type: string;
  id?: string;
  [key: string]: unknown;
}

interface Connection {
  socket: WebSocket;
  url: string;
  frames: Frame[];
}

let server: WebSocketServer;
let port: number;
let connections: Connection[];
let streamCounter: number;
/** Decides the answer to each request; the default acks everything. */
let answer: (conn: Connection, frame: Frame) => void;

function send(conn: Connection, message: unknown): void {
  conn.socket.send(JSON.stringify(message));
}

function defaultAnswer(conn: Connection, frame: Frame): void {
  if (frame.type === 'logs.subscribe') {
    const streamId = `s${++streamCounter}`;
    // Ack and the first lines in one synchronous burst, as a server does.
    send(conn, { type: 'ack', id: frame.id, streamId });
    send(conn, {
      type: 'logs.lines',
      streamId,
      lines: [
        { ts: 1000, line: 'a' },
        { ts: 2000, line: 'b' },
      ],
    });
    return;
  }
  if (frame.id) send(conn, { type: 'ack', id: frame.id });
}

let tickets = 0;
function createClient(
  overrides: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {},
): RealtimeClient {
  return new RealtimeClient({
    getTicket: () => Promise.resolve(`t${++tickets}`),
    url: (ticket) => `ws://127.0.0.1:${port}/ws/client?ticket=${ticket}`,
    WebSocket,
    backoff: { baseMs: 20, capMs: 100 },
    requestTimeoutMs: 2000,
    ...overrides,
  });
}

beforeEach(async () => {
  connections = [];
  streamCounter = 0;
  answer = defaultAnswer;
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
  server.on('connection', (socket, req) => {
    const conn: Connection = { socket, url: req.url ?? '', frames: [] };
    connections.push(conn);
    send(conn, {
      type: 'welcome',
      serverTime: Date.now(),
      heartbeatIntervalMs: 30_000,
      limits: { maxPayloadBytes: 65536, messagesPerSecond: 50 },
      userId: 'u1',
      organizations: [],
    });
    socket.on('message', (data: RawData) => {
      // ws hands text frames over as a Buffer with the default binaryType.
      if (!Buffer.isBuffer(data)) throw new Error('expected a Buffer frame');
      const frame = JSON.parse(data.toString('utf8')) as Frame;
      conn.frames.push(frame);
      answer(conn, frame);
    });
  });
});

afterEach(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('RealtimeClient', () => {
  it('resolves each request with its own ack and rejects on an error with that id', async () => {
    answer = (conn, frame) => {
      if (frame.type === 'action.run') {
        send(conn, {
          type: 'error',
          id: frame.id,
          code: 'forbidden',
          message: 'viewers may not run actions',
        });
      } else if (frame.type === 'subscribe') {
        // Answer out of order: the second request first.
        if (frame.topic === 'host:b') send(conn, { type: 'ack', id: frame.id });
        else setTimeout(() => send(conn, { type: 'ack', id: frame.id }), 30);
      }
    };
    const client = createClient();
    client.start();
    await waitFor(() => client.state === 'open');
    const first = client.request({ type: 'subscribe', topic: 'host:a' });
    const second = client.request({ type: 'subscribe', topic: 'host:b' });
    const [a, b] = await Promise.all([first, second]);
    const sent = connections[0]?.frames ?? [];
    expect(a.id).toBe(sent[0]?.id);
    expect(b.id).toBe(sent[1]?.id);
    const run = client.request({ type: 'action.run', hostId: 'h1', action: 'restart', params: {} });
    await expect(run).rejects.toMatchObject({ code: 'forbidden', message: 'viewers may not run actions' });
    client.stop();
  });

  it('rejects a request at once while the connection is down', async () => {
    const client = createClient();
    const error = await client.request({ type: 'subscribe', topic: 'org:o1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RealtimeRequestError);
    expect((error as RealtimeRequestError).code).toBe('unavailable');
  });

  it('reconnects with a fresh ticket, re-sends every subscription and signals a resync', async () => {
    const client = createClient();
    const states: ConnectionState[] = [];
    const resyncs: (readonly string[] | null)[] = [];
    client.onState((s) => states.push(s));
    client.onResync((topics) => resyncs.push(topics));
    client.subscribe('org:o1');
    const dropHost = client.subscribe('host:h1');
    client.start();
    await waitFor(() => (connections[0]?.frames.length ?? 0) === 2);
    dropHost();
    client.subscribe('action:a1');
    await waitFor(() => (connections[0]?.frames.length ?? 0) === 4);

    connections[0]?.socket.close(1001, 'server shutting down');
    await waitFor(() => connections.length === 2 && connections[1]?.frames.length === 2);
    const topics = connections[1]?.frames.map((f) => f.topic).sort();
    expect(topics).toEqual(['action:a1', 'org:o1']);
    expect(connections[0]?.url).toContain('ticket=t');
    expect(connections[1]?.url).not.toBe(connections[0]?.url);
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
    expect(resyncs.filter((r) => r === null)).toHaveLength(1);
    client.stop();
  });

  it('signals a resync for a topic once its subscription is acknowledged', async () => {
    const client = createClient();
    const resyncs: (readonly string[] | null)[] = [];
    client.onResync((topics) => resyncs.push(topics));
    client.start();
    await waitFor(() => client.state === 'open');
    client.subscribe('org:o1');
    await waitFor(() => resyncs.length === 1);
    expect(resyncs).toEqual([['org:o1']]);
    client.stop();
  });

  it('signals a resync for the topics named by a gap frame', async () => {
    const client = createClient();
    const resyncs: (readonly string[] | null)[] = [];
    client.onResync((topics) => resyncs.push(topics));
    client.start();
    await waitFor(() => client.state === 'open');
    const conn = connections[0];
    if (!conn) throw new Error('no connection');
    send(conn, { type: 'gap', topics: ['org:o1'], reason: 'backplane outage' });
    await waitFor(() => resyncs.length === 1);
    expect(resyncs).toEqual([['org:o1']]);
    client.stop();
  });

  it('re-subscribes a log tail after a reconnect and maps the new stream id to the same listener', async () => {
    const client = createClient();
    const events: LogStreamEvent[] = [];
    client.start();
    client.openLogStream({ hostId: 'h1', source: 'syslog', backfill: 50 }, (e) => events.push(e));
    await waitFor(() => events.length === 1);
    expect(events[0]).toEqual({
      type: 'lines',
      lines: [
        { ts: 1000, line: 'a' },
        { ts: 2000, line: 'b' },
      ],
    });

    const first = connections[0];
    if (!first) throw new Error('no connection');
    send(first, { type: 'logs.dropped', streamId: 's1', count: 7 });
    await waitFor(() => events.length === 2);
    first.socket.close(1001, '');
    answer = (conn, frame) => {
      if (frame.type !== 'logs.subscribe') return;
      send(conn, { type: 'ack', id: frame.id, streamId: 's9' });
      // The backfill repeats what the view already has, then continues.
      send(conn, {
        type: 'logs.lines',
        streamId: 's9',
        lines: [
          { ts: 2000, line: 'b' },
          { ts: 3000, line: 'c' },
        ],
      });
      send(conn, { type: 'logs.ended', streamId: 's9', reason: 'source removed' });
    };
    await waitFor(() => events.length === 6);
    expect(events.slice(1)).toEqual([
      { type: 'dropped', count: 7 },
      { type: 'interrupted', reason: 'connection lost' },
      { type: 'resumed' },
      { type: 'lines', lines: [{ ts: 3000, line: 'c' }] },
      { type: 'ended', reason: 'source removed' },
    ]);
    expect(connections[1]?.frames[0]).toMatchObject({
      type: 'logs.subscribe',
      hostId: 'h1',
      source: 'syslog',
      backfill: 50,
    });
    client.stop();
  });

  it('keeps a tail whose host agent is offline and starts it when the host comes online', async () => {
    let agentOnline = false;
    answer = (conn, frame) => {
      if (frame.type !== 'logs.subscribe') return;
      if (!agentOnline) {
        send(conn, {
          type: 'error',
          id: frame.id,
          code: 'agent_offline',
          message: 'The host agent is not connected',
        });
        return;
      }
      send(conn, { type: 'ack', id: frame.id, streamId: 's5' });
      send(conn, { type: 'logs.lines', streamId: 's5', lines: [{ ts: 5, line: 'back' }] });
    };
    const client = createClient();
    const events: LogStreamEvent[] = [];
    client.openLogStream({ hostId: 'h1', source: 'syslog' }, (e) => events.push(e));
    client.start();
    await waitFor(() => events.length === 1);
    expect(events[0]).toEqual({ type: 'interrupted', reason: 'the host agent is offline' });
    agentOnline = true;
    const conn = connections[0];
    if (!conn) throw new Error('no connection');
    send(conn, { type: 'host.status', organizationId: 'o1', hostId: 'h1', status: 'online', lastSeenAt: 1 });
    await waitFor(() => events.length === 3);
    expect(events.slice(1)).toEqual([
      { type: 'resumed' },
      { type: 'lines', lines: [{ ts: 5, line: 'back' }] },
    ]);
    client.stop();
  });

  it('reports an unknown log source to the view and does not retry it', async () => {
    answer = (conn, frame) => {
      if (frame.type === 'logs.subscribe') {
        send(conn, { type: 'error', id: frame.id, code: 'unknown_source', message: 'no such source' });
      }
    };
    const client = createClient();
    const events: LogStreamEvent[] = [];
    client.openLogStream({ hostId: 'h1', source: 'nope' }, (e) => events.push(e));
    client.start();
    await waitFor(() => events.length === 1);
    expect(events[0]).toEqual({ type: 'error', code: 'unknown_source', message: 'no such source' });
    client.stop();
  });

  it('stops for good when the server closes with 4001 and reports the lost session', async () => {
    let ended = 0;
    const client = createClient({ onSessionEnded: () => ended++ });
    client.start();
    await waitFor(() => client.state === 'open');
    connections[0]?.socket.close(4001, 'session expired');
    await waitFor(() => client.state === 'closed');
    await new Promise((r) => setTimeout(r, 250));
    expect(ended).toBe(1);
    expect(connections).toHaveLength(1);
  });

  it('ends the session when the ticket request says the session is gone', async () => {
    let ended = 0;
    const client = createClient({
      getTicket: () => Promise.reject(new Error('401')),
      isSessionError: () => true,
      onSessionEnded: () => ended++,
    });
    client.start();
    await waitFor(() => client.state === 'closed');
    expect(ended).toBe(1);
    expect(connections).toHaveLength(0);
  });

  it('waits at least the retry-after hint of a close reason before reconnecting', async () => {
    const client = createClient();
    client.start();
    await waitFor(() => client.state === 'open');
    const closedAt = Date.now();
    connections[0]?.socket.close(1013, 'retry-after=1');
    await waitFor(() => connections.length === 2, 4000);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(950);
    client.stop();
  });

  it('keeps retrying with backoff while the server is unreachable', async () => {
    let attempts = 0;
    const client = createClient({
      url: () => {
        attempts++;
        return 'ws://127.0.0.1:1/ws/client';
      },
    });
    client.start();
    await waitFor(() => attempts >= 3);
    expect(client.state).toBe('reconnecting');
    client.stop();
  });

  it('ignores frames that do not match the protocol', async () => {
    const client = createClient();
    const seen: string[] = [];
    client.onMessage((m) => seen.push(m.type));
    client.start();
    await waitFor(() => seen.includes('welcome'));
    const conn = connections[0];
    if (!conn) throw new Error('no connection');
    conn.socket.send('not json');
    send(conn, { type: 'host.status', hostId: 'h1' });
    send(conn, { type: 'host.removed', organizationId: 'o1', hostId: 'h1' });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['welcome', 'host.removed']);
    client.stop();
  });
});
