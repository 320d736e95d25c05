/**
 * @module client — the browser's realtime connection: ticket, connect, request/ack correlation, topic and
 * log-tail registries replayed after every reconnect, full-jitter backoff, resync signals. Framework-free.
 */
import { CLOSE_CODES, ServerToClient, parseRetryHint, type ClientToServer } from '@hostwire/protocol';
import type { z } from 'zod';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';
import {
  LogStreamEntry,
  type LogStreamHandle,
  type LogStreamListener,
  type LogStreamParams,
} from './log-stream.js';
import { SOCKET_OPEN, type SocketConstructor, type SocketLike } from './socket.js';

/** How often a tail of a host whose agent is offline is tried again (also on its `host.status` online). */
const LOG_RETRY_MS = 10_000;

/** `connecting` is the first attempt; `reconnecting` every later one; `closed` after `stop()` or a lost session. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

type Ack = Extract<ServerToClient, { type: 'ack' }>;
/** The first frame of every connection. */
export type Welcome = Extract<ServerToClient, { type: 'welcome' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A client frame without its `id` (the client assigns one). */
export type OutgoingRequest = DistributiveOmit<z.input<typeof ClientToServer>, 'id'>;

/** An `error` answer to a request, or a request that could not be sent. */
export class RealtimeRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RealtimeRequestError';
  }
}

/** How the client reaches the server; everything is injectable for tests. */
export interface RealtimeClientOptions {
  /** Fetches a single-use ticket (`POST /api/ws-ticket`). */
  getTicket: () => Promise<string>;
  /** The socket URL for a ticket. */
  url: (ticket: string) => string;
  WebSocket: SocketConstructor;
  backoff?: BackoffOptions;
  random?: () => number;
  requestTimeoutMs?: number;
  /** True when a failed ticket request means the session is gone (HTTP 401). */
  isSessionError?: (error: unknown) => boolean;
  /** Called once when the server closes with 4001 or the session is gone: go to the login page. */
  onSessionEnded?: () => void;
  /** The clock (tests pass their own). */
  now?: () => number;
}

/** `null`: everything may have been missed (reconnect); otherwise the topics named by a `gap` frame. */
export type ResyncListener = (topics: readonly string[] | null) => void;

// Callbacks, not promise resolvers: an ack must be applied before the next frame of the same chunk
// (log lines right after a `logs.subscribe` ack), and promise continuations run too late for that.
interface Pending {
  onAck: (ack: Ack) => void;
  onError: (error: RealtimeRequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One realtime connection per signed-in browser tab. */
export class RealtimeClient {
  private socket: SocketLike | null = null;
  private stateValue: ConnectionState = 'idle';
  private attempt = 0;
  private everOpened = false;
  private welcomeValue: Welcome | null = null;
  private reconnectedAtValue: number | null = null;
  private now: () => number;
  private stopped = false;
  private generation = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly topics = new Map<string, number>();
  private readonly logStreams = new Set<LogStreamEntry>();
  private readonly byStreamId = new Map<string, LogStreamEntry>();
  private readonly eventListeners = new Set<(message: ServerToClient) => void>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly resyncListeners = new Set<ResyncListener>();

  constructor(private readonly options: RealtimeClientOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The `welcome` of the current (or last) connection; null before the first one. */
  get welcome(): Welcome | null {
    return this.welcomeValue;
  }

  /** When the connection last came back after being lost (null if it never was). */
  get reconnectedAt(): number | null {
    return this.reconnectedAtValue;
  }

  /** Opens the connection (idempotent). */
  start(): void {
    if (this.stateValue !== 'idle') return;
    void this.connect();
  }

  /** Closes the connection for good. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(CLOSE_CODES.NORMAL, 'client stopped');
    this.failPending('The connection was closed');
    for (const entry of this.logStreams) if (entry.retryTimer) clearTimeout(entry.retryTimer);
    this.setState('closed');
  }

  /** Every valid frame from the server. Returns the unsubscribe function. */
  onMessage(listener: (message: ServerToClient) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Connection state changes. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Told after a reconnect (`null`), a `gap` frame, or the ack of a topic subscription (that topic), so
   * views refetch what they may have missed.
   */
  onResync(listener: ResyncListener): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /** Sends a request and resolves with its `ack`; rejects with the server's `error` or when not connected. */
  request(message: OutgoingRequest): Promise<Ack> {
    return new Promise<Ack>((resolve, reject) => this.send(message, resolve, reject));
  }

  private send(message: OutgoingRequest, onAck: Pending['onAck'], onError: Pending['onError']): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== SOCKET_OPEN || this.stateValue !== 'open') {
      onError(new RealtimeRequestError('unavailable', 'The live connection is down'));
      return;
    }
    const id = `r${this.nextId++}`;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      onError(new RealtimeRequestError('timeout', 'The server did not answer in time'));
    }, this.options.requestTimeoutMs ?? 15_000);
    this.pending.set(id, { onAck, onError, timer });
    socket.send(JSON.stringify({ ...message, id }));
  }

  /** Receives the events of `topic` (reference-counted; replayed after reconnects). Returns the unsubscribe. */
  subscribe(topic: string): () => void {
    const count = this.topics.get(topic) ?? 0;
    this.topics.set(topic, count + 1);
    if (count === 0 && this.stateValue === 'open') this.sendSubscribe(topic);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.topics.get(topic) ?? 1) - 1;
      if (left > 0) {
        this.topics.set(topic, left);
        return;
      }
      this.topics.delete(topic);
      if (this.stateValue === 'open') this.request({ type: 'unsubscribe', topic }).catch(() => undefined);
    };
  }

  /** Tails a log source; the tail follows the view across reconnects until `close()`. */
  openLogStream(params: LogStreamParams, listener: LogStreamListener): LogStreamHandle {
    const entry = new LogStreamEntry(params, listener);
    this.logStreams.add(entry);
    if (this.stateValue === 'open') this.sendLogSubscribe(entry);
    return {
      close: () => {
        if (entry.closed) return;
        entry.closed = true;
        if (entry.retryTimer) clearTimeout(entry.retryTimer);
        this.logStreams.delete(entry);
        if (entry.streamId) {
          this.byStreamId.delete(entry.streamId);
          if (this.stateValue === 'open') {
            this.request({ type: 'logs.unsubscribe', streamId: entry.streamId }).catch(() => undefined);
          }
        }
      },
    };
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.setState(this.everOpened || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let ticket: string;
    try {
      ticket = await this.options.getTicket();
    } catch (error) {
      if (generation !== this.generation) return;
      if (this.options.isSessionError?.(error)) this.endSession();
      else this.scheduleReconnect(0);
      return;
    }
    if (generation !== this.generation) return;
    const socket = new this.options.WebSocket(this.options.url(ticket));
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket === socket) this.handleOpen();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket && typeof event.data === 'string') this.handleFrame(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket === socket) this.handleClose(event.code, event.reason);
    });
    // A failed connection also emits `close`, which decides what happens next.
    socket.addEventListener('error', () => undefined);
  }

  private handleOpen(): void {
    const reconnected = this.everOpened;
    this.everOpened = true;
    if (reconnected) this.reconnectedAtValue = this.now();
    this.setState('open');
    for (const topic of this.topics.keys()) this.sendSubscribe(topic);
    for (const entry of this.logStreams) this.sendLogSubscribe(entry);
    if (reconnected) for (const listener of this.resyncListeners) listener(null);
  }

  private handleFrame(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = ServerToClient.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    if ((message.type === 'ack' || message.type === 'error') && message.id !== undefined) {
      const pending = this.pending.get(message.id);
      if (pending) {
        this.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.type === 'ack') pending.onAck(message);
        else pending.onError(new RealtimeRequestError(message.code, message.message));
        return;
      }
    }
    if (message.type === 'welcome') {
      this.attempt = 0;
      this.welcomeValue = message;
    }
    if (message.type === 'gap') for (const listener of this.resyncListeners) listener(message.topics);
    if (message.type === 'host.status' && message.status === 'online') {
      for (const entry of this.logStreams) {
        if (entry.params.hostId === message.hostId && entry.retryTimer) this.sendLogSubscribe(entry);
      }
    }
    this.routeLogEvent(message);
    for (const listener of this.eventListeners) listener(message);
  }

  private routeLogEvent(message: ServerToClient): void {
    if (message.type === 'ack' || !('streamId' in message)) return;
    const entry = this.byStreamId.get(message.streamId);
    if (!entry) return;
    switch (message.type) {
      case 'logs.lines':
        entry.lines(message.lines);
        break;
      case 'logs.dropped':
        entry.emit({ type: 'dropped', count: message.count });
        break;
      case 'logs.interrupted':
        entry.emit({ type: 'interrupted', reason: message.reason });
        break;
      case 'logs.resumed':
        entry.emit({ type: 'resumed' });
        break;
      case 'logs.ended':
        this.byStreamId.delete(message.streamId);
        this.logStreams.delete(entry);
        entry.closed = true;
        entry.emit({ type: 'ended', reason: message.reason });
        break;
      default:
        break;
    }
  }

  private handleClose(code: number, reason: string): void {
    this.socket = null;
    this.failPending('The connection was lost');
    this.byStreamId.clear();
    for (const entry of this.logStreams) entry.detached('connection lost');
    if (this.stopped) return;
    if (code === CLOSE_CODES.CREDENTIALS_REVOKED) {
      this.endSession();
      return;
    }
    this.scheduleReconnect((parseRetryHint(reason) ?? 0) * 1000);
  }

  private scheduleReconnect(minimumMs: number): void {
    if (this.stopped) return;
    this.setState('reconnecting');
    const delay = backoffDelay(
      this.attempt++,
      this.options.backoff ?? DEFAULT_BACKOFF,
      this.options.random,
      minimumMs,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private endSession(): void {
    this.stop();
    this.options.onSessionEnded?.();
  }

  private sendSubscribe(topic: string): void {
    // Events published between a view's HTTP fetch and this ack were missed: the ack is a resync point.
    this.send(
      { type: 'subscribe', topic },
      () => {
        if (this.topics.has(topic)) for (const listener of this.resyncListeners) listener([topic]);
      },
      () => undefined,
    );
  }

  private sendLogSubscribe(entry: LogStreamEntry): void {
    if (entry.subscribing || entry.closed) return;
    if (entry.retryTimer) clearTimeout(entry.retryTimer);
    entry.retryTimer = null;
    entry.subscribing = true;
    const { hostId, source, filter, backfill } = entry.params;
    this.send(
      { type: 'logs.subscribe', hostId, source, filter, backfill: backfill ?? 100 },
      (ack) => {
        entry.subscribing = false;
        if (!ack.streamId) return;
        if (entry.closed) {
          this.request({ type: 'logs.unsubscribe', streamId: ack.streamId }).catch(() => undefined);
          return;
        }
        this.byStreamId.set(ack.streamId, entry);
        entry.attached(ack.streamId);
      },
      (error: RealtimeRequestError) => {
        entry.subscribing = false;
        if (error.code === 'unavailable' || entry.closed) return;
        if (error.code === 'agent_offline') {
          // The tail starts by itself when the agent is back: on its `host.status` online, or by the timer.
          entry.detached('the host agent is offline');
          entry.retryTimer = setTimeout(() => {
            entry.retryTimer = null;
            if (this.stateValue === 'open') this.sendLogSubscribe(entry);
          }, LOG_RETRY_MS);
          return;
        }
        this.logStreams.delete(entry);
        entry.closed = true;
        entry.emit({ type: 'error', code: error.code, message: error.message });
      },
    );
  }

  private failPending(reason: string): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.onError(new RealtimeRequestError('unavailable', reason));
      this.pending.delete(id);
    }
  }

  private setState(state: ConnectionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
