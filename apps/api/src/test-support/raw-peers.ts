/** @module test-support/raw-peers — real `ws` agents and browsers speaking raw JSON to a test server. */
import type { AgentHello, MetricsSample, ServerToAgent, ServerToClient } from '@hostwire/protocol';
import { WebSocket, type ClientOptions } from 'ws';
import { handshake, waitFor, type Json } from './ws-client.js';
import type { TestServer } from './start-test-server.js';

type Message = { type: string; id?: string; [key: string]: unknown };

/** A TestSocket that speaks the protocol: typed frames and request/answer correlation. */
export interface RawPeer<In extends Message> {
  ws: WebSocket;
  messages: In[];
  send(message: object): void;
  /** Resolves with the first received message (past or future) matching `predicate`. */
  next<T extends In>(predicate: (m: In) => m is T, timeoutMs?: number): Promise<T>;
  next(predicate: (m: In) => boolean, timeoutMs?: number): Promise<In>;
  /** Sends a request with a fresh id and resolves with its `ack` or `error`. */
  request(message: object, timeoutMs?: number): Promise<In>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

let counter = 0;

async function open<In extends Message>(url: string, options: ClientOptions): Promise<RawPeer<In>> {
  const outcome = await handshake(url, options);
  const socket = outcome.socket;
  if (!outcome.opened || !socket) throw new Error(`upgrade refused with ${outcome.status}: ${outcome.body}`);
  const { ws } = socket;
  const peer: RawPeer<In> = {
    ws,
    messages: socket.messages as In[],
    send: (message) => socket.send(message as Json),
    next: (predicate: (m: In) => boolean, timeoutMs?: number) =>
      socket.next(predicate as (m: Json) => boolean, timeoutMs) as Promise<In>,
    request(message, timeoutMs) {
      const id = `r${++counter}`;
      peer.send({ ...message, id });
      return peer.next((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, timeoutMs);
    },
    closed: socket.closed,
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await socket.closed;
    },
  };
  return peer;
}

export { waitFor };

export const DEFAULT_HELLO: Omit<AgentHello, 'type'> = {
  agentVersion: 'test',
  hostname: 'raw-agent',
  os: { platform: 'linux', release: '6.1', arch: 'x64' },
  capabilities: ['metrics', 'logs', 'actions'],
  actions: [
    {
      name: 'uptime',
      description: 'uptime',
      params: {},
      dangerous: false,
      timeoutMs: 10_000,
      outputCapBytes: 65536,
    },
    {
      name: 'restart-service',
      description: 'restart a unit',
      params: { unit: { type: 'string', required: true, enum: ['nginx', 'postgresql'], maxLength: 256 } },
      dangerous: true,
      timeoutMs: 60_000,
      outputCapBytes: 65536,
    },
  ],
  logSources: [{ name: 'syslog', kind: 'file', description: '' }],
};

/**
 * An agent socket that has read `welcome` and (unless `hello` is null) sent `hello`, stored by the hub. With
 * `hello: null` the socket has not taken over its host yet: it does so only once the test sends `hello`, and
 * the server closes it with 1008 if none comes within `WS_HANDSHAKE_TIMEOUT_MS`.
 */
export async function connectRawAgent(
  server: TestServer,
  host: { hostId: string; agentToken: string },
  hello: Partial<AgentHello> | null = {},
): Promise<RawPeer<ServerToAgent & Message>> {
  const peer = await open<ServerToAgent & Message>(`${server.wsUrl}/ws/agent/${host.hostId}`, {
    headers: { authorization: `Bearer ${host.agentToken}` },
  });
  await peer.next((m) => m.type === 'welcome');
  if (hello) {
    const before = (await server.ctx.store.hosts.findById(host.hostId))?.agent;
    // A fresh hostname makes each hello distinguishable in the store.
    peer.send({ type: 'hello', ...DEFAULT_HELLO, hostname: `raw-agent-${++counter}`, ...hello });
    // The hub persists the hello before acting on it: once stored, requests can rely on the catalog.
    await waitFor(async () => {
      const agent = (await server.ctx.store.hosts.findById(host.hostId))?.agent;
      return (
        agent !== null && agent !== undefined && JSON.stringify(agent) !== JSON.stringify(before ?? null)
      );
    });
  }
  return peer;
}

export async function connectRawClient(
  server: TestServer,
  cookie: string,
): Promise<RawPeer<ServerToClient & Message>> {
  const ticket = await server.ticket(cookie);
  const peer = await open<ServerToClient & Message>(`${server.wsUrl}/ws/client?ticket=${ticket}`, {});
  await peer.next((m) => m.type === 'welcome');
  return peer;
}

/** A valid sample; `overrides` replace top-level fields. */
export function makeSample(seq: number, ts: number, overrides: Partial<MetricsSample> = {}): MetricsSample {
  return {
    seq,
    ts,
    cpu: { total: 12.5, cores: [10, 15] },
    load: [0.5, 0.4, 0.3],
    memory: { total: 8e9, used: 2e9, available: 6e9, swapTotal: 1e9, swapUsed: 0 },
    filesystems: [{ mount: '/', fstype: 'ext4', total: 1e11, used: 4e10 }],
    disk: { readBps: 100, writeBps: 200, devices: [{ name: 'vda', readBps: 100, writeBps: 200 }] },
    network: { rxBps: 1000, txBps: 2000, interfaces: [{ name: 'eth0', rxBps: 1000, txBps: 2000 }] },
    uptime: 1000,
    processes: { count: 100, topCpu: [], topMemory: [] },
    ...overrides,
  };
}
