// The real hostwire-agent under a hostile viewer: catastrophic regexes, backfill storms, many tails.
import { readdirSync, readlinkSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRawClient, waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { enrollAgent, startAgent, type AgentProcess } from './support/agent-process.js';

const FAST = { METRICS_SLOW_INTERVAL_MS: '1000', METRICS_LIVE_INTERVAL_MS: '250', WS_HEARTBEAT_MS: '2000' };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Fleet {
  s: TestServer;
  owner: { cookie: string; organizationId: string };
  hostId: string;
  agent: AgentProcess;
  files: string[];
}

/** A server and one real agent whose log sources are the given files (name → content). */
async function fleet(files: Record<string, string>, env: Record<string, string> = {}): Promise<Fleet> {
  const s = await startTestServer({ ...FAST, ...env });
  cleanups.push(() => s.close());
  const owner = await s.setup();
  const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-abuse-'));
  const paths = Object.entries(files).map(([name, content]) => {
    const file = path.join(dir, `${name}.log`);
    writeFileSync(file, content);
    return { name, file };
  });
  const res = await s.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
    cookie: owner.cookie,
    body: { name: 'abused' },
  });
  const { host, enrollmentToken } = (await res.json()) as { host: { id: string }; enrollmentToken: string };
  const agent = startAgent(
    await enrollAgent(s.url, enrollmentToken, (config) => {
      config.logs = { sources: paths.map(({ name, file }) => ({ name, kind: 'file', path: file })) };
    }),
  );
  cleanups.push(() => agent.stop());
  await waitFor(
    async () => ((await s.ctx.store.hosts.findById(host.id))?.agent?.logSources.length ?? 0) === paths.length,
    15_000,
  );
  return { s, owner, hostId: host.id, agent, files: paths.map((p) => p.file) };
}

describe('a hostile viewer against the real agent', () => {
  it('keeps sampling and answering while a catastrophic-backtracking filter runs', async () => {
    const { s, owner, hostId, agent } = await fleet({ app: `${'a'.repeat(3000)}!\n`.repeat(200) });
    const client = await connectRawClient(s, owner.cookie);
    cleanups.push(() => client.close());
    const redos = await client.request({
      type: 'logs.subscribe',
      hostId,
      source: 'app',
      backfill: 200,
      filter: { pattern: '^(a+)+$', regex: true },
    });
    expect(redos).toMatchObject({ type: 'ack' });
    // The agent still answers a second request and keeps storing samples.
    const second = await client.request(
      { type: 'logs.subscribe', hostId, source: 'app', backfill: 1 },
      10_000,
    );
    expect(second).toMatchObject({ type: 'ack' });
    const before = await s.ctx.store.metrics.countSamples(hostId);
    await waitFor(async () => (await s.ctx.store.metrics.countSamples(hostId)) >= before + 3, 15_000);
    expect((await s.ctx.store.hosts.findById(hostId))?.status).toBe('online');
    // And it still obeys SIGTERM.
    expect(await agent.stop()).toBe(0);
  });

  it('paces a storm of 30 backfills of 1000 lines without being disconnected', async () => {
    const line = (i: number) =>
      `line ${String(i).padStart(4, '0')} abcdefghijklmnopqrstuvwxyz ${'p'.repeat(180)}`;
    const content = `${Array.from({ length: 1000 }, (_, i) => line(i)).join('\n')}\n`;
    const { s, owner, hostId, agent } = await fleet({ one: content, two: content });
    const clients = [await connectRawClient(s, owner.cookie), await connectRawClient(s, owner.cookie)];
    for (const c of clients) cleanups.push(() => c.close());
    const [watcher] = clients;
    await watcher?.request({ type: 'subscribe', topic: `host:${hostId}` });
    const letters = 'abcdefghijklmno';
    const streams: string[] = [];
    for (let i = 0; i < 30; i++) {
      const client = clients[i % 2];
      const ack = await client?.request({
        type: 'logs.subscribe',
        hostId,
        source: i < 15 ? 'one' : 'two',
        backfill: 1000,
        filter: { pattern: letters[i % 15] ?? 'a' },
      });
      expect(ack).toMatchObject({ type: 'ack' });
      streams.push(String(ack?.streamId));
    }
    const received = (streamId: string) =>
      clients
        .flatMap((c) => c.messages)
        .filter((m) => m.type === 'logs.lines' && m.streamId === streamId)
        .reduce((n, m) => n + (Array.isArray(m.lines) ? m.lines.length : 0), 0);
    await waitFor(() => streams.every((id) => received(id) === 1000), 60_000, 'every backfill');
    const offline = watcher?.messages.filter((m) => m.type === 'host.status' && m.status === 'offline');
    expect(offline).toEqual([]);
    expect((await s.ctx.store.hosts.findById(hostId))?.status).toBe('online');
    expect(agent.output()).not.toMatch(/1008|rate limit/i);
  }, 90_000);

  it('reads each source once however many tails follow it, and refuses tails past the agent cap', async () => {
    const { s, owner, hostId, agent, files } = await fleet(
      { app: 'hello\n' },
      { LOG_TAILS_PER_SOCKET: '100', LOG_TAILS_PER_USER: '100' },
    );
    const client = await connectRawClient(s, owner.cookie);
    cleanups.push(() => client.close());
    const answers = [];
    for (let i = 0; i < 20; i++)
      answers.push(
        await client.request({ type: 'logs.subscribe', hostId, source: 'app', filter: { pattern: `n${i}` } }),
      );
    expect(answers.filter((a) => a.type === 'ack')).toHaveLength(16);
    expect(answers.filter((a) => a.type === 'error').map((a) => a.code)).toEqual(
      Array(4).fill('limit_reached'),
    );
    const pid = agent.child.pid ?? 0;
    const openOnFile = () =>
      readdirSync(`/proc/${pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === files[0];
        } catch {
          return false;
        }
      }).length;
    expect(openOnFile()).toBe(1);
  });
});
