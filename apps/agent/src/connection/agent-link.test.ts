// Tests of the reconnecting link against a real ws server on port 0: stops, reconnects, hints, watchdog.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionConfig } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { waitFor } from '../test-support/fixtures.js';
import type { TestGateway } from '../test-support/test-server.js';
import { startTestGateway } from '../test-support/test-server.js';
import type { LinkState } from './agent-link.js';
import { AgentLink, agentSocketUrl } from './agent-link.js';

describe('AgentLink', () => {
  let gateway: TestGateway;
  let controller: AbortController;
  let opens: number;
  let states: LinkState[];

  const startLink = (gw: TestGateway) => {
    const link = new AgentLink({
      server: gw.url,
      hostId: 'host_1',
      token: 'secret-token',
      connection: ConnectionConfig.parse({ backoffInitialMs: 50, backoffMaxMs: 100, welcomeTimeoutMs: 2000 }),
      log: silentLogger,
      handlers: { onOpen: () => (opens += 1), onFrame: () => undefined, onClose: () => undefined },
      onState: (s) => states.push(s),
    });
    return link.run(controller.signal);
  };

  beforeEach(async () => {
    gateway = await startTestGateway();
    controller = new AbortController();
    opens = 0;
    states = [];
  });
  afterEach(async () => {
    controller.abort();
    await gateway.close();
  });

  it('builds the socket URL from the server URL', () => {
    expect(agentSocketUrl('https://hw.example.com/base/', 'h1')).toBe(
      'wss://hw.example.com/base/ws/agent/h1',
    );
    expect(agentSocketUrl('http://127.0.0.1:3000', 'h1')).toBe('ws://127.0.0.1:3000/ws/agent/h1');
  });

  it('connects to /ws/agent/<hostId> with the bearer token', async () => {
    const done = startLink(gateway);
    await waitFor(() => opens === 1, 3000, 'open');
    expect(gateway.peers[0]?.request.url).toBe('/ws/agent/host_1');
    expect(gateway.peers[0]?.request.headers.authorization).toBe('Bearer secret-token');
    controller.abort();
    expect(await done).toBeUndefined();
  });

  it('reconnects after a close without a code', async () => {
    const done = startLink(gateway);
    await waitFor(() => opens === 1, 3000, 'first open');
    gateway.peers[0]?.socket.close();
    await waitFor(() => opens === 2, 3000, 'reconnect');
    gateway.peers[1]?.socket.terminate();
    await waitFor(() => opens === 3, 3000, 'reconnect after an abrupt drop');
    expect(states.at(-1)).toMatchObject({ connected: true, reconnects: 2 });
    controller.abort();
    await done;
  });

  it.each([
    [4001, 'REVOKED'],
    [4000, 'REPLACED'],
  ])('stops for good on close %i', async (code, exit) => {
    const done = startLink(gateway);
    await waitFor(() => opens === 1, 3000, 'open');
    gateway.peers[0]?.socket.close(code, 'bye');
    const error = await done;
    expect(error?.code).toBe(exit);
    // run() has returned: nothing is left scheduled that could try again.
    expect(states.at(-1)).toMatchObject({ connected: false, failedAttempts: 0 });
    expect(gateway.attempts).toBe(1);
  });

  it.each([
    [403, 'REVOKED'],
    [401, 'UNAUTHORIZED'],
  ])('stops for good when the upgrade is refused with HTTP %i', async (status, exit) => {
    gateway.refuseWith(status);
    const error = await startLink(gateway);
    expect(error?.code).toBe(exit);
    expect(gateway.attempts).toBe(1);
  });

  it('waits at least Retry-After before retrying a refused upgrade', async () => {
    gateway.refuseWith(503, { 'Retry-After': '1' });
    const done = startLink(gateway);
    await waitFor(() => gateway.attempts === 1, 3000, 'first attempt');
    const refusedAt = Date.now();
    gateway.acceptAll();
    await waitFor(() => opens === 1, 5000, 'open after the hint');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(900);
    controller.abort();
    await done;
  });

  it('honours a retry-after close reason', async () => {
    const done = startLink(gateway);
    await waitFor(() => opens === 1, 3000, 'open');
    const closedAt = Date.now();
    gateway.peers[0]?.socket.close(1001, 'retry-after=1');
    await waitFor(() => opens === 2, 5000, 'reconnect');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(950);
    controller.abort();
    await done;
  });

  it('reconnects when nothing arrives for two heartbeat intervals, but not while pings arrive', async () => {
    await gateway.close();
    gateway = await startTestGateway({ heartbeatIntervalMs: 150 });
    let pinging = true;
    let pongs = 0;
    gateway.onConnection((peer) => {
      const timer = setInterval(() => (pinging ? peer.socket.ping() : undefined), 50);
      peer.socket.on('pong', () => (pongs += 1));
      peer.socket.on('close', () => clearInterval(timer));
    });
    const done = startLink(gateway);
    await waitFor(() => opens === 1, 3000, 'open');
    // 12 answered pings span 600 ms, four heartbeat intervals: the watchdog would have fired twice.
    await waitFor(() => pongs >= 12, 5000, 'pings answered');
    expect(opens).toBe(1);
    pinging = false;
    await waitFor(() => opens === 2, 3000, 'watchdog reconnect');
    expect(states.some((s) => s.lastError?.includes('no frame or ping'))).toBe(true);
    controller.abort();
    await done;
  });

  it('keeps retrying while the server is down and connects when it comes back', async () => {
    const port = gateway.port;
    await gateway.close();
    const done = startLink(gateway);
    await waitFor(
      () => states.filter((s) => !s.connected && s.failedAttempts >= 3).length > 0,
      5000,
      'failed attempts',
    );
    gateway = await startTestGateway({ port });
    await waitFor(() => opens === 1, 5000, 'connect after restart');
    controller.abort();
    await done;
  });
});
