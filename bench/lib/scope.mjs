/** @module bench/lib/scope — one measurement run: its target process, sockets and timers, torn down on any exit. */
import { killAllChildren } from './process.mjs';
import { startTarget } from './targets.mjs';

/** Raised when a run exceeds its hard time limit. */
export class BenchTimeout extends Error {
  name = 'BenchTimeout';
}

/** Sockets and timers of one run; `dispose()` terminates and clears all of them. */
export class Scope {
  constructor() {
    this.sockets = new Set();
    this.timers = new Set();
  }

  /** Registers a socket (terminated on dispose); returns it. */
  track(ws) {
    this.sockets.add(ws);
    return ws;
  }

  /** setInterval that is cleared on dispose. */
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    this.timers.add(timer);
    return timer;
  }

  /** setTimeout that is cleared on dispose. */
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    this.timers.add(timer);
    return timer;
  }

  clear(timer) {
    clearInterval(timer);
    this.timers.delete(timer);
  }

  dispose() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }
}

/**
 * Starts the `kind` target, runs `fn(target, scope)` under a hard `timeoutMs`, and always stops the
 * target and disposes the scope (timeout, error or success).
 */
export async function runWithTarget(kind, timeoutMs, fn, env) {
  const scope = new Scope();
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new BenchTimeout(`${kind} run exceeded its ${Math.round(timeoutMs / 1000)} s limit`)),
      timeoutMs,
    );
  });
  let target;
  try {
    const work = (async () => {
      target = await startTarget(kind, env);
      return fn(target, scope);
    })();
    work.catch(() => undefined);
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    scope.dispose();
    if (target) await target.stop();
    else await killAllChildren();
  }
}
