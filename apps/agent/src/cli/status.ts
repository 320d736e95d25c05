/** @module cli/status — `hostwire-agent status`: what the running agent last wrote to its status file. */
import { AgentExitError, EXIT_CODES } from '../errors.js';
import type { AgentStatus } from '../state/status-file.js';
import { isProcessAlive, readStatus } from '../state/status-file.js';

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

/** Formats a status for people. */
export function formatStatus(status: AgentStatus, running: boolean, now = Date.now()): string {
  const since =
    status.since === null ? 'never' : `${new Date(status.since).toISOString()} (${ago(status.since, now)})`;
  const state = !running ? 'not running' : status.connected ? 'connected' : 'disconnected';
  return [
    `agent:            ${state}${running ? ` (pid ${status.pid})` : ''}`,
    `server:           ${status.server}`,
    `host id:          ${status.hostId}`,
    `${status.connected ? 'connected since: ' : 'disconnected:    '} ${since}`,
    `reconnects:       ${status.reconnects}`,
    `failed attempts:  ${status.failedAttempts}`,
    `buffered samples: ${status.bufferedSamples} (last seq ${status.lastSeq}, ${status.droppedSamples} dropped)`,
    `state dir:        ${status.storageError ?? 'ok'}`,
    `interval:         ${status.intervalMs} ms`,
    `log streams:      ${status.activeLogStreams}`,
    `running actions:  ${status.runningActions}`,
    `last error:       ${status.lastError ?? '-'}`,
    `updated:          ${ago(status.updatedAt, now)}`,
  ].join('\n');
}

/**
 * Prints the status. Exit code: OK when connected, DISCONNECTED when running but not connected,
 * NOT_RUNNING when no agent process owns the status file.
 */
export async function showStatus(
  stateDir: string,
  json: boolean,
  print: (text: string) => void,
): Promise<number> {
  const status = await readStatus(stateDir);
  if (!status) {
    throw new AgentExitError(
      'NOT_RUNNING',
      `No agent status in ${stateDir}: the agent has not run with this config.`,
    );
  }
  const running = !status.stopped && isProcessAlive(status.pid);
  print(json ? JSON.stringify({ ...status, running }, null, 2) : formatStatus(status, running));
  if (!running) return EXIT_CODES.NOT_RUNNING;
  return status.connected ? EXIT_CODES.OK : EXIT_CODES.DISCONNECTED;
}
