/** @module test-support/ws-client — a raw `ws` client for the gateway tests: handshake outcome, frames, close. */
import { WebSocket, type ClientOptions } from 'ws';

export type Json = Record<string, unknown>;

/** An open socket that records every frame it receives. */
export interface TestSocket {
  ws: WebSocket;
  /** Every JSON frame received so far, in order. */
  messages: Json[];
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  send(frame: Json | string): void;
  /** The first frame (already received or still to come) matching `predicate`. */
  next(predicate: (message: Json) => boolean, timeoutMs?: number): Promise<Json>;
}

/** What a handshake came to: `status` 101 when it opened, else the HTTP status of the refusal. */
export interface HandshakeOutcome {
  status: number;
  opened: boolean;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket?: TestSocket;
}

export { waitFor } from '@hostwire/protocol/testing';

function wrap(ws: WebSocket): TestSocket {
  const messages: Json[] = [];
  const waiters = new Set<{ predicate: (m: Json) => boolean; resolve: (m: Json) => void }>();
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as Json;
    messages.push(message);
    for (const waiter of waiters) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  return {
    ws,
    messages,
    closed,
    send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    next(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: Json) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 500)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Attempts a handshake and reports its outcome; never throws for a refusal. */
export function handshake(url: string, options: ClientOptions = {}): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    const socket = wrap(ws);
    ws.on('error', () => undefined);
    ws.once('open', () => resolve({ status: 101, opened: true, headers: {}, body: '', socket }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const done = () => {
        resolve({ status: res.statusCode ?? 0, opened: false, headers: res.headers, body });
        ws.terminate();
      };
      res.on('end', done);
      res.on('error', done);
    });
    ws.once('close', () => resolve({ status: 0, opened: false, headers: {}, body: '' }));
  });
}

/** Opens a socket or throws with the refusal status. */
export async function connect(url: string, options: ClientOptions = {}): Promise<TestSocket> {
  const outcome = await handshake(url, options);
  if (!outcome.socket) throw new Error(`handshake refused with ${outcome.status}: ${outcome.body}`);
  return outcome.socket;
}
