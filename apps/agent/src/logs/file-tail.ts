/** @module logs/file-tail — follows a file like `tail -F`: backfill, rotation, truncation. */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { MAX_LOG_LINE_LENGTH } from '@hostwire/protocol/agent';
import { readLastLines } from './last-lines.js';

export interface TailHandlers {
  /** One complete line; `backfill` marks lines from before the tail started. */
  onLine(line: string, ts: number, backfill: boolean): void;
  /** The tail cannot continue. */
  onEnd(reason: string): void;
}

/** A running tail. */
export interface LogTail {
  stop(): void;
}

export interface FileTailOptions {
  backfill: number;
  /** Polling period used next to fs.watch (which misses events on some filesystems). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * Opens `path`, emits its last `backfill` lines, then follows it. When the name points at a new
 * inode (rename rotation) the rest of the old file is read and the new one is followed from its
 * start; when the file shrinks (copytruncate) reading restarts at offset 0.
 */
export async function startFileTail(
  path: string,
  options: FileTailOptions,
  handlers: TailHandlers,
): Promise<LogTail> {
  let handle: FileHandle = await open(path, 'r');
  let ino = (await handle.stat()).ino;
  let position = (await handle.stat()).size;
  let decoder = new StringDecoder('utf8');
  let partial = '';
  let stopped = false;
  let busy = false;
  let again = false;
  let watcher: FSWatcher | undefined;

  const now = Date.now();
  for (const line of await readLastLines(handle, position, options.backfill))
    handlers.onLine(line, now, true);

  const emit = (text: string): void => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    if (partial.length > MAX_LOG_LINE_LENGTH * 2) {
      parts.push(partial);
      partial = '';
    }
    const ts = Date.now();
    for (const part of parts) handlers.onLine(part.endsWith('\r') ? part.slice(0, -1) : part, ts, false);
  };

  const drain = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      emit(decoder.write(buffer.subarray(0, bytesRead)));
    }
  };

  const rewatch = (): void => {
    watcher?.close();
    try {
      watcher = watch(path, { persistent: false }, () => void check());
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined; // polling alone keeps the tail going
    }
  };

  const check = async (): Promise<void> => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const current = await stat(path).catch(() => undefined);
        const size = (await handle.stat()).size;
        if (size < position) {
          position = 0; // truncated in place
          decoder = new StringDecoder('utf8');
          partial = '';
        }
        await drain();
        if (current && current.ino !== ino && !stopped) {
          // Rotated: the old file was fully read above; follow the new one from its beginning.
          if (partial) emit('\n');
          await handle.close();
          handle = await open(path, 'r');
          ino = (await handle.stat()).ino;
          position = 0;
          decoder = new StringDecoder('utf8');
          partial = '';
          rewatch();
          await drain();
        }
      } while (again && !stopped);
    } catch (error) {
      stopped = true;
      handlers.onEnd(`cannot read ${path}: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  };

  rewatch();
  const poll = setInterval(() => void check(), options.pollMs ?? 1000);
  poll.unref();
  return {
    stop(): void {
      stopped = true;
      clearInterval(poll);
      watcher?.close();
      void handle.close().catch(() => undefined);
    },
  };
}
