/**
 * @module outbox/command-ledger — command ids already received, and action results not yet delivered,
 * as plain files in the state dir:
 * - `commands.log`: one record per accepted command `{k, a, r, e}` (kind, actionId, receivedAt,
 *   expiresAt), fsynced before the command runs; rewritten atomically when old ids are purged.
 * - `results/<id>.json`: one file per undelivered `action.result` frame, written atomically (tmp, fsync,
 *   rename) and deleted once the server acknowledged it.
 */
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import {
  RecordAppender,
  encodeRecord,
  ensureDir,
  isStorageError,
  loadRecordFile,
  writeFileAtomic,
} from './record-file.js';

/** Command ids are kept at least this long (and at least until the command itself expired). */
export const COMMAND_ID_RETENTION_MS = 24 * 3600_000;

/** A persisted frame (action.result) waiting for a connection. */
export interface PendingFrame {
  id: number;
  actionId: string;
  body: string;
}

/** The ledger could not record a command, so it must not run (it could run twice after a restart). */
export class LedgerWriteError extends Error {
  constructor(cause: unknown) {
    super(
      `cannot record the command in the state dir (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause,
      },
    );
    this.name = 'LedgerWriteError';
  }
}

interface CommandRecord {
  k: 'run' | 'cancel';
  a: string;
  r: number;
  e: number;
}

const COMMANDS_FILE = 'commands.log';
const RESULTS_DIR = 'results';

/**
 * Remembers every (kind, actionId) the agent accepted so a replayed command is refused even after a
 * restart, and keeps action results on disk until they were handed to a live socket.
 */
export class CommandLedger {
  private readonly stateDir: string;
  private readonly commands = new Map<string, CommandRecord>();
  private appender: RecordAppender | undefined;
  private readonly resultsDir: string;
  private nextFrameId = 1;
  /** Results the disk refused: delivered from memory while the agent runs. */
  private readonly memoryFrames = new Map<number, PendingFrame>();

  constructor(stateDir: string) {
    this.stateDir = stateDir;
    this.resultsDir = path.join(stateDir, RESULTS_DIR);
    ensureDir(this.resultsDir);
    for (const record of loadRecordFile(this.commandsFile).records) {
      const command = parseCommand(record.payload);
      if (command) this.commands.set(`${command.k}:${command.a}`, command);
    }
    for (const name of readdirSync(this.resultsDir)) {
      const id = Number.parseInt(name, 10);
      if (name.endsWith('.json') && id >= this.nextFrameId) this.nextFrameId = id + 1;
    }
  }

  private get commandsFile(): string {
    return path.join(this.stateDir, COMMANDS_FILE);
  }

  /**
   * Records a command id; returns false when it was seen before (a replay). `expiresAt` keeps the id
   * past the retention window if the command itself lives longer. Throws LedgerWriteError when the id
   * cannot be stored durably.
   */
  remember(kind: 'run' | 'cancel', actionId: string, expiresAt: number, now = Date.now()): boolean {
    const key = `${kind}:${actionId}`;
    if (this.commands.has(key)) return false;
    const record: CommandRecord = { k: kind, a: actionId, r: now, e: expiresAt };
    try {
      this.appender ??= new RecordAppender(this.commandsFile, loadRecordFile(this.commandsFile).size);
      this.appender.append(Buffer.from(JSON.stringify(record)), true);
    } catch (error) {
      if (this.appender?.broken) {
        this.appender.close();
        this.appender = undefined;
      }
      throw new LedgerWriteError(error);
    }
    this.commands.set(key, record);
    return true;
  }

  /** Forgets ids older than the retention window whose command has expired too (with `skewMs` slack). */
  purge(now = Date.now(), skewMs = 0): number {
    let removed = 0;
    for (const [key, command] of this.commands) {
      if (command.r < now - COMMAND_ID_RETENTION_MS && command.e < now - skewMs) {
        this.commands.delete(key);
        removed += 1;
      }
    }
    if (removed === 0) return 0;
    try {
      this.appender?.close();
      this.appender = undefined;
      const records = [...this.commands.values()].map((c) => encodeRecord(Buffer.from(JSON.stringify(c))));
      writeFileAtomic(this.commandsFile, Buffer.concat(records));
    } catch (error) {
      // The old file still holds every id: purging again later is harmless.
      if (!isStorageError(error)) throw error;
    }
    return removed;
  }

  /** Persists a frame to deliver later (in memory only if the disk refuses it). */
  saveFrame(actionId: string, body: string): number {
    const id = this.nextFrameId++;
    try {
      writeFileAtomic(this.framePath(id), JSON.stringify({ actionId, body }));
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.memoryFrames.set(id, { id, actionId, body });
    }
    return id;
  }

  /** Frames waiting for delivery, oldest first. */
  pendingFrames(): PendingFrame[] {
    const frames = [...this.memoryFrames.values()];
    for (const name of readdirSync(this.resultsDir)) {
      if (!/^\d+\.json$/.test(name)) continue;
      try {
        const stored = JSON.parse(readFileSync(path.join(this.resultsDir, name), 'utf8')) as {
          actionId: string;
          body: string;
        };
        frames.push({ id: Number.parseInt(name, 10), actionId: stored.actionId, body: stored.body });
      } catch {
        // A file that is not complete JSON cannot exist (atomic rename); skip anything foreign.
      }
    }
    return frames.sort((a, b) => a.id - b.id);
  }

  /** Drops a delivered frame. */
  removeFrame(id: number): void {
    if (this.memoryFrames.delete(id)) return;
    try {
      unlinkSync(this.framePath(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Closes the open file. */
  close(): void {
    this.appender?.close();
    this.appender = undefined;
  }

  private framePath(id: number): string {
    return path.join(this.resultsDir, `${String(id).padStart(12, '0')}.json`);
  }
}

function parseCommand(payload: Buffer): CommandRecord | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as Partial<CommandRecord>;
    if ((value.k === 'run' || value.k === 'cancel') && typeof value.a === 'string')
      return { k: value.k, a: value.a, r: Number(value.r), e: Number(value.e) };
  } catch {
    // A record passed its checksum, so this is a foreign record: ignore it.
  }
  return undefined;
}
