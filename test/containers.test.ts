// Containers end to end: the real hostwire-agent process against a real engine (Podman's Docker API) and the
// real API — metrics and state changes (start, kill, exit), restart counts, container:<name> logs across a
// restart, and the signed container actions with their parameter checked against the engine.
import type { ContainerMetricsHistory, HostContainers } from '@hostwire/protocol';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TEST_ENGINE_SOCKET, TestEngine, skipWithoutEngine } from '../apps/agent/src/test-support/engine.js';
import { connectRawClient, waitFor } from '../apps/api/src/test-support/raw-peers.js';
import { startTestServer, type TestServer } from '../apps/api/src/test-support/start-test-server.js';
import { startWebhookReceiver } from '../apps/api/src/test-support/webhook-receiver.js';
import { enrollAgent, startAgent } from './support/agent-process.js';

const EXECUTABLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  `../apps/agent/dist-bin/hostwire-agent-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`,
);
const FAST = { METRICS_SLOW_INTERVAL_MS: '1000', METRICS_LIVE_INTERVAL_MS: '500', WS_HEARTBEAT_MS: '2000' };
const skip = await skipWithoutEngine();
const engine = new TestEngine();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => engine.removeAll());

async function setupHost(s: TestServer, actions: boolean) {
  const owner = await s.setup();
  const res = await s.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
    cookie: owner.cookie,
    body: { name: 'docker-host' },
  });
  const { host, enrollmentToken } = (await res.json()) as { host: { id: string }; enrollmentToken: string };
  const configPath = await enrollAgent(s.url, enrollmentToken, (config) => {
    config.metrics = { intervalMs: 1000 };
    config.containers = { socket: TEST_ENGINE_SOCKET, actions };
  });
  const agent = startAgent(configPath);
  cleanups.push(() => agent.stop());
  return { owner, hostId: host.id, agent };
}

describe.skipIf(skip)('containers through the real agent and a real engine', () => {
  it('reports metrics, state changes, exits and restart counts, and follows container:<name> logs', async () => {
    const s = await startTestServer(FAST);
    cleanups.push(() => s.cleanup());
    const app = engine.uniqueName('app');
    const oneshot = engine.uniqueName('oneshot');
    const flappy = engine.uniqueName('flappy');
    const checked = engine.uniqueName('checked');
    await Promise.all([
      engine.run(checked, { cmd: ['sleep', '600'], healthcheck: ['CMD-SHELL', 'test -f /tmp/ok'] }),
      engine.run(app, { cmd: ['sh', '-c', 'echo app-started-$(date +%s%N); while :; do sleep 1; done'] }),
      engine.run(oneshot, { cmd: ['sh', '-c', 'echo bye; exit 0'] }),
      engine.run(flappy, { cmd: ['sh', '-c', 'sleep 1; exit 1'], restart: 'always' }),
    ]);
    const { owner, hostId, agent } = await setupHost(s, false);
    const list = async () =>
      (
        (await (
          await s.request('GET', `/api/hosts/${hostId}/containers`, { cookie: owner.cookie })
        ).json()) as HostContainers
      ).containers;
    const find = async (name: string) => (await list()).find((c) => c.name === name);

    await waitFor(async () => (await find(app))?.state === 'running', 20_000, 'app running');
    await waitFor(
      async () => (await find(oneshot))?.state === 'exited',
      20_000,
      'the one-shot container exited',
    );
    // History per container, stored with the host's samples.
    const now = Date.now();
    const history = await waitFor(
      async () => {
        const res = await s.request(
          'GET',
          `/api/hosts/${hostId}/containers/${app}/metrics?from=${now - 60_000}&to=${now + 60_000}`,
          {
            cookie: owner.cookie,
          },
        );
        const body = (await res.json()) as ContainerMetricsHistory;
        return body.t.length >= 2 ? body : undefined;
      },
      20_000,
      'container history',
    );
    expect(history.series.memory.last.some((v) => (v ?? 0) > 0)).toBe(true);

    // Killed: noticed within an interval or two.
    const killedAt = Date.now();
    await engine.action(app, 'kill');
    await waitFor(async () => (await find(app))?.state === 'exited', 10_000, 'app exited after kill');
    expect(Date.now() - killedAt).toBeLessThan(8000);
    // The fleet row counts them (the summary is stored with the sample, just after the live list).
    await waitFor(
      async () => {
        const res = await s.request('GET', `/api/orgs/${owner.organizationId}/hosts`, {
          cookie: owner.cookie,
        });
        const body = (await res.json()) as { hosts: { summary: { containers?: { down: number } } | null }[] };
        return (body.hosts[0]?.summary?.containers?.down ?? 0) >= 2;
      },
      10_000,
      'the fleet row counting the stopped containers',
    );

    // Health: a failing healthcheck turns the container unhealthy within an interval or two.
    await waitFor(async () => (await find(checked))?.health === 'starting', 10_000, 'health starting');
    await engine.runHealthcheck(checked);
    await waitFor(async () => (await find(checked))?.health === 'unhealthy', 10_000, 'unhealthy');

    // Restarts by the engine's restart policy are counted.
    await waitFor(async () => ((await find(flappy))?.restartCount ?? 0) >= 1, 20_000, 'restart count');

    // container:<name> is offered without config, and the tail follows the container across a restart.
    await waitFor(
      async () =>
        (await s.ctx.store.hosts.findById(hostId))?.agent?.logSources.some(
          (l) => l.name === `container:${app}`,
        ) === true,
      15_000,
      'container log source announced',
    );
    const client = await connectRawClient(s, owner.cookie);
    cleanups.push(() => client.close());
    expect(
      await client.request({ type: 'logs.subscribe', hostId, source: `container:${app}`, backfill: 50 }),
    ).toMatchObject({ type: 'ack' });
    const starts = () =>
      client.messages
        .filter((m) => m.type === 'logs.lines')
        .flatMap((m) => (m.lines as { line: string }[]).map((l) => l.line))
        .filter((l) => l.startsWith('app-started-'));
    await waitFor(() => starts().length >= 1, 10_000, 'backfilled start line');
    await engine.action(app, 'start');
    await waitFor(() => starts().length >= 2, 15_000, 'the start line after the restart');
    expect(new Set(starts()).size).toBe(starts().length);
    await waitFor(async () => (await find(app))?.state === 'running', 10_000, 'app running again');
    expect(agent.output()).not.toMatch(/ERROR/);
  });

  it('alerts when a container goes down and when it is back, and exports its gauges to Prometheus', async () => {
    const s = await startTestServer({
      ...FAST,
      ALERT_SWEEP_MS: '500',
      ALERT_RETRY_BASE_MS: '200',
      // The receiver listens on 127.0.0.1, which the outbound guard refuses unless OUTBOUND_ALLOW opens it.
      OUTBOUND_ALLOW: '127.0.0.1/32',
    });
    cleanups.push(() => s.cleanup());
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const web = engine.uniqueName('web');
    await engine.run(web, { cmd: ['sleep', '600'] });
    const { owner, hostId } = await setupHost(s, false);
    const post = async (url: string, body: unknown) => {
      const res = await s.request('POST', url, { cookie: owner.cookie, body });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(json)).toBe(201);
      return json;
    };
    const org = owner.organizationId;
    const channel = await post(`/api/orgs/${org}/notification-channels`, {
      name: 'hook',
      type: 'webhook',
      config: { url: `${receiver.url}/hook` },
    });
    receiver.secret = channel.secret as string;
    // A glob over the test's own prefix: the rule matches this container and no other test's.
    await post(`/api/orgs/${org}/alert-rules`, {
      name: 'web down',
      condition: { kind: 'container_down', container: `${web.slice(0, -2)}*` },
      forSeconds: 1,
      channelIds: [(channel.channel as { id: string }).id],
    });
    const { token } = (await post(`/api/orgs/${org}/api-tokens`, { name: 'prometheus', role: 'viewer' })) as {
      token: string;
    };
    const scrape = async () => {
      const res = await fetch(`${s.url}/api/orgs/${org}/prometheus`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const up = (text: string) =>
      new RegExp(`^hostwire_container_up\\{[^}]*container="${web}"[^}]*\\} (\\d)`, 'm').exec(text)?.[1];

    await waitFor(
      async () => up(await scrape()) === '1',
      20_000,
      'the container is up in the Prometheus endpoint',
    );
    const hooks = (type: string) => receiver.received.filter((h) => h.json.type === type);

    await engine.action(web, 'kill');
    const firing = await waitFor(() => hooks('alert.firing')[0], 20_000, 'the alert fired and was delivered');
    expect(firing.verified).toBe(true);
    expect(firing.json.host).toMatchObject({ id: hostId });
    expect(firing.json.alert).toMatchObject({ hostId, state: 'firing', container: web });
    await waitFor(
      async () => up(await scrape()) === '0',
      20_000,
      'the container is down in the Prometheus endpoint',
    );

    await engine.action(web, 'start');
    const resolved = await waitFor(
      () => hooks('alert.resolved')[0],
      20_000,
      'the alert resolved and was delivered',
    );
    expect(resolved.verified).toBe(true);
    expect(resolved.json.alert).toMatchObject({ state: 'resolved', container: web });
    expect(resolved.headers['webhook-id']).not.toBe(firing.headers['webhook-id']);
    const res = await s.request('GET', `/api/orgs/${org}/alerts?state=resolved`, { cookie: owner.cookie });
    const { alerts } = (await res.json()) as { alerts: { hostId: string; container?: string }[] };
    expect(alerts).toEqual([expect.objectContaining({ hostId, container: web })]);
  });

  it('runs container-start|stop|restart as signed actions, only for containers the engine reports', async () => {
    const s = await startTestServer(FAST);
    cleanups.push(() => s.cleanup());
    const web = engine.uniqueName('web');
    await engine.run(web, { cmd: ['sleep', '600'] });
    const { owner, hostId } = await setupHost(s, true);
    await waitFor(
      async () =>
        (await s.ctx.store.hosts.findById(hostId))?.agent?.actions.some((a) => a.name === 'container-stop'),
      15_000,
      'container actions announced',
    );
    const run = async (action: string, container: string) => {
      const res = await s.request('POST', `/api/hosts/${hostId}/actions`, {
        cookie: owner.cookie,
        body: { action, params: { container } },
      });
      if (res.status !== 201) return { status: `http ${res.status}`, error: await res.text() };
      const { action: created } = (await res.json()) as { action: { id: string } };
      return waitFor(
        async () => {
          const got = (await (
            await s.request('GET', `/api/actions/${created.id}`, { cookie: owner.cookie })
          ).json()) as {
            action: { status: string; error: string | null };
          };
          return ['succeeded', 'failed', 'rejected', 'timed_out'].includes(got.action.status)
            ? got.action
            : undefined;
        },
        30_000,
        `${action} result`,
      );
    };
    expect(await run('container-stop', web)).toMatchObject({ status: 'succeeded' });
    expect((await engine.inspect(web)).State.Status).toBe('exited');
    expect(await run('container-start', web)).toMatchObject({ status: 'succeeded' });
    expect((await engine.inspect(web)).State.Status).toBe('running');
    expect(await run('container-restart', web)).toMatchObject({ status: 'succeeded' });
    // A name the engine does not report is refused by the agent; one that is not a name never leaves the server.
    expect(await run('container-stop', engine.uniqueName('ghost'))).toMatchObject({
      status: 'rejected',
      error: expect.stringContaining('no container named'),
    });
    expect((await run('container-stop', 'web; rm -rf /')).status).toBe('http 400');
    const audit = (await (
      await s.request('GET', `/api/orgs/${owner.organizationId}/audit`, { cookie: owner.cookie })
    ).json()) as { events: { action: string }[] };
    expect(audit.events.filter((e) => e.action.startsWith('action')).length).toBeGreaterThanOrEqual(4);
  });

  it("works the same in the compiled executable (Bun's node:http on a unix socket): containers and their logs", async () => {
    // `npm test` builds the executable first; outside CI a missing build skips this one check.
    if (!existsSync(EXECUTABLE)) {
      if (process.env.CI === 'true') throw new Error(`${EXECUTABLE} is not built`);
      console.warn(`skipped: ${EXECUTABLE} is not built (npm run build)`);
      return;
    }
    const s = await startTestServer(FAST);
    cleanups.push(() => s.cleanup());
    const name = engine.uniqueName('bin');
    await engine.run(name, { cmd: ['sh', '-c', 'echo from-the-binary; sleep 600'] });
    const owner = await s.setup();
    const res = await s.request('POST', `/api/orgs/${owner.organizationId}/hosts`, {
      cookie: owner.cookie,
      body: { name: 'bin-host' },
    });
    const { host, enrollmentToken } = (await res.json()) as { host: { id: string }; enrollmentToken: string };
    const configPath = await enrollAgent(s.url, enrollmentToken, (config) => {
      config.metrics = { intervalMs: 1000 };
      config.containers = { socket: TEST_ENGINE_SOCKET };
    });
    const child = spawn(EXECUTABLE, ['run', '--config', configPath], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    await waitFor(
      async () => {
        const list = (await (
          await s.request('GET', `/api/hosts/${host.id}/containers`, { cookie: owner.cookie })
        ).json()) as HostContainers;
        return list.containers.some((c) => c.name === name && c.state === 'running' && c.memoryBytes > 0);
      },
      20_000,
      'the executable reporting the container',
    );
    await waitFor(
      async () =>
        (await s.ctx.store.hosts.findById(host.id))?.agent?.logSources.some(
          (l) => l.name === `container:${name}`,
        ),
      15_000,
      'container log source announced',
    );
    const client = await connectRawClient(s, owner.cookie);
    cleanups.push(() => client.close());
    expect(
      await client.request({
        type: 'logs.subscribe',
        hostId: host.id,
        source: `container:${name}`,
        backfill: 10,
      }),
    ).toMatchObject({ type: 'ack' });
    await waitFor(
      () =>
        client.messages.some(
          (m) => m.type === 'logs.lines' && JSON.stringify(m.lines).includes('from-the-binary'),
        ),
      10_000,
      'the container log line through the executable',
    );
  });
});
