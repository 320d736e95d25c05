// The whole agent (runAgent) with a real engine (Podman): the first hello already offers container:<name>,
// samples carry the containers, and a new container is announced unasked with logs.sources.
import path from 'node:path';
import type { AgentToServer, MetricsSample } from '@hostwire/protocol';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../agent.js';
import { TEST_ENGINE_SOCKET, TestEngine, skipWithoutEngine } from '../test-support/engine.js';
import { createCommandKeys, createTempDir, createTestConfig, waitFor } from '../test-support/fixtures.js';
import { startTestGateway, type TestGateway } from '../test-support/test-server.js';

const keys = createCommandKeys();
const skip = await skipWithoutEngine();
const engine = new TestEngine();
afterAll(() => engine.removeAll());

type Frame<T extends AgentToServer['type']> = Extract<AgentToServer, { type: T }>;

describe.skipIf(skip)('runAgent with a container engine', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let gateway: TestGateway;
  let controller: AbortController;
  beforeEach(async () => {
    tmp = await createTempDir();
    gateway = await startTestGateway();
    controller = new AbortController();
  });
  afterEach(async () => {
    controller.abort();
    await gateway.close();
    await tmp.remove();
  });

  it('offers container:<name> in its first hello, sends containers in samples and announces new ones', async () => {
    const first = engine.uniqueName('first');
    await engine.run(first, { cmd: ['sleep', '600'] });
    const done = runAgent(
      createTestConfig(gateway.url, keys.publicKeyPem, {
        metrics: { intervalMs: 500 },
        containers: { socket: TEST_ENGINE_SOCKET, actions: true },
      }),
      {
        stateDir: path.join(tmp.dir, 'state'),
        signal: controller.signal,
        backends: { journald: false, docker: true },
      },
    );
    const peer = await waitFor(() => gateway.peers[0], 15_000, 'connection');
    const hello = await waitFor(
      () => peer.frames.find((f): f is Frame<'hello'> => f.type === 'hello'),
      15_000,
      'hello',
    );
    expect(hello.logSources).toContainEqual(
      expect.objectContaining({ name: `container:${first}`, kind: 'docker' }),
    );
    expect(hello.actions.map((a) => a.name)).toEqual(
      expect.arrayContaining(['container-start', 'container-stop', 'container-restart']),
    );
    const samples = (): MetricsSample[] =>
      peer.frames.filter((f): f is Frame<'metrics'> => f.type === 'metrics').flatMap((f) => f.samples);
    await waitFor(
      () => samples().some((s) => s.containers?.some((c) => c.name === first && c.state === 'running')),
      15_000,
      'a sample with the container',
    );
    const second = engine.uniqueName('second');
    await engine.run(second, { cmd: ['sleep', '600'] });
    await waitFor(
      () =>
        peer.frames.some(
          (f) => f.type === 'logs.sources' && f.logSources.some((s) => s.name === `container:${second}`),
        ),
      15_000,
      'logs.sources naming the new container',
    );
    controller.abort();
    expect(await done).toBeUndefined();
  });
});
