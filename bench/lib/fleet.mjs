/** @module bench/lib/fleet — connects many raw agents and clients to a target and drives the agents' samples. */
import WebSocket from 'ws';
import { helloFrame, makeSample, openPeer } from './peers.mjs';
import { mapLimit } from './targets.mjs';

/** An agent stops sending (and counts a skip) while this much is queued on its socket. */
const AGENT_BUFFER_LIMIT = 1024 * 1024;
const SUBSCRIBE_TIMEOUT_MS = 15_000;

/**
 * Connects one raw agent per host (at most `concurrency` handshakes in flight), sends `hello`, and
 * calls `onAck(count)` for every `metrics.ack`. Returns { agents: [{ ws, hostIndex, seq, sentAt }], failures }.
 */
export async function connectAgents(target, scope, hosts, { onAck, concurrency = 64 } = {}) {
  let failures = 0;
  const results = await mapLimit(hosts, concurrency, async (host, hostIndex) => {
    const { url, headers } = target.agentEndpoint(host);
    const opened = await openPeer(url, {
      headers,
      onMessage: (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'metrics.ack') onAck?.(message.seqs.length);
      },
    });
    if (!opened.ok) {
      failures += 1;
      return undefined;
    }
    scope.track(opened.ws);
    opened.ws.send(helloFrame(`bench-${hostIndex}`));
    return { ws: opened.ws, hostIndex, seq: 0, sentAt: new Map(), skipped: 0 };
  });
  return { agents: results.filter(Boolean), failures };
}

/**
 * Connects `count` raw clients; client i subscribes to `topicsFor(i)` and waits for every ack.
 * Metrics frames are reported as `onMetrics(hostIndex, seq, receivedAt)` (receivedAt = performance.now()).
 */
export async function connectClients(
  target,
  scope,
  count,
  topicsFor,
  { onMetrics, hostIndex, concurrency = 32 },
) {
  let failures = 0;
  let subscribeErrors = 0;
  let counter = 0;
  const sockets = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const pending = new Map();
      const opened = await openPeer(await target.clientUrl(), {
        onMessage: (data) => {
          const receivedAt = performance.now();
          const message = JSON.parse(String(data));
          if (message.type === 'metrics')
            onMetrics(hostIndex.get(message.hostId), message.sample.seq, receivedAt);
          else if ((message.type === 'ack' || message.type === 'error') && pending.has(message.id)) {
            if (message.type === 'error') subscribeErrors += 1;
            pending.get(message.id)();
            pending.delete(message.id);
          }
        },
      });
      if (!opened.ok) {
        failures += 1;
        return undefined;
      }
      scope.track(opened.ws);
      const acks = topicsFor(i).map((topic) => {
        const id = `s${++counter}`;
        const acked = new Promise((resolve) => pending.set(id, resolve));
        opened.ws.send(JSON.stringify({ type: 'subscribe', id, topic }));
        return acked;
      });
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`client ${i}: subscriptions not acked in ${SUBSCRIBE_TIMEOUT_MS} ms`)),
          SUBSCRIBE_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([Promise.all(acks), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return opened.ws;
    },
  );
  if (subscribeErrors > 0) throw new Error(`${subscribeErrors} subscriptions were refused`);
  return { sockets: sockets.filter(Boolean), connected: sockets.filter(Boolean).length, failures };
}

/**
 * Every agent sends `metrics` with one fresh sample every 1/`rate` s (phases spread at random), and
 * `onSent(hostIndex)` is called per sample. Returns a function that stops sending.
 */
export function sendMetrics(scope, fleet, rate, onSent) {
  const period = 1000 / rate;
  const timers = [];
  for (const agent of fleet.agents) {
    const tick = () => {
      if (agent.ws.readyState !== WebSocket.OPEN) return;
      if (agent.ws.bufferedAmount > AGENT_BUFFER_LIMIT) {
        agent.skipped += 1;
        return;
      }
      agent.seq += 1;
      const frame = JSON.stringify({ type: 'metrics', samples: [makeSample(agent.seq, Date.now())] });
      agent.sentAt.set(agent.seq, performance.now());
      agent.ws.send(frame);
      onSent(agent.hostIndex);
    };
    timers.push(
      scope.after(Math.random() * period, () => {
        tick();
        timers.push(scope.every(period, tick));
      }),
    );
  }
  return () => {
    for (const timer of timers) scope.clear(timer);
  };
}
