/** @module bench/lib/slow-consumer — one client stops reading while an agent floods its host: memory and 4008. */
import WebSocket from 'ws';
import { connectClients } from './fleet.mjs';
import { helloFrame, makeSample, openPeer } from './peers.mjs';
import { procStats, sleep } from './process.mjs';
import { Latencies } from './stats.mjs';

const AGENT_BUFFER_LIMIT = 1024 * 1024;
/** After the window, how long samples sent in it may still arrive and count as delivered (default). */
const GRACE_MS = 2000;

/**
 * One agent floods `metrics` (one ~7 KB sample per batch, at most `inflight` unacked batches and
 * `maxBatchesPerSecond`); a healthy client and a slow client (socket paused: it never reads) follow the
 * host. After `warmupMs` of flood, server RSS is read, then every second over `windowMs`, then again.
 * Reports the healthy client's delivery and latency, and whether the server closed the slow one with
 * 4008 (Hostwire's counter), watching up to `observeCloseMs` from the start of the window.
 * `slowClient: false` is the control run: the same flood with nobody stalled.
 */
export async function runSlowConsumer(target, scope, options = {}) {
  const {
    windowMs = 10_000,
    warmupMs = 2000,
    graceMs = GRACE_MS,
    observeCloseMs = 0,
    maxBatchesPerSecond = 2000,
    inflight = 32,
    slowClient = true,
  } = options;
  const [host] = await target.provisionHosts(1);
  const flood = { stopped: false, seq: 0, sent: 0, acked: 0, inflight: 0, tokens: 0, sentAt: new Map() };
  let pump = () => undefined;
  const { url, headers } = target.agentEndpoint(host);
  const agent = await openPeer(url, {
    headers,
    onMessage: (data) => {
      const message = JSON.parse(String(data));
      if (message.type !== 'metrics.ack') return;
      flood.acked += message.seqs.length;
      flood.inflight -= 1;
      pump();
    },
  });
  if (!agent.ok) throw new Error(`agent could not connect: ${agent.status ?? agent.error}`);
  scope.track(agent.ws);
  agent.ws.send(helloFrame('bench-flood'));

  const win = { counting: false, from: Infinity, to: Infinity };
  const healthy = { received: 0, inWindow: 0, latencies: new Latencies() };
  const hostIndex = new Map([[host.hostId, 0]]);
  const topics = () => [`host:${host.hostId}`];
  await connectClients(target, scope, 1, topics, {
    hostIndex,
    onMetrics: (_h, seq, receivedAt) => {
      if (seq >= win.from && seq <= win.to) healthy.inWindow += 1;
      if (!win.counting) return;
      healthy.received += 1;
      const sentAt = flood.sentAt.get(seq);
      if (sentAt !== undefined) healthy.latencies.push(receivedAt - sentAt);
    },
  });
  const slowWs = slowClient
    ? (await connectClients(target, scope, 1, topics, { hostIndex, onMetrics: () => undefined })).sockets[0]
    : undefined;
  let slowClose;
  slowWs?.once('close', (code) => (slowClose = code));
  slowWs?.pause();
  await sleep(500);
  const rssIdle = procStats(target.pid).rssBytes;

  // The sample after its seq and ts, so each batch is built by concatenation, not re-serialized.
  const sample = JSON.stringify(makeSample(1, 0, 'large'));
  const rest = sample.slice('{"seq":1,"ts":0,'.length);
  pump = () => {
    while (
      !flood.stopped &&
      flood.inflight < inflight &&
      flood.tokens >= 1 &&
      agent.ws.readyState === WebSocket.OPEN &&
      agent.ws.bufferedAmount < AGENT_BUFFER_LIMIT
    ) {
      flood.tokens -= 1;
      flood.seq += 1;
      flood.inflight += 1;
      flood.sent += 1;
      flood.sentAt.set(flood.seq, performance.now());
      agent.ws.send(`{"type":"metrics","samples":[{"seq":${flood.seq},"ts":${Date.now()},${rest}]}`);
    }
  };
  scope.every(10, () => {
    flood.tokens = Math.min(maxBatchesPerSecond / 100, flood.tokens + maxBatchesPerSecond / 100);
    pump();
  });
  await sleep(warmupMs);

  const rssBefore = procStats(target.pid).rssBytes;
  const heapBefore = await target.promValue('nodejs_heap_size_used_bytes');
  const rssSeries = [];
  const start = { sent: flood.sent, acked: flood.acked };
  win.from = flood.seq + 1;
  win.counting = true;
  const t0 = performance.now();
  const rssTimer = scope.every(1000, () => rssSeries.push(procStats(target.pid).rssBytes));
  await sleep(windowMs);
  win.counting = false;
  win.to = flood.seq;
  const seconds = (performance.now() - t0) / 1000;
  const rssAfter = procStats(target.pid).rssBytes;
  scope.clear(rssTimer);
  const sent = flood.sent - start.sent;
  const acked = flood.acked - start.acked;
  const heapAfter = await target.promValue('nodejs_heap_size_used_bytes');
  const sendQueueBytes = await target.promValue('hostwire_ws_send_queue_bytes');

  let closedByServerAfterMs;
  const deadline = t0 + Math.max(windowMs + graceMs, observeCloseMs);
  for (;;) {
    if (slowWs && ((await target.promValue('hostwire_ws_slow_consumer_closes_total')) ?? 0) > 0) {
      closedByServerAfterMs = performance.now() - t0 + warmupMs;
      break;
    }
    if (performance.now() >= deadline) break;
    await sleep(250);
  }
  const coalesced = await target.promValue('hostwire_ws_frames_coalesced_total');
  flood.stopped = true;
  slowWs?.resume();
  for (let i = 0; slowWs && i < 10 && slowClose === undefined; i += 1) await sleep(100);

  return {
    target: target.kind,
    slowClient,
    windowSeconds: seconds,
    sampleBytes: sample.length,
    batchesSentPerSecond: sent / seconds,
    batchesAckedPerSecond: acked / seconds,
    healthyReceivedPerSecond: healthy.received / seconds,
    healthyDeliveredPercent: win.to >= win.from ? (healthy.inWindow / (win.to - win.from + 1)) * 100 : NaN,
    healthyLatencyMs: healthy.latencies.summary(),
    rssIdleBytes: rssIdle,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: rssAfter,
    rssPeakBytes: Math.max(rssBefore, rssAfter, ...rssSeries),
    rssSeriesBytes: rssSeries,
    heapUsedBeforeBytes: heapBefore ?? null,
    heapUsedAfterBytes: heapAfter ?? null,
    sendQueueBytes: sendQueueBytes ?? null,
    framesCoalesced: coalesced ?? null,
    closedByServerAfterMs: closedByServerAfterMs ?? null,
    slowClientCloseCode: slowClose ?? null,
  };
}
