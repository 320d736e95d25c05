/** @module test/chaos/lib/client — a person's browser socket (`/ws/client` with a ticket) speaking raw JSON. */
import { connect, type Json, type TestSocket } from '../../../apps/api/src/test-support/ws-client.js';
import type { ApiClient } from './server.js';

export interface ClientSocket extends TestSocket {
  /** Sends `frame` with a fresh id; resolves with its `ack` or `error`. */
  request(frame: Json, timeoutMs?: number): Promise<Json>;
  close(): Promise<void>;
}

let counter = 0;

/** Opens `/ws/client` on `api.url` with a ticket issued there; resolves after `welcome`. */
export async function connectClient(api: ApiClient): Promise<ClientSocket> {
  const ticket = await api.ticket();
  const socket = await connect(`${api.url.replace(/^http/, 'ws')}/ws/client?ticket=${ticket}`);
  await socket.next((m) => m.type === 'welcome', 10_000);
  return {
    ...socket,
    request(frame, timeoutMs = 10_000) {
      const id = `chaos-${++counter}`;
      socket.send({ ...frame, id });
      return socket.next((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, timeoutMs);
    },
    async close() {
      socket.ws.close();
      await socket.closed;
    },
  };
}
