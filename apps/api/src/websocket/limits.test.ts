// Message validation and resource limits: 1009, invalid frames, binary, message rate, upgrade rate and caps.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/start-test-server.js';
import { connect, handshake, type TestSocket } from '../test-support/ws-client.js';

describe('frame limits', () => {
  let server: TestServer;
  let owner: { cookie: string; userId: string; organizationId: string };

  beforeAll(async () => {
    server = await startTestServer({
      WS_MAX_PAYLOAD_BYTES: '2048',
      WS_MAX_INVALID_MESSAGES: '3',
      WS_MESSAGES_PER_SECOND: '5',
    });
    owner = await server.setup();
  });
  afterAll(async () => {
    await server.cleanup();
  });

  const client = async (): Promise<TestSocket> => {
    const socket = await connect(`${server.wsUrl}/ws/client?ticket=${await server.ticket(owner.cookie)}`);
    await socket.next((m) => m.type === 'welcome');
    return socket;
  };

  it('closes with 1009 when a frame exceeds maxPayload', async () => {
    const socket = await client();
    socket.send({
      type: 'subscribe',
      id: 'big',
      topic: `org:${owner.organizationId}`,
      pad: 'x'.repeat(4096),
    });
    expect((await socket.closed).code).toBe(1009);
  });

  it('answers invalid JSON and schema errors with invalid_message, then closes with 1008 past the limit', async () => {
    const socket = await client();
    socket.send('not json');
    expect(await socket.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    socket.send({ type: 'subscribe', id: 'bad-topic', topic: 'everything' });
    expect(await socket.next((m) => m.id === 'bad-topic')).toMatchObject({
      type: 'error',
      code: 'invalid_message',
    });
    socket.send({ type: 'nonsense', id: 'n1' });
    expect(await socket.next((m) => m.id === 'n1')).toMatchObject({ type: 'error', code: 'invalid_message' });
    socket.send('[]');
    const closed = await socket.closed;
    expect(closed.code).toBe(1008);
    expect(socket.messages.filter((m) => m.type === 'error')).toHaveLength(4);
  });

  it('closes with 1003 on a binary frame', async () => {
    const socket = await client();
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await socket.closed).code).toBe(1003);
  });

  it('answers rate_limited past the message rate, keeps the id, and closes with 1008 on sustained abuse', async () => {
    const socket = await client();
    for (let i = 0; i < 8; i += 1)
      socket.send({ type: 'subscribe', id: `r${i}`, topic: `org:${owner.organizationId}` });
    await socket.next((m) => m.id === 'r7');
    const answers = socket.messages.filter((m) => typeof m.id === 'string' && m.id.startsWith('r'));
    expect(answers.filter((m) => m.type === 'ack').length).toBeGreaterThanOrEqual(5);
    expect(answers.find((m) => m.id === 'r7')).toMatchObject({ type: 'error', code: 'rate_limited' });
    for (let i = 0; i < 40; i += 1)
      socket.send({ type: 'unsubscribe', topic: `org:${owner.organizationId}` });
    expect((await socket.closed).code).toBe(1008);
  });

  it('ignores prototype-pollution keys', async () => {
    const socket = await client();
    socket.send(
      `{"type":"subscribe","id":"p1","topic":"org:${owner.organizationId}","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`,
    );
    expect(await socket.next((m) => m.id === 'p1')).toEqual({ type: 'ack', id: 'p1' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    socket.ws.close();
  });
});

describe('connection limits', () => {
  it('refuses upgrades past the per-IP rate with 429 and Retry-After', async () => {
    const server = await startTestServer({ WS_UPGRADES_PER_SECOND_PER_IP: '3' });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => handshake(`${server.wsUrl}/ws/client`)),
      );
      const statuses = outcomes.map((o) => o.status).sort();
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const limited = outcomes.find((o) => o.status === 429);
      expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited?.opened).toBe(false);
    } finally {
      await server.cleanup();
    }
  });

  it('refuses a user past the per-user cap with 429, and frees the slot when a socket closes', async () => {
    const server = await startTestServer({ WS_MAX_CONNECTIONS_PER_USER: '2' });
    try {
      const owner = await server.setup();
      const url = async () => `${server.wsUrl}/ws/client?ticket=${await server.ticket(owner.cookie)}`;
      const a = await connect(await url());
      await connect(await url());
      const third = await handshake(await url());
      expect(third).toMatchObject({ status: 429, opened: false });
      expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      a.ws.close();
      await a.closed;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await handshake(await url())).status).toBe(101);
    } finally {
      await server.cleanup();
    }
  });

  it('counts the per-IP cap on the address the trusted proxy reported, whatever X-Forwarded-For adds', async () => {
    const proxied = await startTestServer({ WS_MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: 'loopback' });
    try {
      const owner = await proxied.setup();
      const url = async () => `${proxied.wsUrl}/ws/client?ticket=${await proxied.ticket(owner.cookie)}`;
      const via = (i: number) => ({ headers: { 'x-forwarded-for': `10.0.0.${i}, 203.0.113.9` } });
      await connect(await url(), via(1));
      await connect(await url(), via(2));
      expect(await handshake(await url(), via(3))).toMatchObject({ status: 429, opened: false });
      // Another client behind the same proxy still gets in.
      const other = await handshake(await url(), { headers: { 'x-forwarded-for': '198.51.100.7' } });
      expect(other.status).toBe(101);
      other.socket?.ws.close();
    } finally {
      await proxied.cleanup();
    }
  });

  it('refuses past the per-IP connection cap with 429 and past the total cap with 503', async () => {
    const perIp = await startTestServer({ WS_MAX_CONNECTIONS_PER_IP: '2' });
    try {
      const owner = await perIp.setup();
      const url = async () => `${perIp.wsUrl}/ws/client?ticket=${await perIp.ticket(owner.cookie)}`;
      await connect(await url());
      await connect(await url());
      const refused = await handshake(await url());
      expect(refused).toMatchObject({ status: 429, opened: false });
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await perIp.cleanup();
    }
    const total = await startTestServer({ WS_MAX_CONNECTIONS: '1' });
    try {
      const owner = await total.setup();
      await connect(`${total.wsUrl}/ws/client?ticket=${await total.ticket(owner.cookie)}`);
      const refused = await handshake(`${total.wsUrl}/ws/client?ticket=${await total.ticket(owner.cookie)}`);
      expect(refused).toMatchObject({ status: 503, opened: false });
      expect(refused.headers['retry-after']).toBeDefined();
      const scrape = await total.ctx.metrics.registry.getSingleMetricAsString(
        'hostwire_ws_upgrades_refused_total',
      );
      expect(scrape).toContain('status="503"} 1');
    } finally {
      await total.cleanup();
    }
  });

  it('refuses with 503 when authentication misses the handshake deadline', async () => {
    const server = await startTestServer({ WS_HANDSHAKE_TIMEOUT_MS: '100' });
    try {
      const owner = await server.setup();
      const ticket = await server.ticket(owner.cookie);
      const consume = server.ctx.tickets.consume.bind(server.ctx.tickets);
      // Wraps the real ticket store with a stall, as a slow shared store (Redis) would.
      vi.spyOn(server.ctx.tickets, 'consume').mockImplementation(async (value) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        return consume(value);
      });
      const outcome = await handshake(`${server.wsUrl}/ws/client?ticket=${ticket}`);
      expect(outcome).toMatchObject({ status: 503, opened: false });
      expect(outcome.headers['retry-after']).toBeDefined();
    } finally {
      vi.restoreAllMocks();
      await server.cleanup();
    }
  });
});
