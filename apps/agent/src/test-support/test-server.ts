/** @module test-support/test-server — a real `ws` server on port 0 standing in for the gateway in agent tests. */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentToServer } from '@hostwire/protocol';
import type { ServerToAgent } from '@hostwire/protocol';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

export interface AgentPeer {
  socket: WebSocket;
  request: IncomingMessage;
  frames: AgentToServer[];
  invalid: unknown[];
  send(frame: ServerToAgent): void;
}

export interface TestGateway {
  url: string;
  port: number;
  peers: AgentPeer[];
  /** Upgrade attempts seen (including refused ones). */
  attempts: number;
  /** Answer the next upgrades with this HTTP status (and headers) instead of accepting. */
  refuseWith(status: number, headers?: Record<string, string>): void;
  acceptAll(): void;
  onConnection(handler: (peer: AgentPeer) => void): void;
  close(): Promise<void>;
}

/** Starts an HTTP server with a `ws` server in noServer mode that welcomes every agent. */
export async function startTestGateway(
  options: { heartbeatIntervalMs?: number; maxPayloadBytes?: number; port?: number } = {},
): Promise<TestGateway> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  let refusal: { status: number; headers: Record<string, string> } | undefined;
  const handlers: ((peer: AgentPeer) => void)[] = [];
  const gateway: TestGateway = {
    url: '',
    port: 0,
    peers: [],
    attempts: 0,
    refuseWith(status, headers = {}) {
      refusal = { status, headers };
    },
    acceptAll() {
      refusal = undefined;
    },
    onConnection(handler) {
      handlers.push(handler);
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  http.on('upgrade', (req, socket, head) => {
    gateway.attempts += 1;
    if (refusal) {
      const extra = Object.entries(refusal.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer: AgentPeer = {
        socket: ws,
        request: req,
        frames: [],
        invalid: [],
        send: (frame) => ws.send(JSON.stringify(frame)),
      };
      ws.on('message', (data: Buffer) => {
        const value: unknown = JSON.parse(data.toString('utf8'));
        const parsed = AgentToServer.safeParse(value);
        if (parsed.success) peer.frames.push(parsed.data);
        else peer.invalid.push(value);
      });
      ws.on('error', () => undefined);
      gateway.peers.push(peer);
      peer.send({
        type: 'welcome',
        serverTime: Date.now(),
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 25_000,
        limits: { maxPayloadBytes: options.maxPayloadBytes ?? 64 * 1024, messagesPerSecond: 100 },
      });
      for (const handler of handlers) handler(peer);
    });
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  gateway.port = (http.address() as AddressInfo).port;
  gateway.url = `http://127.0.0.1:${gateway.port}`;
  return gateway;
}
