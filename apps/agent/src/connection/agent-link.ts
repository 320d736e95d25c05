/** @module connection/agent-link — the outbound WebSocket to the server: handshake, watchdog, reconnects. */
import { ServerToAgent } from '@hostwire/protocol/agent';
import type { AgentToServer } from '@hostwire/protocol';
import type { ConnectionConfig } from '../config/schema.js';
import { AgentExitError } from '../errors.js';
import type { Logger } from '../log.js';
import { computeReconnectDelay, sleep } from './backoff.js';
import type { Disconnect } from './close-policy.js';
import { classifyClose, classifyUpgradeRefusal } from './close-policy.js';
import type { AgentSocket } from './socket.js';
import { socketFactory } from './socket.js';

type Welcome = Extract<ServerToAgent, { type: 'welcome' }>;
/** Every server frame except `welcome` (the link handles that one). */
export type ServerFrame = Exclude<ServerToAgent, { type: 'welcome' }>;

/** A live, welcomed connection. */
export interface LinkSession {
  readonly welcome: Welcome;
  /** Largest frame the server accepts (bytes), from `welcome.limits`. */
  readonly maxFrameBytes: number;
  /** Sends a typed frame; false when the socket is no longer open. */
  send(frame: AgentToServer, done?: (error?: Error) => void): boolean;
  /** Sends pre-serialized JSON text (the outbox stores samples as text). */
  sendText(text: string, done?: (error?: Error) => void): boolean;
  /** Bytes queued in the socket and not yet written. */
  bufferedAmount(): number;
}

export interface LinkHandlers {
  /** A connection was welcomed; the handler sends `hello` and starts replaying. */
  onOpen(session: LinkSession): void;
  /** A valid frame from the server. */
  onFrame(frame: ServerFrame, session: LinkSession): void;
  /** The welcomed connection ended. */
  onClose(reason: string): void;
}

/** What `status` shows about the connection. */
export interface LinkState {
  connected: boolean;
  since: number | null;
  reconnects: number;
  failedAttempts: number;
  lastError: string | null;
}

export interface AgentLinkOptions {
  server: string;
  hostId: string;
  token: string;
  connection: ConnectionConfig;
  log: Logger;
  handlers: LinkHandlers;
  onState?: (state: LinkState) => void;
}

/** `http(s)://host[/prefix]` → `ws(s)://host[/prefix]/ws/agent/<hostId>`. */
export function agentSocketUrl(server: string, hostId: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws/agent/${encodeURIComponent(hostId)}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Keeps one connection to the server alive until stopped or told to stop for good. */
export class AgentLink {
  private readonly options: AgentLinkOptions;
  private readonly state: LinkState = {
    connected: false,
    since: null,
    reconnects: 0,
    failedAttempts: 0,
    lastError: null,
  };
  private sessions = 0;

  constructor(options: AgentLinkOptions) {
    this.options = options;
  }

  /** Connects and reconnects until `signal` aborts (resolves undefined) or a fatal refusal (resolves the error). */
  async run(signal: AbortSignal): Promise<AgentExitError | undefined> {
    const { connection, log } = this.options;
    let attempt = 0;
    while (!signal.aborted) {
      const outcome = await this.connectOnce(signal, () => {
        attempt = 0;
      });
      if (signal.aborted) break;
      if (outcome.kind === 'fatal') {
        this.update({ connected: false, lastError: outcome.message });
        return new AgentExitError(outcome.exit, outcome.message);
      }
      const delay = computeReconnectDelay(attempt, {
        initialMs: connection.backoffInitialMs,
        maxMs: connection.backoffMaxMs,
        hintMs: outcome.hintMs,
      });
      attempt += 1;
      this.update({
        connected: false,
        lastError: outcome.reason,
        failedAttempts: this.state.failedAttempts + 1,
      });
      log.warn(`${outcome.reason}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay, signal);
    }
    this.update({ connected: false });
    return undefined;
  }

  private update(patch: Partial<LinkState>): void {
    Object.assign(this.state, patch);
    this.options.onState?.({ ...this.state });
  }

  private async connectOnce(signal: AbortSignal, onWelcome: () => void): Promise<Disconnect> {
    const { server, hostId, token, connection, log, handlers } = this.options;
    const openSocket = await socketFactory();
    return new Promise<Disconnect>((resolve) => {
      let outcome: Disconnect | undefined;
      let session: LinkSession | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      let silenceMs = connection.welcomeTimeoutMs;
      const arm = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          outcome ??= { kind: 'retry', reason: `no frame or ping from the server for ${silenceMs} ms` };
          ws.terminate();
        }, silenceMs);
      };
      const stop = (): void => {
        ws.close(1000, 'agent stopping');
        setTimeout(() => ws.terminate(), 2000).unref();
      };
      const onText = (text: string): void => {
        arm();
        let parsed: ReturnType<typeof ServerToAgent.safeParse>;
        try {
          parsed = ServerToAgent.safeParse(JSON.parse(text));
        } catch {
          return log.warn('ignoring a frame that is not JSON');
        }
        if (!parsed.success) {
          log.warn(`ignoring an invalid frame: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
          if (session)
            session.send({
              type: 'error',
              code: 'invalid_message',
              message: 'frame does not match the protocol',
            });
          return;
        }
        const frame = parsed.data;
        if (frame.type === 'welcome') {
          if (session) return;
          silenceMs = 2 * frame.heartbeatIntervalMs;
          arm();
          session = createSession(ws, frame);
          onWelcome();
          this.sessions += 1;
          this.update({
            connected: true,
            since: Date.now(),
            reconnects: Math.max(0, this.sessions - 1),
            failedAttempts: 0,
            lastError: null,
          });
          log.info(`connected to ${server} as host ${hostId}`);
          handlers.onOpen(session);
          return;
        }
        if (!session) return log.warn(`ignoring "${frame.type}" before welcome`);
        handlers.onFrame(frame, session);
      };
      const ws: AgentSocket = openSocket(
        agentSocketUrl(server, hostId),
        {
          headers: { Authorization: `Bearer ${token}` },
          handshakeTimeoutMs: connection.welcomeTimeoutMs,
          maxPayload: 16 * 1024 * 1024,
        },
        {
          onOpen: arm,
          onPing: arm,
          onText,
          onBinary: () => {
            arm();
            log.warn('ignoring a binary frame from the server');
          },
          onRefused: (status, retryAfter) => {
            outcome = classifyUpgradeRefusal(status, retryAfter);
            ws.terminate();
          },
          onError: (error) => {
            outcome ??= { kind: 'retry', reason: `cannot reach ${server}: ${error.message}` };
          },
          onClose: (code, reason) => {
            clearTimeout(watchdog);
            signal.removeEventListener('abort', stop);
            const result = outcome ?? classifyClose(code, reason);
            if (session) {
              this.update({ connected: false, since: Date.now() });
              handlers.onClose(result.kind === 'fatal' ? result.message : result.reason);
            }
            resolve(result);
          },
        },
      );
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}

function createSession(ws: AgentSocket, welcome: Welcome): LinkSession {
  const sendText = (text: string, done?: (error?: Error) => void): boolean => {
    if (!ws.open) return false;
    ws.send(text, done);
    return true;
  };
  return {
    welcome,
    maxFrameBytes: welcome.limits.maxPayloadBytes,
    send: (frame, done) => sendText(JSON.stringify(frame), done),
    sendText,
    bufferedAmount: () => ws.bufferedAmount,
  };
}
