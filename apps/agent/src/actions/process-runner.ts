/** @module actions/process-runner — runs one argv without a shell, in its own process group, with limits. */
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { ActionOutcome } from '@hostwire/protocol';

/** Output is forwarded in pieces of at most this many bytes (a JSON-escaped piece stays under 64 KiB). */
export const OUTPUT_PIECE_BYTES = 8 * 1024;
/** Time between SIGTERM and SIGKILL when a process group is stopped. */
export const KILL_GRACE_MS = 3000;

export interface RunOptions {
  timeoutMs: number;
  outputCapBytes: number;
  /** Aborting cancels the run (the whole process group is killed). */
  signal?: AbortSignal;
  /** Called once the process exists. */
  onStart?: (pid: number) => void;
  onOutput: (stream: 'stdout' | 'stderr', data: string) => void;
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
}

export interface RunResult {
  status: Exclude<ActionOutcome, 'rejected'>;
  exitCode: number | null;
  signal: string | null;
  truncated: boolean;
  error?: string;
  pid?: number;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

/**
 * `spawn(argv[0], argv.slice(1), { shell: false, detached: true })`: the child leads a new process
 * group, so a timeout or cancel kills it and everything it started (SIGTERM, then SIGKILL after a
 * grace period). Output beyond `outputCapBytes` is read and discarded, and the result says `truncated`.
 */
export function runProcess(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined)
    return Promise.resolve({
      status: 'failed',
      exitCode: null,
      signal: null,
      truncated: false,
      error: 'empty argv',
    });
  return new Promise<RunResult>((resolve) => {
    const child = spawn(program, args, {
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
    });
    let forwarded = 0;
    let truncated = false;
    let stopReason: 'timed_out' | 'cancelled' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stopGroup = (reason: 'timed_out' | 'cancelled'): void => {
      if (stopReason || child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
        return;
      stopReason = reason;
      killGroup(child.pid, 'SIGTERM');
      const pid = child.pid;
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs ?? KILL_GRACE_MS);
    };
    const timeout = setTimeout(() => stopGroup('timed_out'), options.timeoutMs);
    const onAbort = (): void => stopGroup('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const pipe = (stream: 'stdout' | 'stderr'): void => {
      const decoder = new StringDecoder('utf8');
      child[stream].on('data', (chunk: Buffer) => {
        for (let at = 0; at < chunk.length && !truncated; at += OUTPUT_PIECE_BYTES) {
          let piece = chunk.subarray(at, at + OUTPUT_PIECE_BYTES);
          if (forwarded + piece.length > options.outputCapBytes) {
            piece = piece.subarray(0, options.outputCapBytes - forwarded);
            truncated = true;
          }
          forwarded += piece.length;
          const text = decoder.write(piece);
          if (text) options.onOutput(stream, text);
        }
      });
    };
    pipe('stdout');
    pipe('stderr');

    const finish = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      // The group gets SIGKILL on schedule even after the leader exited, so stragglers do not survive.
      if (!stopReason) clearTimeout(killTimer);
      resolve(result);
    };
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onStart?.(child.pid);
      if (options.signal?.aborted) onAbort();
    });
    child.on('error', (error) => {
      finish({
        status: 'failed',
        exitCode: null,
        signal: null,
        truncated,
        error: `cannot start ${program}: ${error.message}`,
      });
    });
    child.on('exit', () => {
      // Wait for the pipes, but not forever: a background grandchild may hold them open.
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2000);
      grace.unref();
    });
    child.on('close', (code, signal) => {
      const status: RunResult['status'] = stopReason ?? (code === 0 ? 'succeeded' : 'failed');
      finish({ status, exitCode: code, signal, truncated, pid: child.pid });
    });
  });
}
