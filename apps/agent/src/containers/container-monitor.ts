/**
 * @module containers/container-monitor — lists the engine's containers once per sampling tick, reads the
 * running ones' stats (on Podman all in one bulk libpod call, on Docker one one-shot call each, and per
 * container wherever the bulk call fails or misses one), inspects new or changed ones (state, health, restarts), and keeps
 * the last complete result for the sampler. Runs beside the host collector: a slow, absent or restarting
 * engine costs the host sample at most a short grace, never its interval.
 */
import { totalmem } from 'node:os';
import { ContainerName, MAX_CONTAINERS_PER_SAMPLE, type ContainerInfo } from '@hostwire/protocol/agent';
import type { Logger } from '../log.js';
import type { EngineClient } from './engine-client.js';
import {
  againstWallClock,
  computeFigures,
  healthHint,
  healthOf,
  podmanSwapsNetwork,
  readLibpodStats,
  readStats,
  withNetworkSwapped,
  type EngineInspect,
  type EngineListEntry,
  type EngineStats,
  type LibpodStatsAnswer,
  type LibpodStatsEntry,
  type StatsReading,
} from './engine-stats.js';

export interface ContainerMonitorOptions {
  engine: EngineClient;
  log: Logger;
  /** Engine requests at once (stats and inspects). */
  concurrency?: number;
  /** Deadline of each engine request (ms). */
  requestTimeoutMs?: number;
  /** Inspect every container at least this often, changed or not (ms): a safety net for restarts. */
  inspectMaxAgeMs?: number;
  /**
   * Which stats calls to use: `auto` (default) asks the engine once whether it is Podman and then uses its
   * bulk libpod call; `docker` always uses the per-container Docker API call.
   */
  statsApi?: 'auto' | 'docker';
  /** Called when the set of container names changes (log sources follow it). */
  onNamesChanged?: (names: string[]) => void;
}

interface Tracked {
  listState: string;
  listHealth: string;
  inspect: EngineInspect | undefined;
  inspectedAt: number;
  reading: StatsReading | undefined;
  /** Inspect again on the next refresh (a counter went backwards: the container restarted). */
  stale: boolean;
}

/** What the engine is, as far as reading its stats goes. */
interface EngineKind {
  podman: boolean;
  /** Podman, and its bulk libpod stats call is to be used (not with `statsApi: 'docker'`). */
  bulkStats: boolean;
  /** Podman before 4.4: received and sent network bytes come swapped (see podmanSwapsNetwork). */
  swapsNetwork: boolean;
}

export interface Listed {
  id: string;
  name: string;
  image: string;
  state: string;
  health: string;
}

/** Podman's own stats call for every running container at once (libpod API, Podman ≥ 4). */
export const LIBPOD_BULK_STATS_PATH = '/v4.0.0/libpod/containers/stats?stream=false';
/** Tries of the bulk call per refresh when Podman answers without a list (see `bulkStats`). */
const BULK_STATS_ATTEMPTS = 2;

const NAME_OK = (name: string): boolean => ContainerName.safeParse(name).success;

function toListed(entry: EngineListEntry): Listed | undefined {
  const name = (entry.Names?.[0] ?? '').replace(/^\//, '');
  if (!NAME_OK(name) || !/^[A-Za-z0-9]{1,128}$/.test(entry.Id)) return undefined;
  return {
    id: entry.Id,
    name,
    image: (entry.Image ?? '').slice(0, 512),
    state: (entry.State ?? 'unknown').toLowerCase().slice(0, 32) || 'unknown',
    health: healthHint(entry.Status),
  };
}

function startedAtOf(inspect: EngineInspect | undefined): number | undefined {
  const ms = Date.parse(inspect?.State?.StartedAt ?? '');
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * The containers part of a sample stays under this many bytes of JSON, so a sample fits the server's
 * default 64 KiB frame with the host figures (about 170 containers; the first ones by name are kept).
 */
export const CONTAINERS_BUDGET_BYTES = 48 * 1024;

function fitBudget(containers: ContainerInfo[]): ContainerInfo[] {
  let size = 0;
  for (let i = 0; i < containers.length; i++) {
    size += JSON.stringify(containers[i]).length + 1;
    if (size > CONTAINERS_BUDGET_BYTES) return containers.slice(0, i);
  }
  return containers;
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Watches the containers of one engine; `sample()` is called once per sampling tick. */
export class ContainerMonitor {
  private readonly engine: EngineClient;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly requestTimeoutMs: number;
  private readonly inspectMaxAgeMs: number;
  private readonly tracked = new Map<string, Tracked>();
  private readonly hostMemory = totalmem();
  private inFlight: Promise<void> | undefined;
  private result: { containers: ContainerInfo[]; at: number } | undefined;
  private reachable: boolean | undefined;
  private names: string[] = [];
  /** What the engine's `GET /version` told (undefined: not asked yet, or the question failed). */
  private kind: EngineKind | undefined;

  constructor(private readonly options: ContainerMonitorOptions) {
    this.engine = options.engine;
    this.log = options.log;
    this.concurrency = options.concurrency ?? 4;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.inspectMaxAgeMs = options.inspectMaxAgeMs ?? 60_000;
  }

  /** The container names of the last complete listing, sorted. */
  get containerNames(): readonly string[] {
    return this.names;
  }

  /** Whether the last listing reached the engine (undefined before the first). */
  get engineReachable(): boolean | undefined {
    return this.reachable;
  }

  /** Starts a refresh unless one runs (the sampler calls it shortly before a tick, so the tick finds it done). */
  prefetch(): Promise<void> {
    return (this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    }));
  }

  /**
   * The containers for a sample: the last result when it completed within `freshMs` (a prefetch), else
   * a refresh (or the one running) awaited at most `graceMs`. Returns the last complete result if it is
   * younger than `maxAgeMs`, else undefined (the sample omits containers).
   */
  async sample(graceMs: number, maxAgeMs: number, freshMs = 0): Promise<ContainerInfo[] | undefined> {
    if (!(this.result && Date.now() - this.result.at <= freshMs)) {
      const running = this.prefetch();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        running,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const result = this.result;
    return result && Date.now() - result.at <= maxAgeMs ? result.containers : undefined;
  }

  /** Waits for a running refresh (tests, shutdown). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  /** The engine's current list (fresh, not the cached one): actions check their parameter against it. */
  async list(): Promise<Listed[]> {
    const entries = await this.engine.json<EngineListEntry[]>('/containers/json?all=1', {
      timeoutMs: this.requestTimeoutMs,
    });
    return entries.map(toListed).filter((c): c is Listed => c !== undefined);
  }

  /**
   * Asks the engine once what it is (`GET /version`): Podman has a component named `Podman Engine`, whose
   * version tells whether it reports network bytes swapped.
   */
  private async engineKind(): Promise<EngineKind> {
    if (this.kind === undefined) {
      try {
        const version = await this.engine.json<{
          Components?: { Name?: unknown; Version?: unknown }[] | null;
        }>('/version', { timeoutMs: this.requestTimeoutMs });
        const podman = (version?.Components ?? []).find((c) => c?.Name === 'Podman Engine');
        this.kind = {
          podman: podman !== undefined,
          bulkStats: podman !== undefined && this.options.statsApi !== 'docker',
          swapsNetwork: podman !== undefined && podmanSwapsNetwork(podman.Version),
        };
        if (this.kind.bulkStats)
          this.log.debug('containers: Podman engine, reading stats with one libpod call');
        if (this.kind.swapsNetwork)
          this.log.debug(
            `containers: Podman ${String(podman?.Version)} reports network bytes swapped; correcting them`,
          );
      } catch (error) {
        this.log.debug(`containers: engine version unknown: ${(error as Error).message}`);
        return { podman: false, bulkStats: false, swapsNetwork: false };
      }
    }
    return this.kind;
  }

  /**
   * On Podman the stats of every running container in one call, by id; undefined when the call fails (the
   * refresh then reads each container's stats with the Docker API call).
   *
   * Podman fails the whole call (`{"Error":{},"Stats":null}`) when one container starts or exits while it
   * reads them; asked again at once it answers (3,093 calls during container churn here: 6 such answers,
   * every retry answered). So an answer without a list is asked once more before falling back.
   */
  private async bulkStats(): Promise<{ entries: Map<string, LibpodStatsEntry>; at: number } | undefined> {
    try {
      let answer: LibpodStatsAnswer | undefined;
      for (let attempt = 0; attempt < BULK_STATS_ATTEMPTS && !Array.isArray(answer?.Stats); attempt++) {
        answer = await this.engine.json<LibpodStatsAnswer>(LIBPOD_BULK_STATS_PATH, {
          rawPath: true,
          timeoutMs: this.requestTimeoutMs,
        });
      }
      const at = performance.now();
      if (!Array.isArray(answer?.Stats)) {
        throw new Error(`answer without a Stats list, ${BULK_STATS_ATTEMPTS} times`);
      }
      const entries = new Map<string, LibpodStatsEntry>();
      for (const entry of answer.Stats) {
        if (typeof entry?.ContainerID === 'string') entries.set(entry.ContainerID, entry);
      }
      return { entries, at };
    } catch (error) {
      this.log.debug(`containers: bulk stats failed, reading each container: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** One pass: list, stats of the running ones, inspects where needed. Never throws. */
  async refresh(): Promise<void> {
    let listed: Listed[];
    try {
      listed = await this.list();
      if (this.reachable !== true) {
        this.log.info(`container engine reachable at ${this.engine.socketPath}`);
      }
      this.reachable = true;
    } catch (error) {
      if (this.reachable !== false) {
        // Once per outage, not every interval: an agent on a host without Docker is normal.
        this.log.warn(`containers: ${(error as Error).message} (retrying every interval, logged once)`);
      }
      this.reachable = false;
      return;
    }
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    listed = listed.slice(0, MAX_CONTAINERS_PER_SAMPLE);
    const ids = new Set(listed.map((c) => c.id));
    for (const id of this.tracked.keys()) if (!ids.has(id)) this.tracked.delete(id);

    const now = Date.now();
    const kind = listed.some((c) => c.state === 'running') ? await this.engineKind() : undefined;
    const bulk = kind?.bulkStats ? await this.bulkStats() : undefined;
    const out = new Map<string, ContainerInfo>();
    await eachLimited(listed, this.concurrency, async (c) => {
      const t: Tracked = this.tracked.get(c.id) ?? {
        listState: '',
        listHealth: '',
        inspect: undefined,
        inspectedAt: 0,
        reading: undefined,
        stale: true,
      };
      this.tracked.set(c.id, t);
      let figures = {
        cpuPercent: 0,
        memoryBytes: 0,
        memoryLimitBytes: 0,
        netRxBps: 0,
        netTxBps: 0,
        blockReadBps: 0,
        blockWriteBps: 0,
      };
      if (c.state === 'running') {
        try {
          const entry = bulk?.entries.get(c.id);
          let reading = entry
            ? readLibpodStats(entry, bulk?.at ?? performance.now(), this.hostMemory)
            : readStats(
                await this.engine.json<EngineStats>(`/containers/${c.id}/stats?stream=false&one-shot=true`, {
                  timeoutMs: this.requestTimeoutMs,
                }),
                performance.now(),
                this.hostMemory,
              );
          if (kind?.podman && !entry) reading = againstWallClock(reading);
          if (kind?.swapsNetwork) reading = withNetworkSwapped(reading);
          if (t.reading?.source === reading.source && reading.cpuTotal < t.reading.cpuTotal) t.stale = true;
          figures = computeFigures(t.reading, reading);
          t.reading = reading;
        } catch (error) {
          this.log.debug(`containers: stats of ${c.name} failed: ${(error as Error).message}`);
        }
      } else {
        t.reading = undefined;
      }
      const changed = c.state !== t.listState || c.health !== t.listHealth;
      const hasHealthcheck = healthOf(t.inspect) !== 'none';
      if (t.stale || changed || hasHealthcheck || now - t.inspectedAt >= this.inspectMaxAgeMs) {
        try {
          t.inspect = await this.engine.json<EngineInspect>(`/containers/${c.id}/json`, {
            timeoutMs: this.requestTimeoutMs,
          });
          t.inspectedAt = now;
          t.stale = false;
          t.listState = c.state;
          t.listHealth = c.health;
        } catch (error) {
          this.log.debug(`containers: inspect of ${c.name} failed: ${(error as Error).message}`);
        }
      }
      const startedAt = c.state === 'running' ? startedAtOf(t.inspect) : undefined;
      out.set(c.id, {
        id: c.id,
        name: c.name,
        image: c.image,
        state: c.state,
        health: c.state === 'running' ? healthOf(t.inspect) : 'none',
        ...figures,
        restartCount: Math.max(0, Math.floor(t.inspect?.RestartCount ?? 0)),
        ...(startedAt === undefined ? {} : { startedAt }),
      });
    });
    const containers = fitBudget(
      listed.map((c) => out.get(c.id)).filter((c): c is ContainerInfo => c !== undefined),
    );
    this.result = { containers, at: Date.now() };
    const names = containers.map((c) => c.name);
    if (names.join('\n') !== this.names.join('\n')) {
      this.names = names;
      this.options.onNamesChanged?.(names);
    }
  }
}
