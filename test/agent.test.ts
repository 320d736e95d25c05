// The real hostwire-agent process against the real API: enrollment, no-gap metrics, revocation, logs, actions.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
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

async function server(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const s = await startTestServer({ ...FAST, ...env }, dataDir ? { dataDir } : {});
  cleanups.push(() => s.close());
  return s;
}

function agent(configPath: string): AgentProcess {
  const a = startAgent(configPath);
  cleanups.push(() => a.stop());
  return a;
}

async function newHost(s: TestServer, cookie: string, organizationId: string, name = 'agent-host') {
  const res = await s.request('POST', `/api/orgs/${organizationId}/hosts`, { cookie, body: { name } });
  return (await res.json()) as { host: { id: string }; enrollmentToken: string };
}

const processesMatching = (pattern: string): string[] => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('hostwire-agent against the API', () => {
  it('enrolls, goes online, and stores sequence-numbered samples', async () => {
    const s = await server();
    const owner = await s.setup();
    const { host, enrollmentToken } = await newHost(s, owner.cookie, owner.organizationId);
    const configPath = await enrollAgent(s.url, enrollmentToken);
    agent(configPath);
    await waitFor(async () => (await s.ctx.store.hosts.findById(host.id))?.status === 'online', 15_000);
    await waitFor(async () => (await s.ctx.store.metrics.countSamples(host.id)) >= 2, 15_000);
    const stored = await s.ctx.store.hosts.findById(host.id);
    expect(stored?.agent?.logSources.length).toBeGreaterThan(0);
    expect(stored?.summary?.cpu).toBeGreaterThanOrEqual(0);
    const seqs = await s.ctx.store.metrics.seqs(host.id);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('loses no sample while the API is down: every seq arrives exactly once after a restart', async () => {
    const first = await server();
    const owner = await first.setup();
    const { host, enrollmentToken } = await newHost(first, owner.cookie, owner.organizationId);
    const a = agent(await enrollAgent(first.url, enrollmentToken));
    await waitFor(async () => (await first.ctx.store.metrics.countSamples(host.id)) >= 2, 15_000);
    await first.close();
    // The agent keeps sampling into its on-disk outbox while nothing answers.
    await new Promise((r) => setTimeout(r, 3500));
    const second = await server({ PORT: String(first.port) }, first.dataDir);
    await waitFor(async () => {
      const seqs = await second.ctx.store.metrics.seqs(host.id);
      return seqs.length >= 6 && (await second.ctx.store.hosts.findById(host.id))?.status === 'online';
    }, 30_000);
    const seqs = await second.ctx.store.metrics.seqs(host.id);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(a.output()).not.toMatch(/exit|fatal/i);
  });

  it('exits with a clear message once its host is deleted', async () => {
    const s = await server();
    const owner = await s.setup();
    const { host, enrollmentToken } = await newHost(s, owner.cookie, owner.organizationId);
    const a = agent(await enrollAgent(s.url, enrollmentToken));
    await waitFor(async () => (await s.ctx.store.hosts.findById(host.id))?.status === 'online', 15_000);
    expect((await s.request('DELETE', `/api/hosts/${host.id}`, { cookie: owner.cookie })).status).toBe(204);
    expect(await a.exited).toBe(6);
    expect(a.output()).toMatch(/revoked|deleted/i);
  });

  it('keeps following a log file across rotation, delivering lines to a viewer', async () => {
    const s = await server();
    const owner = await s.setup();
    const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-logs-'));
    const file = path.join(dir, 'app.log');
    writeFileSync(file, 'old line\n');
    const { host, enrollmentToken } = await newHost(s, owner.cookie, owner.organizationId);
    agent(
      await enrollAgent(s.url, enrollmentToken, (config) => {
        config.logs = { sources: [{ name: 'app', kind: 'file', path: file }] };
      }),
    );
    await waitFor(
      async () =>
        (await s.ctx.store.hosts.findById(host.id))?.agent?.logSources.some((l) => l.name === 'app') === true,
      15_000,
    );
    const client = await connectRawClient(s, owner.cookie);
    cleanups.push(() => client.close());
    const ack = await client.request({
      type: 'logs.subscribe',
      hostId: host.id,
      source: 'app',
      backfill: 10,
    });
    expect(ack).toMatchObject({ type: 'ack' });
    const text = () =>
      client.messages
        .filter((m) => m.type === 'logs.lines')
        .map((m) => JSON.stringify(m.lines))
        .join('');
    await waitFor(() => text().includes('old line'), 10_000);
    appendFileSync(file, 'before rotation\n');
    await waitFor(() => text().includes('before rotation'), 10_000);
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'after rotation\n');
    await waitFor(() => text().includes('after rotation'), 10_000);
    appendFileSync(file, 'still following\n');
    await waitFor(() => text().includes('still following'), 10_000);
  });
});

describe('actions on the real agent', () => {
  async function actionHost() {
    const s = await server();
    const owner = await s.setup();
    const { host, enrollmentToken } = await newHost(s, owner.cookie, owner.organizationId);
    const marker = 30 + Math.floor(Math.random() * 1000) / 1000;
    agent(
      await enrollAgent(s.url, enrollmentToken, (config) => {
        config.actions = [
          {
            name: 'echo',
            description: 'echo a word',
            argv: ['echo', '{{word}}'],
            params: { word: { type: 'string', pattern: '[a-z]+' } },
            timeoutMs: 5000,
            outputCapBytes: 65536,
          },
          {
            name: 'restart-service',
            argv: ['echo', 'restart', '{{unit}}'],
            params: { unit: { type: 'string', enum: ['nginx', 'postgresql'] } },
            timeoutMs: 5000,
            outputCapBytes: 65536,
            dangerous: true,
          },
          {
            name: 'sleepy',
            argv: ['sh', '-c', `sleep ${marker} & sleep ${marker} & wait`],
            params: {},
            timeoutMs: 1500,
            outputCapBytes: 65536,
          },
          {
            name: 'long',
            argv: ['sh', '-c', `sleep ${marker + 1} & wait`],
            params: {},
            timeoutMs: 60_000,
            outputCapBytes: 65536,
          },
        ];
      }),
    );
    await waitFor(
      async () =>
        (await s.ctx.store.hosts.findById(host.id))?.agent?.actions.some((x) => x.name === 'sleepy') === true,
      15_000,
    );
    const run = async (action: string, params: Record<string, unknown> = {}) => {
      const res = await s.request('POST', `/api/hosts/${host.id}/actions`, {
        cookie: owner.cookie,
        body: { action, params },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { action: { id: string } }).action.id;
    };
    const finished = async (id: string) => {
      await waitFor(
        async () =>
          ['succeeded', 'failed', 'timed_out', 'cancelled', 'rejected'].includes(
            (await s.ctx.store.actions.findById(id))?.status ?? '',
          ),
        15_000,
      );
      return s.ctx.store.actions.findById(id);
    };
    /** Puts a command straight on the bus, bypassing the API's checks, as a compromised backplane would. */
    const inject = async (payload: Record<string, unknown>, sign = true) => {
      const id = String(payload.actionId);
      await s.ctx.store.actions.insert({
        id,
        hostId: host.id,
        organizationId: owner.organizationId,
        userId: null,
        action: typeof payload.action === 'string' ? payload.action : 'echo',
        params: {},
        status: 'sent',
        createdAt: Date.now(),
        auditId: null,
      });
      const signed = s.ctx.signer.sign(payload as never);
      const frame = sign
        ? signed
        : { payload: signed.payload.replace('"kind"', '"kind" '), signature: signed.signature };
      await s.ctx.bus.sendToAgent(host.id, { type: 'command', ...frame });
      return id;
    };
    return { s, owner, host, marker, run, finished, inject };
  }

  it('runs an allowed action and streams its output', async () => {
    const { run, finished } = await actionHost();
    const action = await finished(await run('echo', { word: 'hello' }));
    expect(action).toMatchObject({ status: 'succeeded', exitCode: 0, output: 'hello\n' });
  });

  it('refuses injected parameters on the agent itself, even with a valid signature', async () => {
    const { host, inject, finished } = await actionHost();
    const now = Date.now();
    for (const params of [{ unit: 'nginx; id' }, { unit: '../../bin/sh' }, { unit: '-rf' }]) {
      const id = await inject({
        kind: 'run',
        actionId: `inj-${Math.random().toString(36).slice(2)}`,
        hostId: host.id,
        action: 'restart-service',
        params,
        issuedAt: now,
        expiresAt: now + 60_000,
      });
      expect(await finished(id)).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(/param/i),
      });
    }
  });

  it('refuses unsigned, expired and replayed commands', async () => {
    const { s, host, inject, finished } = await actionHost();
    const now = Date.now();
    const forged = await inject(
      {
        kind: 'run',
        actionId: 'forged-1',
        hostId: host.id,
        action: 'echo',
        params: { word: 'x' },
        issuedAt: now,
        expiresAt: now + 60_000,
      },
      false,
    );
    expect(await finished(forged)).toMatchObject({
      status: 'rejected',
      error: expect.stringMatching(/signature/i),
    });
    const expired = await inject({
      kind: 'run',
      actionId: 'expired-1',
      hostId: host.id,
      action: 'echo',
      params: { word: 'x' },
      issuedAt: now - 120_000,
      expiresAt: now - 60_000,
    });
    expect(await finished(expired)).toMatchObject({
      status: 'rejected',
      error: expect.stringMatching(/expired/i),
    });
    const otherHost = await inject({
      kind: 'run',
      actionId: 'other-1',
      hostId: 'someone-else',
      action: 'echo',
      params: { word: 'x' },
      issuedAt: now,
      expiresAt: now + 60_000,
    });
    expect(await finished(otherHost)).toMatchObject({
      status: 'rejected',
      error: expect.stringMatching(/host/i),
    });

    const once = {
      kind: 'run',
      actionId: 'replay-1',
      hostId: host.id,
      action: 'echo',
      params: { word: 'once' },
      issuedAt: now,
      expiresAt: now + 60_000,
    };
    await inject(once);
    const first = await finished('replay-1');
    expect(first).toMatchObject({ status: 'succeeded', output: 'once\n' });
    await s.ctx.bus.sendToAgent(host.id, { type: 'command', ...s.ctx.signer.sign(once as never) });
    await new Promise((r) => setTimeout(r, 500));
    expect(await s.ctx.store.actions.findById('replay-1')).toMatchObject({
      status: 'succeeded',
      output: 'once\n',
    });
  });

  it('kills an action past its timeout together with its children', async () => {
    const { run, finished, marker } = await actionHost();
    const action = await finished(await run('sleepy'));
    expect(action?.status).toBe('timed_out');
    await waitFor(() => processesMatching(`sleep ${marker}`).length === 0, 5000);
  });

  it('cancel kills the running process', async () => {
    const { s, owner, run, finished, marker } = await actionHost();
    const id = await run('long');
    await waitFor(() => processesMatching(`sleep ${marker + 1}`).length > 0, 10_000);
    expect((await s.request('POST', `/api/actions/${id}/cancel`, { cookie: owner.cookie })).status).toBe(202);
    expect((await finished(id))?.status).toBe('cancelled');
    await waitFor(() => processesMatching(`sleep ${marker + 1}`).length === 0, 5000);
  });
});
