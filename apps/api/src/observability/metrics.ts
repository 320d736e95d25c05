/** @module observability/metrics — the Prometheus registry of one server: gateway, hub and process metrics. */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** `agent` or `client`: which WebSocket endpoint a connection came through. */
export type ConnectionKind = 'agent' | 'client';

/** Every metric the API exports on `GET /metrics`, in one registry per server (tests run many servers). */
export interface ServerMetrics {
  registry: Registry;
  /** Open WebSocket connections by `kind`. */
  connections: Gauge<'kind'>;
  /** Upgrades answered with an HTTP error instead of a 101, by `status`. */
  upgradesRefused: Counter<'status'>;
  /** Frames received, by `kind` and protocol `type` (`invalid` and `binary` for refused frames). */
  framesIn: Counter<'kind' | 'type'>;
  /** Frames sent, by `kind` and protocol `type`. */
  framesOut: Counter<'kind' | 'type'>;
  bytesIn: Counter<'kind'>;
  bytesOut: Counter<'kind'>;
  /** Metrics frames replaced by a newer one on a congested socket. */
  framesCoalesced: Counter<'kind'>;
  /** Log lines dropped on a congested socket (each drop is reported to the viewer as `logs.dropped`). */
  logLinesDropped: Counter<'kind'>;
  /** Sockets closed with 4008 because they did not keep up. */
  slowConsumerCloses: Counter<'kind'>;
  /** Bytes held in the gateway's own per-socket queues (coalesced metrics and queued events). */
  sendQueueBytes: Gauge<'kind'>;
  /** Metrics samples stored (new ones only; duplicates of a replay are not counted). */
  samplesIngested: Counter;
  /** Samples refused: over the host's quota, or with a timestamp outside the accepted range. */
  samplesRefused: Counter<'reason'>;
  /** Actions sent to an agent. */
  actionsStarted: Counter;
  /** Alert notification attempts by outcome (delivered, retry, failed). */
  alertDeliveries: Counter<'result'>;
  /**
   * (container rule, container) pairs of a sample left unevaluated, by `reason`: `limit` (over
   * ALERT_EVALUATIONS_PER_SAMPLE) or `new_names` (the frame's budget for matching new names).
   */
  alertEvaluationsSkipped: Counter<'reason'>;
  /** New alerts a rule did not open at one evaluation: over ALERT_MAX_OPEN_PER_EVALUATION. */
  alertOpensCapped: Counter;
}

/**
 * Creates a fresh registry with the default process metrics (event-loop lag and its percentiles, heap,
 * GC, handles) and the Hostwire metrics.
 */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: ServerMetrics = {
    registry,
    connections: new Gauge({
      name: 'hostwire_ws_connections',
      help: 'Open WebSocket connections',
      labelNames: ['kind'],
      registers,
    }),
    upgradesRefused: new Counter({
      name: 'hostwire_ws_upgrades_refused_total',
      help: 'WebSocket upgrades refused with an HTTP status',
      labelNames: ['status'],
      registers,
    }),
    framesIn: new Counter({
      name: 'hostwire_ws_frames_in_total',
      help: 'WebSocket frames received',
      labelNames: ['kind', 'type'],
      registers,
    }),
    framesOut: new Counter({
      name: 'hostwire_ws_frames_out_total',
      help: 'WebSocket frames sent',
      labelNames: ['kind', 'type'],
      registers,
    }),
    bytesIn: new Counter({
      name: 'hostwire_ws_bytes_in_total',
      help: 'WebSocket payload bytes received',
      labelNames: ['kind'],
      registers,
    }),
    bytesOut: new Counter({
      name: 'hostwire_ws_bytes_out_total',
      help: 'WebSocket payload bytes sent',
      labelNames: ['kind'],
      registers,
    }),
    framesCoalesced: new Counter({
      name: 'hostwire_ws_frames_coalesced_total',
      help: 'Metrics frames replaced by a newer one while the socket was congested',
      labelNames: ['kind'],
      registers,
    }),
    logLinesDropped: new Counter({
      name: 'hostwire_ws_log_lines_dropped_total',
      help: 'Log lines dropped while the socket was congested',
      labelNames: ['kind'],
      registers,
    }),
    slowConsumerCloses: new Counter({
      name: 'hostwire_ws_slow_consumer_closes_total',
      help: 'Sockets closed with 4008 because they did not keep up',
      labelNames: ['kind'],
      registers,
    }),
    sendQueueBytes: new Gauge({
      name: 'hostwire_ws_send_queue_bytes',
      help: 'Bytes waiting in the gateway send queues of congested sockets',
      labelNames: ['kind'],
      registers,
    }),
    samplesRefused: new Counter({
      name: 'hostwire_metrics_samples_refused_total',
      help: 'Metrics samples refused (reason: quota or timestamp)',
      labelNames: ['reason'],
      registers,
    }),
    samplesIngested: new Counter({
      name: 'hostwire_metrics_samples_ingested_total',
      help: 'Metrics samples stored',
      registers,
    }),
    actionsStarted: new Counter({
      name: 'hostwire_actions_started_total',
      help: 'Actions sent to an agent',
      registers,
    }),
    alertDeliveries: new Counter({
      name: 'hostwire_alert_delivery_attempts_total',
      help: 'Alert notification attempts (result: delivered, retry or failed)',
      labelNames: ['result'],
      registers,
    }),
    alertEvaluationsSkipped: new Counter({
      name: 'hostwire_alert_container_evaluations_skipped_total',
      help: 'Container rule x container evaluations skipped (reason: limit, over ALERT_EVALUATIONS_PER_SAMPLE; new_names, over the budget for matching new container names in one frame)',
      labelNames: ['reason'],
      registers,
    }),
    alertOpensCapped: new Counter({
      name: 'hostwire_alert_opens_capped_total',
      help: 'New alerts not opened at an evaluation because their rule reached ALERT_MAX_OPEN_PER_EVALUATION (they open at a later sample while they still hold)',
      registers,
    }),
  };
  // Both reasons are on /metrics from the start, at 0, so that a rate over them is defined.
  for (const reason of ['limit', 'new_names']) metrics.alertEvaluationsSkipped.labels(reason).inc(0);
  return metrics;
}
