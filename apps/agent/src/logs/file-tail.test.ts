// Tests of the file tail on real files: backfill, follow, rename rotation, truncation.
import { appendFile, rename, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDir, waitFor } from '../test-support/fixtures.js';
import type { LogTail } from './file-tail.js';
import { startFileTail } from './file-tail.js';

describe('startFileTail', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let tail: LogTail | undefined;
  let lines: { line: string; backfill: boolean }[];
  let ended: string[];
  const handlers = {
    onLine: (line: string, _ts: number, backfill: boolean) => lines.push({ line, backfill }),
    onEnd: (reason: string) => ended.push(reason),
  };
  const live = (): string[] => lines.filter((l) => !l.backfill).map((l) => l.line);

  beforeEach(async () => {
    tmp = await createTempDir();
    lines = [];
    ended = [];
  });
  afterEach(async () => {
    tail?.stop();
    await tmp.remove();
  });

  it('backfills the last N lines, then follows appended lines', async () => {
    const file = path.join(tmp.dir, 'app.log');
    await writeFile(file, Array.from({ length: 20 }, (_, i) => `old ${i}`).join('\n') + '\n');
    tail = await startFileTail(file, { backfill: 3, pollMs: 100 }, handlers);
    expect(lines).toEqual([
      { line: 'old 17', backfill: true },
      { line: 'old 18', backfill: true },
      { line: 'old 19', backfill: true },
    ]);
    await appendFile(file, 'new 1\nnew 2\npart');
    await waitFor(() => live().length === 2, 3000, 'appended lines');
    await appendFile(file, 'ial\n');
    await waitFor(() => live().length === 3, 3000, 'completed partial line');
    expect(live()).toEqual(['new 1', 'new 2', 'partial']);
  });

  it('follows the file across a rename rotation and reads the new file from its start', async () => {
    const file = path.join(tmp.dir, 'syslog');
    await writeFile(file, 'before\n');
    tail = await startFileTail(file, { backfill: 0, pollMs: 100 }, handlers);
    await appendFile(file, 'last line of old file\n');
    await rename(file, `${file}.1`);
    await appendFile(`${file}.1`, 'written after rename\n');
    await writeFile(file, 'first line of new file\n');
    await waitFor(() => live().includes('first line of new file'), 3000, 'new file');
    await appendFile(file, 'second line of new file\n');
    await waitFor(() => live().includes('second line of new file'), 3000, 'follow new file');
    expect(live()).toEqual([
      'last line of old file',
      'written after rename',
      'first line of new file',
      'second line of new file',
    ]);
    expect(ended).toEqual([]);
  });

  it('restarts at offset 0 after the file is truncated in place', async () => {
    const file = path.join(tmp.dir, 'app.log');
    await writeFile(file, 'a long first line of the original file\n');
    tail = await startFileTail(file, { backfill: 0, pollMs: 100 }, handlers);
    await appendFile(file, 'one more line\n');
    await waitFor(() => live().length === 1, 3000, 'first append');
    await truncate(file, 0);
    // Written at once: the tail sees a file shorter than its offset, whether or not it polled the empty one.
    await appendFile(file, 'after truncate\n');
    await waitFor(() => live().includes('after truncate'), 3000, 'line after truncation');
    expect(live()).toEqual(['one more line', 'after truncate']);
  });

  it('refuses a file that does not exist', async () => {
    await expect(
      startFileTail(path.join(tmp.dir, 'missing.log'), { backfill: 0 }, handlers),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
