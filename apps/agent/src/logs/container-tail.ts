/**
 * @module logs/container-tail — the `container:<name>` log source: follows a container's log through the
 * Engine API and keeps following across stops and restarts (the engine ends a follow when the container
 * stops; this reopens it, from the last line seen, once the container runs again). Log-file rotation is
 * the engine's business: its follow continues across rotations. Ends only when the container is removed.
 */
import type { EngineClient } from '../containers/engine-client.js';
import { EngineError } from '../containers/engine-client.js';
import { startDockerTail } from './docker-tail.js';
import type { LogTail, TailHandlers } from './file-tail.js';

/** How often a stopped container is checked for a restart (ms). */
const RESTART_POLL_MS = 1000;

/** The log source name of a container. */
export function containerSourceName(container: string): string {
  return `container:${container}`;
}

/** `container:web` → `web`; other source names → undefined. */
export function containerOfSource(source: string): string | undefined {
  return source.startsWith('container:') ? source.slice('container:'.length) : undefined;
}

async function containerState(engine: EngineClient, name: string): Promise<string | undefined> {
  try {
    const inspect = await engine.json<{ State?: { Status?: string } }>(
      `/containers/${encodeURIComponent(name)}/json`,
    );
    return inspect.State?.Status ?? 'unknown';
  } catch (error) {
    if (error instanceof EngineError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Starts following `name` (its last `backfill` lines first); rejects when there is no such container.
 * Lines after a restart are not repeated: the reopened follow starts at the last line's time and skips
 * lines not newer than it.
 */
export async function startContainerTail(
  engine: EngineClient,
  name: string,
  backfill: number,
  handlers: TailHandlers,
  pollMs = RESTART_POLL_MS,
): Promise<LogTail> {
  if ((await containerState(engine, name)) === undefined) {
    throw Object.assign(new Error(`no container named ${name}`), { code: 'ENOENT' });
  }
  let stopped = false;
  let current: LogTail | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Lines from before the start came as backfill; a reopened follow begins at the newest line seen.
  // Podman stamps lines to the second: start just before this second, or a restart within it is lost.
  let lastTs = Math.floor(Date.now() / 1000) * 1000 - 1;
  // Engines stamp to the second (Podman) or the nanosecond (Docker): remember the lines of the newest stamp.
  let atLast = new Set<string>();

  const finish = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    handlers.onEnd(reason);
  };

  const open = (reopen: boolean): void => {
    if (stopped) return;
    const since = reopen ? String(Math.floor(lastTs / 1000)) : undefined;
    current = startDockerTail(
      name,
      backfill,
      {
        onLine: (line, ts, isBackfill) => {
          // A reopened follow starts at `since` (ms precision): drop what was already passed on.
          if (reopen && (ts < lastTs || (ts === lastTs && atLast.has(line)))) return;
          if (ts > lastTs) {
            lastTs = ts;
            atLast = new Set();
          }
          if (ts === lastTs && atLast.size < 1000) atLast.add(line);
          handlers.onLine(line, ts, reopen ? false : isBackfill);
        },
        onEnd: (reason) => {
          current = undefined;
          if (stopped) return;
          if (reason.startsWith('docker answered HTTP 404')) return finish(`container ${name} was removed`);
          // Stopped, or the engine itself restarting: wait until the container runs again.
          timer = setTimeout(() => void waitForRun(), pollMs);
        },
      },
      engine.socketPath,
      since === undefined ? {} : { since },
    );
  };

  const waitForRun = async (): Promise<void> => {
    if (stopped) return;
    let state: string | undefined;
    try {
      state = await containerState(engine, name);
    } catch {
      state = 'unreachable';
    }
    if (stopped) return;
    if (state === undefined) return finish(`container ${name} was removed`);
    if (state === 'running') return open(true);
    timer = setTimeout(() => void waitForRun(), pollMs);
  };

  open(false);
  return {
    stop(): void {
      stopped = true;
      clearTimeout(timer);
      current?.stop();
      current = undefined;
    },
  };
}
