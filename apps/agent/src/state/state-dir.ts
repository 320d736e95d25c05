/** @module state/state-dir — checks the state dir is usable at start, and its small `meta.json`. */
import { closeSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { AgentExitError } from '../errors.js';
import { ensureDir, writeFileAtomic } from '../outbox/record-file.js';

/** What the state dir remembers besides the queues: the host it belongs to. */
export interface StateMeta {
  hostId?: string;
}

/**
 * Creates the state dir (0700) and proves the agent may create files in it. A read-only or foreign
 * directory ends the agent with STATE_DIR and a message saying what to fix, not a stack trace.
 * (A full disk is not fatal: the agent degrades to memory, see the outbox.)
 */
export function prepareStateDir(stateDir: string): void {
  const probe = path.join(stateDir, `.probe-${process.pid}`);
  try {
    ensureDir(stateDir);
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOSPC' || code === 'EDQUOT') return;
    throw new AgentExitError(
      'STATE_DIR',
      `The state dir ${stateDir} is not writable (${code}). Make it writable by the user the agent runs as (uid ${process.getuid?.() ?? '?'}), or set "stateDir" in the config to a writable directory.`,
      { cause: error },
    );
  }
}

/** Reads `<stateDir>/meta.json` ({} when missing or unreadable). */
export function readStateMeta(stateDir: string): StateMeta {
  try {
    const value = JSON.parse(readFileSync(path.join(stateDir, 'meta.json'), 'utf8')) as StateMeta;
    return typeof value.hostId === 'string' ? { hostId: value.hostId } : {};
  } catch {
    return {};
  }
}

/** Writes `<stateDir>/meta.json` atomically. */
export function writeStateMeta(stateDir: string, meta: StateMeta): void {
  writeFileAtomic(path.join(stateDir, 'meta.json'), `${JSON.stringify(meta)}\n`);
}
