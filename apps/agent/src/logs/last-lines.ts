/** @module logs/last-lines — reads the last N lines of a file by scanning backwards from its end. */
import type { FileHandle } from 'node:fs/promises';

/** Never read more than this much of a file for backfill. */
const MAX_BACKFILL_BYTES = 8 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** The last `count` complete lines of the first `size` bytes of `handle` (a trailing partial line counts). */
export async function readLastLines(handle: FileHandle, size: number, count: number): Promise<string[]> {
  if (count <= 0 || size === 0) return [];
  const chunks: Buffer[] = [];
  let start = size;
  let newlines = 0;
  while (start > 0 && newlines <= count && size - start < MAX_BACKFILL_BYTES) {
    const length = Math.min(CHUNK, start);
    start -= length;
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, start);
    for (const byte of buffer) if (byte === 10) newlines++;
    chunks.unshift(buffer);
  }
  let text = Buffer.concat(chunks).toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n');
  // When reading stopped before the file start, the first line may be cut: drop it.
  if (start > 0) lines.shift();
  return lines.slice(-count).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
