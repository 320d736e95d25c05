/** @module websocket/connection — one socket's only send path: backpressure by frame class, 4008 past the caps. */
import { randomUUID } from 'node:crypto';
import { CLOSE_CODES, type ServerToAgent, type ServerToClient } from '@hostwire/protocol';
import { WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { ConnectionKind, ServerMetrics } from '../observability/metrics.js';
import { createFrame, createSocketFrame, type Frame } from '../realtime/bus/types.js';

/** How long a socket may stay congested before it is closed with 4008 (SECURITY.md: memory stays flat). */
export const SLOW_CONSUMER_TIMEOUT_MS = 30_000;
/** How often a congested socket is checked for room. */
const DRAIN_POLL_MS = 50;
/** After a server-initiated close, how long the peer gets to answer before the socket is destroyed. */
export const CLOSE_GRACE_MS = 2_000;

export interface ConnectionOptions {
  kind: ConnectionKind;
  /** Above this many bytes of `ws.bufferedAmount`, frames are held by class instead of written. */
  softBytes: number;
  /** Above this many bytes (buffered plus held), the socket is closed with 4008. */
  hardBytes: number;
  slowConsumerTimeoutMs?: number;
  metrics: ServerMetrics;
  logger: Logger;
}

/**
 * Wraps a ws socket. Below `softBytes` of `bufferedAmount` frames are written at once. Above it the
 * socket is congested: `metrics` frames coalesce to the newest per `coalesceKey`, `logs.lines` frames
 * are dropped and counted per stream, other frames queue. Every DRAIN_POLL_MS the held frames are
 * flushed (drop markers, then coalesced metrics, then queued events) while there is room. Past
 * `hardBytes` or after `slowConsumerTimeoutMs` of congestion the socket is closed with 4008.
 */
/** `Out`: what this socket sends — ServerToClient to a browser, ServerToAgent to an agent. */
export class Connection<Out extends ServerToClient | ServerToAgent = ServerToClient | ServerToAgent> {
  readonly id = randomUUID();
  /** Cleared by the heartbeat before each ping, set by the pong. */
  alive = true;
  /** Resolves with the close code once the socket is closed (whoever closed it). */
  readonly closed: Promise<number>;

  private closing = false;
  private congestedSince: number | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly coalesced = new Map<string, Frame>();
  private queue: Frame[] = [];
  private queueHead = 0;
  private readonly droppedLines = new Map<string, number>();
  private held = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly options: ConnectionOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number) => {
        this.closing = true;
        this.discardHeld();
        clearTimeout(this.graceTimer);
        options.metrics.connections.dec({ kind: options.kind });
        resolve(code);
      });
    });
    options.metrics.connections.inc({ kind: options.kind });
    ws.on('pong', () => {
      this.alive = true;
    });
  }

  get kind(): ConnectionKind {
    return this.options.kind;
  }

  /** True until a close started (locally or by the peer). */
  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes held by this connection's own queues (not counting the socket's `bufferedAmount`). */
  get heldBytes(): number {
    return this.held;
  }

  /** Serializes and sends one message (an `event` frame). */
  send(message: Out): void {
    this.sendFrame(createSocketFrame(message));
  }

  /** Sends a pre-serialized frame through the backpressure policy. */
  sendFrame(frame: Frame): void {
    if (!this.isOpen) return;
    if (this.congestedSince === undefined) {
      if (this.ws.bufferedAmount < this.options.softBytes) {
        this.write(frame);
        return;
      }
      this.congestedSince = Date.now();
      this.drainTimer = setInterval(() => this.drain(), DRAIN_POLL_MS);
      this.drainTimer.unref();
    }
    this.hold(frame);
    if (this.ws.bufferedAmount + this.held > this.options.hardBytes)
      this.closeSlowConsumer('send buffer over the hard cap');
  }

  /**
   * Starts a close handshake with `code`; held frames are discarded. A peer that does not answer within
   * CLOSE_GRACE_MS is destroyed.
   */
  close(code: number, reason = ''): void {
    if (this.closing) return;
    this.closing = true;
    this.discardHeld();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
    this.graceTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  /** Destroys the socket at once (no close frame). */
  terminate(): void {
    this.closing = true;
    this.discardHeld();
    this.ws.terminate();
  }

  private write(frame: Frame): void {
    const { kind, metrics } = this.options;
    this.ws.send(frame.data);
    metrics.framesOut.inc({ kind, type: frame.type });
    metrics.bytesOut.inc({ kind }, frame.bytes);
  }

  private hold(frame: Frame): void {
    const { kind, metrics } = this.options;
    if (frame.class === 'metrics') {
      const key = frame.coalesceKey ?? '';
      const previous = this.coalesced.get(key);
      if (previous) {
        this.adjustHeld(-previous.bytes);
        metrics.framesCoalesced.inc({ kind });
      }
      this.coalesced.set(key, frame);
      this.adjustHeld(frame.bytes);
      return;
    }
    if (frame.class === 'logs' && frame.streamId !== undefined) {
      const lines = frame.type === 'logs.lines' ? (frame.lines ?? 0) : undefined;
      if (lines !== undefined) {
        if (lines > 0) {
          this.droppedLines.set(frame.streamId, (this.droppedLines.get(frame.streamId) ?? 0) + lines);
          metrics.logLinesDropped.inc({ kind }, lines);
        }
        return;
      }
    }
    this.queue.push(frame);
    this.adjustHeld(frame.bytes);
  }

  private drain(): void {
    if (!this.isOpen) return this.stopCongestion();
    const since = this.congestedSince ?? Date.now();
    if (Date.now() - since > (this.options.slowConsumerTimeoutMs ?? SLOW_CONSUMER_TIMEOUT_MS)) {
      return this.closeSlowConsumer('congested for too long');
    }
    const room = () => this.ws.bufferedAmount < this.options.softBytes;
    for (const [streamId, count] of this.droppedLines) {
      if (!room()) return;
      this.droppedLines.delete(streamId);
      this.write(createFrame({ type: 'logs.dropped', streamId, count }));
    }
    for (const [key, frame] of this.coalesced) {
      if (!room()) return;
      this.coalesced.delete(key);
      this.adjustHeld(-frame.bytes);
      this.write(frame);
    }
    while (this.queueHead < this.queue.length) {
      if (!room()) return this.compactQueue();
      const frame = this.queue[this.queueHead];
      this.queueHead += 1;
      if (!frame) continue;
      this.adjustHeld(-frame.bytes);
      this.write(frame);
    }
    this.queue = [];
    this.queueHead = 0;
    this.stopCongestion();
  }

  private compactQueue(): void {
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private stopCongestion(): void {
    clearInterval(this.drainTimer);
    this.drainTimer = undefined;
    this.congestedSince = undefined;
  }

  private closeSlowConsumer(reason: string): void {
    const { kind, metrics, logger } = this.options;
    metrics.slowConsumerCloses.inc({ kind });
    logger.warn(
      {
        event: 'ws.slow_consumer',
        kind,
        connectionId: this.id,
        reason,
        bufferedAmount: this.ws.bufferedAmount,
        heldBytes: this.held,
      },
      'closing a slow WebSocket consumer',
    );
    this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
  }

  private discardHeld(): void {
    this.stopCongestion();
    this.coalesced.clear();
    this.droppedLines.clear();
    this.queue = [];
    this.queueHead = 0;
    this.adjustHeld(-this.held);
  }

  private adjustHeld(delta: number): void {
    if (delta === 0) return;
    this.held += delta;
    this.options.metrics.sendQueueBytes.inc({ kind: this.options.kind }, delta);
  }
}
