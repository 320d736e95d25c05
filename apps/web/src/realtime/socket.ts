/** @module socket — the minimal WebSocket surface the realtime client needs (browser WebSocket or `ws`). */

/** What the client reads from a `message` event. */
export interface SocketMessageEvent {
  readonly data: unknown;
}

/** What the client reads from a `close` event. */
export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/** The subset of the WHATWG WebSocket API used by the realtime client; `ws` implements it too. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: SocketMessageEvent) => void): void;
  addEventListener(type: 'close', listener: (event: SocketCloseEvent) => void): void;
}

/** A WebSocket constructor: `window.WebSocket` in the browser, `ws`'s `WebSocket` in Node tests. */
export type SocketConstructor = new (url: string) => SocketLike;

/** `readyState` of an open socket (the same in every implementation). */
export const SOCKET_OPEN = 1;
