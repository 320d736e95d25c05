/** @module test/chaos/lib/mounts — small tmpfs file systems for the disk experiments, unmounted with their scope. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import type { Scope } from './scope.js';

/** Mounts a tmpfs of `sizeKiB` on `dir` (created if needed); unmounted when the scope closes. Needs root. */
export function mountTmpfs(scope: Scope, dir: string, sizeKiB: number, readOnly = false): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', [
    '-t',
    'tmpfs',
    '-o',
    `size=${sizeKiB}k,mode=0700${readOnly ? ',ro' : ''}`,
    'tmpfs',
    dir,
  ]);
  scope.defer(() => execFileSync('umount', ['-l', dir]));
}

/** Remounts the tmpfs on `dir` read-write (or read-only). */
export function remount(dir: string, readOnly: boolean): void {
  execFileSync('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir]);
}

/** Writes `file` until the file system is full (ENOSPC); returns the bytes written. */
export function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  try {
    for (;;) {
      const n = writeSync(fd, chunk);
      written += n;
      if (n < chunk.length) break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // Top up the last blocks with small writes.
  const small = openSync(file, 'a');
  try {
    for (;;) written += writeSync(small, Buffer.alloc(512, 0x61));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(small);
  }
  return written;
}

/** Whether this machine lets the suite mount a tmpfs (root, no seccomp/AppArmor ban). */
export function canMount(scope: Scope): boolean {
  const dir = scope.tempDir('mount-probe');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir]);
    return true;
  } catch {
    return false;
  }
}
