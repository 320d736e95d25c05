/** @module outbox/command-ledger — command ids already received, and action frames not yet delivered. */
import type { StateDatabase } from './database.js';

/** Command ids are kept at least this long (and at least until the command itself expired). */
export const COMMAND_ID_RETENTION_MS = 24 * 3600_000;

/** A persisted frame (action.result) waiting for a connection. */
export interface PendingFrame {
  id: number;
  actionId: string;
  body: string;
}

/**
 * Remembers every (kind, actionId) the agent accepted so a replayed command is refused even after a
 * restart, and keeps action results on disk until they were handed to a live socket.
 */
export class CommandLedger {
  private readonly insertCommand;
  private readonly purgeCommands;
  private readonly insertFrame;
  private readonly selectFrames;
  private readonly deleteFrame;

  constructor(db: StateDatabase) {
    this.insertCommand = db.prepare<[string, string, number, number]>(
      'INSERT OR IGNORE INTO commands (kind, action_id, received_at, expires_at) VALUES (?, ?, ?, ?)',
    );
    this.purgeCommands = db.prepare<[number, number]>(
      'DELETE FROM commands WHERE received_at < ? AND expires_at < ?',
    );
    this.insertFrame = db.prepare<[string, string, number]>(
      'INSERT INTO pending_frames (action_id, body, created_at) VALUES (?, ?, ?)',
    );
    this.selectFrames = db.prepare<[], PendingFrame>(
      'SELECT id, action_id AS actionId, body FROM pending_frames ORDER BY id',
    );
    this.deleteFrame = db.prepare<[number]>('DELETE FROM pending_frames WHERE id = ?');
  }

  /**
   * Records a command id; returns false when it was seen before (a replay). `expiresAt` keeps the id
   * past the retention window if the command itself lives longer.
   */
  remember(kind: 'run' | 'cancel', actionId: string, expiresAt: number, now = Date.now()): boolean {
    return this.insertCommand.run(kind, actionId, now, expiresAt).changes === 1;
  }

  /** Forgets ids older than the retention window whose command has expired too (with `skewMs` slack). */
  purge(now = Date.now(), skewMs = 0): number {
    return this.purgeCommands.run(now - COMMAND_ID_RETENTION_MS, now - skewMs).changes;
  }

  /** Persists a frame to deliver later. */
  saveFrame(actionId: string, body: string, now = Date.now()): number {
    return Number(this.insertFrame.run(actionId, body, now).lastInsertRowid);
  }

  /** Frames waiting for delivery, oldest first. */
  pendingFrames(): PendingFrame[] {
    return this.selectFrames.all();
  }

  /** Drops a delivered frame. */
  removeFrame(id: number): void {
    this.deleteFrame.run(id);
  }
}
