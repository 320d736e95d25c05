/** @module bench/lib/process — child processes of the bench (spawn, health wait, cleanup) and /proc readings. */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism } from 'node:os';

/** Every child still running; killed on exit, on a signal and on a failed scenario. */
const children = new Set();

/** Clock ticks per second for /proc/<pid>/stat utime/stime (getconf CLK_TCK, 100 on Linux). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Synchronous clean-ups (temp dirs) still pending; run on exit if their run did not get to them. */
const exitCleanups = new Set();

process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of exitCleanups) cleanup();
});

/** Registers a synchronous clean-up for process exit; returns a function that runs it now (once). */
export function atExit(cleanup) {
  const run = () => {
    if (!exitCleanups.delete(run)) return;
    cleanup();
  };
  exitCleanups.add(run);
  return run;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node [...nodeArgs] <script> ...args` with `env` added to the bench's environment. stderr is
 * kept (last 64 KiB) for error reports. Returns { child, pid, stderr(), exited, stop() }.
 */
export function spawnNode(script, args, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-65536);
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid,
    stderr: () => stderr,
    exited,
    /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
    async stop(graceMs = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls GET `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitForHealth(url, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was healthy:\n${proc.stderr()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${proc.stderr()}`);
}

/** CPU seconds (user + system) and RSS bytes of `pid`, from /proc. */
export function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssBytes: rssKb * 1024 };
}

/** Busy and total jiffies of the whole machine (all cores), from the first line of /proc/stat. */
function machineJiffies() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Measures `pid` between start() and stop(): CPU% of one core over the span, RSS at the end and the
 * peak RSS seen by a 250 ms poll, and the whole machine's busy CPU% (100 per core) to expose
 * contention from other processes.
 */
export function cpuMeter(pid) {
  let start;
  let machine0;
  let t0 = 0;
  let peak = 0;
  let timer;
  return {
    start() {
      start = procStats(pid);
      machine0 = machineJiffies();
      t0 = performance.now();
      peak = start.rssBytes;
      timer = setInterval(() => {
        try {
          peak = Math.max(peak, procStats(pid).rssBytes);
        } catch {
          clearInterval(timer);
        }
      }, 250);
    },
    stop() {
      clearInterval(timer);
      const end = procStats(pid);
      const machine = machineJiffies();
      const seconds = (performance.now() - t0) / 1000;
      const cores = availableParallelism();
      return {
        cpuPercent: ((end.cpuSeconds - start.cpuSeconds) / seconds) * 100,
        machineCpuPercent:
          ((machine.busy - machine0.busy) / Math.max(1, machine.total - machine0.total)) * 100 * cores,
        rssStartBytes: start.rssBytes,
        rssBytes: end.rssBytes,
        rssPeakBytes: Math.max(peak, end.rssBytes),
      };
    },
  };
}

/** The soft "Max open files" limit of this process (inherited by the children), from /proc/self/limits. */
export function openFilesLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Infinity : Number(soft) || 1024;
  } catch {
    return 1024;
  }
}

/** Kills every child the bench started (used when a scenario fails or times out). */
export async function killAllChildren() {
  const waits = [];
  for (const child of children) {
    waits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGKILL');
  }
  await Promise.all(waits);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
