/** @module logs/journald-tail — follows a systemd unit with `journalctl -f -o json`. */
import { spawn } from 'node:child_process';
import type { LogTail, TailHandlers } from './file-tail.js';

/** The text of a journal entry's MESSAGE (a string, or an array of bytes for binary messages). */
export function journalMessage(entry: Record<string, unknown>): string | undefined {
  const message = entry.MESSAGE;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && message.every((b) => typeof b === 'number')) {
    return Buffer.from(message).toString('utf8');
  }
  return undefined;
}

/** Parses one `journalctl -o json` line into its message and timestamp (ms). */
export function parseJournalLine(line: string): { line: string; ts: number } | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) return undefined;
  const record = entry as Record<string, unknown>;
  const text = journalMessage(record);
  if (text === undefined) return undefined;
  const micros = Number(record.__REALTIME_TIMESTAMP);
  return { line: text, ts: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : Date.now() };
}

/**
 * Spawns `journalctl -f -o json -u <unit> -n <backfill>` (no shell). The first `backfill` entries are
 * flagged as backfill; the tail ends when journalctl exits.
 */
export function startJournaldTail(
  unit: string,
  backfill: number,
  handlers: TailHandlers,
  command = 'journalctl',
): LogTail {
  const child = spawn(command, ['--no-pager', '-f', '-o', 'json', '-u', unit, '-n', String(backfill)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let remainingBackfill = backfill;
  let stopped = false;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-500);
  });
  // One JSON object per line (split here rather than with node:readline, which the agent need not load).
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const raws = (partial + chunk).split('\n');
    partial = raws.pop() ?? '';
    for (const raw of raws) {
      const parsed = parseJournalLine(raw);
      if (!parsed) continue;
      const isBackfill = remainingBackfill > 0;
      if (isBackfill) remainingBackfill -= 1;
      handlers.onLine(parsed.line, parsed.ts, isBackfill);
    }
  });
  child.on('error', (error) => {
    if (!stopped) handlers.onEnd(`cannot run journalctl: ${error.message}`);
    stopped = true;
  });
  child.on('close', (code, signal) => {
    if (stopped) return;
    stopped = true;
    const detail = stderr.trim() ? `: ${stderr.trim()}` : '';
    handlers.onEnd(`journalctl exited (${signal ?? code ?? 'unknown'})${detail}`);
  });
  return {
    stop(): void {
      stopped = true;
      child.stdout.removeAllListeners('data');
      child.kill('SIGTERM');
    },
  };
}
