/**
 * @module containers — the containers of a host as the agent reports them in each metrics sample
 * (Docker Engine API, Docker or Podman), the series kept per container, and the rules shared by the
 * server, the alerts and the UI: when a container counts as down, and how a name glob matches.
 */
import { z } from 'zod/mini';
import { compileGlob } from './glob.js';

const Bytes = z.number().check(z.nonnegative());
const Rate = z.number().check(z.nonnegative());

export const CONTAINER_HEALTHS = ['healthy', 'unhealthy', 'starting', 'none'] as const;
export const ContainerHealth = z.enum(CONTAINER_HEALTHS);
export type ContainerHealth = z.infer<typeof ContainerHealth>;

/** A container name as the engine reports it, without the leading `/`. */
export const ContainerName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'must be a container name (A-Z a-z 0-9 _ . -)'));

/**
 * One container in a metrics sample. `state` is the engine's word (`running`, `exited`, `paused`,
 * `restarting`, `created`, `dead`, …). Rates are per second over the agent's interval; `cpuPercent`
 * is percent of one core (200 = two cores busy), as `docker stats` shows it. `memoryLimitBytes` is 0
 * when the container has no limit. Figures of a container that is not running are 0.
 */
export const ContainerInfo = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9]{1,128}$/)),
  name: ContainerName,
  image: z.string().check(z.maxLength(512)),
  state: z.string().check(z.minLength(1), z.maxLength(32)),
  health: ContainerHealth,
  cpuPercent: z.number().check(z.nonnegative()),
  memoryBytes: Bytes,
  memoryLimitBytes: Bytes,
  netRxBps: Rate,
  netTxBps: Rate,
  blockReadBps: Rate,
  blockWriteBps: Rate,
  restartCount: z.int().check(z.nonnegative()),
  /** When the container last started (ms since the epoch); absent when the engine does not say. */
  startedAt: z.optional(z.int().check(z.nonnegative())),
});
export type ContainerInfo = z.infer<typeof ContainerInfo>;

/** At most this many containers per sample; the agent reports the first ones by name. */
export const MAX_CONTAINERS_PER_SAMPLE = 500;

/** The scalar series kept in history per container: cpu %, memory bytes, and the four rates. */
export const CONTAINER_SERIES = ['cpu', 'memory', 'netRx', 'netTx', 'blockRead', 'blockWrite'] as const;
export type ContainerSeries = (typeof CONTAINER_SERIES)[number];
export const ContainerSeriesName = z.enum(CONTAINER_SERIES);

export function extractContainerSeries(c: ContainerInfo): Record<ContainerSeries, number> {
  return {
    cpu: c.cpuPercent,
    memory: c.memoryBytes,
    netRx: c.netRxBps,
    netTx: c.netTxBps,
    blockRead: c.blockReadBps,
    blockWrite: c.blockWriteBps,
  };
}

/** One series of a container: what `extractContainerSeries` holds for it, without building the record. */
export function containerSeriesValue(c: ContainerInfo, series: ContainerSeries): number {
  switch (series) {
    case 'cpu':
      return c.cpuPercent;
    case 'memory':
      return c.memoryBytes;
    case 'netRx':
      return c.netRxBps;
    case 'netTx':
      return c.netTxBps;
    case 'blockRead':
      return c.blockReadBps;
    case 'blockWrite':
      return c.blockWriteBps;
  }
}

/** A container is down when it is not running, or running but unhealthy. */
export function isContainerDown(c: Pick<ContainerInfo, 'state' | 'health'>): boolean {
  return c.state !== 'running' || c.health === 'unhealthy';
}

/** A container name or a glob of one: `*` any run of characters, `?` one character. */
export const ContainerPattern = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_.*?-]{1,255}$/, 'must be a container name or a glob of one (* and ?)'));

/**
 * True when `name` matches `pattern` (`*` any run, `?` one character; the whole name must match), in time
 * linear in the name. Compiles the pattern on each call: to match many names, compile it once with
 * `compileGlob` (the alert engine does, per rule).
 */
export function containerNameMatches(pattern: string, name: string): boolean {
  return compileGlob(pattern).matches(name);
}
