/** @module state/status-file — the status a running agent keeps in its state dir for `hostwire-agent status`. */
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod/mini';

/** What `status` reads. Times are ms since the epoch. */
export const AgentStatus = z.object({
  pid: z.int(),
  startedAt: z.number(),
  updatedAt: z.number(),
  server: z.string(),
  hostId: z.string(),
  connected: z.boolean(),
  /** When the current state (connected or not) began; null before the first connection. */
  since: z.nullable(z.number()),
  reconnects: z.int(),
  failedAttempts: z.int(),
  lastError: z.nullable(z.string()),
  bufferedSamples: z.int(),
  lastSeq: z.int(),
  /** Samples dropped by the outbox bounds since the agent started. */
  droppedSamples: z._default(z.int(), 0),
  /** Why samples are kept in memory only (the state dir refuses writes), null while it accepts them. */
  storageError: z._default(z.nullable(z.string()), null),
  intervalMs: z.int(),
  activeLogStreams: z.int(),
  runningActions: z.int(),
  stopped: z._default(z.boolean(), false),
});
export type AgentStatus = z.infer<typeof AgentStatus>;

/** The status file's path inside a state dir. */
export function statusFilePath(stateDir: string): string {
  return path.join(stateDir, 'status.json');
}

/** Writes status snapshots atomically (tmp + rename); writes never overlap, the newest one wins. */
export class StatusWriter {
  private readonly file: string;
  private writing: Promise<void> | undefined;
  private next: AgentStatus | undefined;
  private dirReady = false;

  constructor(stateDir: string) {
    this.file = statusFilePath(stateDir);
  }

  /** Queues a snapshot. */
  write(status: AgentStatus): void {
    this.next = status;
    this.writing ??= this.drain();
  }

  /** Resolves once every queued snapshot is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.next) {
      const status = this.next;
      this.next = undefined;
      const tmp = `${this.file}.tmp`;
      try {
        if (!this.dirReady) await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
        this.dirReady = true;
        const text = `${JSON.stringify(status, null, 2)}\n`;
        try {
          await writeFile(tmp, text, { mode: 0o600 });
          await rename(tmp, this.file);
        } catch (error) {
          await rm(tmp, { force: true });
          // A full disk has no room for a new file, but the old one's blocks can be overwritten in place:
          // that is how `status` learns that the disk is full.
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          await overwriteInPlace(this.file, text);
        }
      } catch {
        // A status file that cannot be written must not stop the agent.
      }
    }
    this.writing = undefined;
  }
}

async function overwriteInPlace(file: string, text: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const bytes = Buffer.from(text);
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.truncate(bytes.length);
  } finally {
    await handle.close();
  }
}

/** Reads the status file; undefined when it is missing or unreadable. */
export async function readStatus(stateDir: string): Promise<AgentStatus | undefined> {
  try {
    const parsed = AgentStatus.safeParse(JSON.parse(await readFile(statusFilePath(stateDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
