#!/usr/bin/env node
/**
 * @module bench/peers/bare-ws-server — the side-by-side baseline: a bare `ws` relay with no auth, no
 * validation, no storage and no backpressure. `/ws/agent/<id>` gets `welcome`, every `metrics` frame is
 * acked with `metrics.ack` and its newest sample is re-serialized once and written to every client
 * subscribed to `host:<id>`; `/ws/client` gets `welcome` and `subscribe`/`unsubscribe` (acked).
 * GET /healthz answers 200. Env: PORT (default 0), HOST (default 127.0.0.1).
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const limits = { maxPayloadBytes: 64 * 1024, messagesPerSecond: 100_000 };

/** topic → Set of client sockets. */
const topics = new Map();

function welcome(extra = {}) {
  return JSON.stringify({
    type: 'welcome',
    serverTime: Date.now(),
    heartbeatIntervalMs: 30_000,
    limits,
    ...extra,
  });
}

function onAgent(ws, hostId) {
  ws.send(welcome());
  const topic = `host:${hostId}`;
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type !== 'metrics') return;
    const samples = message.samples;
    ws.send(JSON.stringify({ type: 'metrics.ack', seqs: samples.map((s) => s.seq) }));
    const followers = topics.get(topic);
    if (!followers || followers.size === 0) return;
    const live = samples.reduce((a, b) => (b.ts >= a.ts ? b : a));
    const frame = JSON.stringify({ type: 'metrics', hostId, sample: live });
    for (const client of followers) client.send(frame);
  });
}

function onClient(ws) {
  ws.send(welcome({ userId: 'bare', organizations: [] }));
  const mine = new Set();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (message.type === 'subscribe') {
      let set = topics.get(message.topic);
      if (!set) topics.set(message.topic, (set = new Set()));
      set.add(ws);
      mine.add(message.topic);
    } else if (message.type === 'unsubscribe') {
      topics.get(message.topic)?.delete(ws);
      mine.delete(message.topic);
    }
    if (message.id !== undefined) ws.send(JSON.stringify({ type: 'ack', id: message.id }));
  });
  ws.on('close', () => {
    for (const topic of mine) topics.get(topic)?.delete(ws);
  });
}

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => undefined);
  const url = new URL(req.url ?? '/', 'http://bare');
  const agent = /^\/ws\/agent\/([^/]+)$/.exec(url.pathname);
  if (!agent && url.pathname !== '/ws/client') {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => undefined);
    if (agent) onAgent(ws, decodeURIComponent(agent[1]));
    else onClient(ws);
  });
});
server.listen(port, host, () => {
  process.stderr.write(`bare-ws-server listening on ${host}:${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    process.exit(0);
  });
}
