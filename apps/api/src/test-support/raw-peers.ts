/** @module test-support/raw-peers — real `ws` agents and browsers speaking raw JSON to a test server. */
import type { AgentHello, MetricsSample, ServerToAgent, ServerToClient } from '@hostwire/protocol';
import WebSocket from 'ws';
import type { TestServer } from './start-test-server.js';

type Message = { type: string; id?: string; [key: string]: unknown };

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

function open<In extends Message>(url: string, options: WebSocket.ClientOptions): Promise<RawPeer<In>> {
  const ws = new WebSocket(url, options);
  const messages: In[] = [];
  const waiters = new Set<{ predicate: (m: In) => boolean; resolve: (m: In) => void }>();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as In;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  });
  const peer: RawPeer<In> = {
    ws,
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    next(predicate: (m: In) => boolean, timeoutMs = 5000): Promise<In> {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: In) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for a message; got: ${messages.map((m) => m.type).join(', ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    request(message, timeoutMs) {
      const id = `r${++counter}`;
      peer.send({ ...message, id });
      return peer.next((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, timeoutMs);
    },
    closed,
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(peer));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Polls `condition` every 10 ms until it holds (or throws after `timeoutMs`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const DEFAULT_HELLO: Omit<AgentHello, 'type'> = {
  agentVersion: 'test',
  hostname: 'raw-agent',
  os: { platform: 'linux', release: '6.1', arch: 'x64' },
  capabilities: ['metrics', 'logs', 'actions'],
  actions: [
    { name: 'uptime', description: 'uptime', params: {}, dangerous: false, timeoutMs: 10_000, outputCapBytes: 65536 },
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

export async function connectRawAgent(server: TestServer, host: { hostId: string; agentToken: string }, hello: Partial<AgentHello> | null = {}): Promise<RawPeer<ServerToAgent & Message>> {
  const peer = await open<ServerToAgent & Message>(`${server.wsUrl}/ws/agent/${host.hostId}`, { headers: { authorization: `Bearer ${host.agentToken}` } });
  await peer.next((m) => m.type === 'welcome');
  if (hello) {
    const before = (await server.ctx.store.hosts.findById(host.hostId))?.agent;
    // A fresh hostname makes each hello distinguishable in the store.
    peer.send({ type: 'hello', ...DEFAULT_HELLO, hostname: `raw-agent-${++counter}`, ...hello });
    // The hub persists the hello before acting on it: once stored, requests can rely on the catalog.
    await waitFor(async () => {
      const agent = (await server.ctx.store.hosts.findById(host.hostId))?.agent;
      return agent !== null && agent !== undefined && JSON.stringify(agent) !== JSON.stringify(before ?? null);
    });
  }
  return peer;
}

export async function connectRawClient(server: TestServer, cookie: string): Promise<RawPeer<ServerToClient & Message>> {
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
