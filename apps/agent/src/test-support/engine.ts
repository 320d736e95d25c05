/**
 * @module test-support/engine — the real container engine the container tests use (Podman's Docker API
 * socket from `tooling/podman-start.sh`, or any Docker socket): finding it, and creating, starting,
 * stopping, killing and removing uniquely named test containers through the Engine API.
 */
import { randomBytes } from 'node:crypto';
import { EngineClient, EngineError } from '../containers/engine-client.js';

/** `HOSTWIRE_TEST_DOCKER_SOCKET`, else the socket start.sh creates. */
export const TEST_ENGINE_SOCKET = process.env.HOSTWIRE_TEST_DOCKER_SOCKET ?? '/run/hostwire-test/podman.sock';
/** The busybox image start.sh builds locally (no registry is reachable). */
export const TEST_IMAGE = process.env.HOSTWIRE_TEST_IMAGE ?? 'localhost/hostwire-test/busybox:latest';

/**
 * Whether a suite needing the engine should skip: false when it answers. Under CI=true a missing engine
 * is an error, never a skip.
 */
export async function skipWithoutEngine(): Promise<boolean> {
  const engine = new EngineClient(TEST_ENGINE_SOCKET, 3000);
  try {
    await engine.json('/version');
    return false;
  } catch (error) {
    const reason = `no container engine at ${TEST_ENGINE_SOCKET} (${(error as Error).message}); run tooling/podman-start.sh`;
    if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true requires it`);
    console.warn(`skipped: ${reason}`);
    return true;
  }
}

export interface CreateOptions {
  cmd: string[];
  restart?: 'no' | 'always' | 'on-failure';
  healthcheck?: string[];
  tty?: boolean;
  /** Memory limit (bytes). */
  memory?: number;
}

/** Test containers named `hwt-<prefix>-<random>`; `removeAll()` force-removes every one it made. */
export class TestEngine {
  readonly engine = new EngineClient(TEST_ENGINE_SOCKET, 30_000);
  private readonly made = new Set<string>();

  uniqueName(prefix: string): string {
    return `hwt-${prefix}-${randomBytes(4).toString('hex')}`;
  }

  /** Creates (not starts) a container; returns its id. */
  async create(name: string, options: CreateOptions): Promise<string> {
    const body = {
      Image: TEST_IMAGE,
      Cmd: options.cmd,
      Tty: options.tty ?? false,
      HostConfig: {
        RestartPolicy: { Name: options.restart ?? 'no' },
        ...(options.memory ? { Memory: options.memory } : {}),
      },
      ...(options.healthcheck
        ? { Healthcheck: { Test: options.healthcheck, Interval: 3_600_000_000_000, Retries: 1 } }
        : {}),
    };
    const { id } = await this.post<{ Id: string }>(`/containers/create?name=${name}`, body).then((r) => ({
      id: r.Id,
    }));
    this.made.add(name);
    return id;
  }

  async run(name: string, options: CreateOptions): Promise<string> {
    const id = await this.create(name, options);
    await this.action(name, 'start');
    return id;
  }

  async action(name: string, verb: 'start' | 'stop' | 'restart' | 'kill'): Promise<void> {
    const query = verb === 'stop' || verb === 'restart' ? '?t=1' : '';
    try {
      await this.engine.json(`/containers/${name}/${verb}${query}`, { method: 'POST' });
    } catch (error) {
      if (!(error instanceof EngineError && error.status === 304)) throw error;
    }
  }

  /** Runs a container's healthcheck now (Podman without systemd has no timer for it). */
  async runHealthcheck(name: string): Promise<void> {
    await this.engine
      .json(`/v4.0.0/libpod/containers/${name}/healthcheck`, { rawPath: true })
      .catch(() => undefined);
  }

  async inspect(name: string): Promise<{
    State: { Status: string };
    RestartCount?: number;
    NetworkSettings?: { IPAddress?: string };
  }> {
    return this.engine.json(`/containers/${name}/json`);
  }

  async remove(name: string): Promise<void> {
    try {
      await this.engine.json(`/containers/${name}?force=1&v=1`, { method: 'DELETE' });
    } catch (error) {
      if (!(error instanceof EngineError && error.status === 404)) throw error;
    }
    this.made.delete(name);
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.made].map((name) => this.remove(name).catch(() => undefined)));
  }

  private post<T>(apiPath: string, body: unknown): Promise<T> {
    return this.engine.json<T>(apiPath, { method: 'POST', body });
  }
}
