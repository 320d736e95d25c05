/** @module test/chaos/lib/scope — what one experiment starts (processes, temp dirs, mounts), released by id when it ends. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A child process the suite started; `kill9` and `stop` address it by its PID only. */
export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last 64 KiB of its stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolved once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Every process any scope still holds: killed by PID if the test process exits early. */
const everyLiveProcess = new Set<Proc>();
process.once('exit', () => {
  for (const p of everyLiveProcess) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export interface Scope {
  spawn(name: string, command: string, args: string[], env?: Record<string, string>): Proc;
  /** A temp dir removed when the scope closes. */
  tempDir(prefix: string): string;
  /** Runs `fn` when the scope closes (last registered, first run). */
  defer(fn: () => unknown): void;
  /** Kills what is still running (by PID), runs the deferred clean-ups, removes the temp dirs. */
  close(): Promise<void>;
}

function trackProcess(name: string, child: ChildProcess): Proc {
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const proc: Proc = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    alive,
    async kill9() {
      if (alive()) process.kill(proc.pid, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 8000) {
      if (!alive()) return;
      process.kill(proc.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (alive()) process.kill(proc.pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  everyLiveProcess.add(proc);
  void exited.then(() => everyLiveProcess.delete(proc));
  return proc;
}

export function createScope(): Scope {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  const deferred: (() => unknown)[] = [];
  return {
    spawn(name, command, args, env = {}) {
      const child = spawn(command, args, {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proc = trackProcess(name, child);
      procs.push(proc);
      return proc;
    },
    tempDir(prefix) {
      const dir = mkdtempSync(path.join(tmpdir(), `hostwire-chaos-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    defer(fn) {
      deferred.push(fn);
    },
    async close() {
      await Promise.all(procs.splice(0).map((p) => p.kill9()));
      for (const fn of deferred.splice(0).reverse()) {
        try {
          await fn();
        } catch (error) {
          console.warn(`chaos clean-up failed: ${String(error)}`);
        }
      }
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close): for programs that cannot report theirs. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of `pid` in MiB, from /proc (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A uniform random integer in [min, max]. */
export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
