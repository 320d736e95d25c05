/**
 * @module connection/socket — the one place that knows which WebSocket client the runtime has. The
 * executable (Bun) uses the runtime's own `WebSocket` (no extra library in memory); Node.js 20, which
 * has none with custom headers, uses the `ws` package, loaded only there.
 */

/** What the link needs from a client socket. */
export interface AgentSocket {
  /** True while frames can be sent. */
  readonly open: boolean;
  /** Bytes queued and not yet written. */
  readonly bufferedAmount: number;
  send(text: string, done?: (error?: Error) => void): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake. */
  terminate(): void;
}

/** Events of one connection attempt; `onClose` comes last, exactly once. */
export interface SocketEvents {
  onOpen(): void;
  onText(text: string): void;
  onBinary(): void;
  onPing(): void;
  /** The server answered the upgrade with this HTTP status instead of 101. */
  onRefused(status: number, retryAfter: string | undefined): void;
  onError(error: Error): void;
  onClose(code: number, reason: string): void;
}

export interface SocketOptions {
  headers: Record<string, string>;
  /** Give up when the upgrade has not completed within this time (ms). */
  handshakeTimeoutMs: number;
  maxPayload: number;
}

/** Opens a socket with whichever client this runtime has. */
export type SocketFactory = (url: string, options: SocketOptions, events: SocketEvents) => AgentSocket;

let factory: Promise<SocketFactory> | undefined;

/** The runtime's socket factory, chosen once. */
export function socketFactory(): Promise<SocketFactory> {
  factory ??= process.versions.bun !== undefined ? Promise.resolve(runtimeSocket) : loadWsSocket();
  return factory;
}

/** The parts of Bun's WebSocket (a browser WebSocket plus `headers`, `ping` events, `terminate`) used here. */
interface RuntimeWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  terminate?: () => void;
  addEventListener(type: string, listener: (event: RuntimeEvent) => void): void;
}
interface RuntimeEvent {
  data?: unknown;
  message?: string;
  code?: number;
  reason?: string;
}
type RuntimeWebSocketClass = new (url: string, init: { headers: Record<string, string> }) => RuntimeWebSocket;

/** Bun: the runtime's WebSocket, which accepts `headers` and reports pings. */
const runtimeSocket: SocketFactory = (url, options, events) => {
  const Ctor = (globalThis as unknown as { WebSocket: RuntimeWebSocketClass }).WebSocket;
  const ws = new Ctor(url, { headers: options.headers });
  let opened = false;
  const handshake = setTimeout(() => {
    if (!opened) terminate();
  }, options.handshakeTimeoutMs);
  const terminate = (): void => {
    if (typeof ws.terminate === 'function') ws.terminate();
    else ws.close();
  };
  ws.addEventListener('open', () => {
    opened = true;
    clearTimeout(handshake);
    events.onOpen();
  });
  ws.addEventListener('message', (event) => {
    if (typeof event.data === 'string') events.onText(event.data);
    else events.onBinary();
  });
  ws.addEventListener('ping', () => events.onPing());
  ws.addEventListener('error', (event) => {
    const message = event.message || 'connection failed';
    const status = /Expected 101 status code: (\d{3})/.exec(message)?.[1];
    if (!opened && status) events.onRefused(Number(status), undefined);
    else events.onError(new Error(message));
  });
  ws.addEventListener('close', (event) => {
    clearTimeout(handshake);
    events.onClose(event.code ?? 1006, event.reason ?? '');
  });
  return {
    get open() {
      return ws.readyState === 1;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(text, done) {
      try {
        ws.send(text);
        done?.();
      } catch (error) {
        done?.(error as Error);
      }
    },
    close: (code, reason) => ws.close(code, reason),
    terminate,
  };
};

/** Node.js: the `ws` package (imported here only, so the executable never bundles it). */
async function loadWsSocket(): Promise<SocketFactory> {
  const { default: WebSocket } = await import('ws');
  return (url, options, events) => {
    const ws = new WebSocket(url, {
      headers: options.headers,
      handshakeTimeout: options.handshakeTimeoutMs,
      maxPayload: options.maxPayload,
    });
    ws.on('unexpected-response', (_req, res) => {
      const retryAfter: string | string[] | undefined = res.headers['retry-after'];
      events.onRefused(res.statusCode ?? 0, typeof retryAfter === 'string' ? retryAfter : retryAfter?.[0]);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (error: Error) => events.onError(error));
    ws.on('open', () => events.onOpen());
    ws.on('ping', () => events.onPing());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return events.onBinary();
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data).toString('utf8');
      events.onText(text);
    });
    ws.on('close', (code: number, reason: Buffer) => events.onClose(code, reason.toString()));
    return {
      get open() {
        return ws.readyState === WebSocket.OPEN;
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      send: (text, done) => ws.send(text, (error) => done?.(error ?? undefined)),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
    };
  };
}
