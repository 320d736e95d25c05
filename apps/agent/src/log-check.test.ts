// Which configured log sources exist: a readable file, a missing one, a directory, absent backends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLogSources } from './log-check.js';

describe('checkLogSources', () => {
  it('offers a readable file and says why a missing file, a directory or a missing backend is not', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hostwire-logcheck-'));
    const file = path.join(dir, 'app.log');
    writeFileSync(file, 'x\n');
    const checked = checkLogSources(
      [
        { name: 'app', kind: 'file', path: file, description: '' },
        { name: 'gone', kind: 'file', path: path.join(dir, 'gone.log'), description: '' },
        { name: 'dir', kind: 'file', path: dir, description: '' },
        { name: 'ssh', kind: 'journald', unit: 'ssh.service', description: '' },
        { name: 'web', kind: 'docker', container: 'web', description: '' },
      ],
      { journald: false, docker: true },
    );
    expect(checked.map((s) => [s.name, s.available])).toEqual([
      ['app', true],
      ['gone', false],
      ['dir', false],
      ['ssh', false],
      ['web', true],
    ]);
    expect(checked[1]?.unavailableReason).toBe(`${path.join(dir, 'gone.log')} does not exist`);
    expect(checked[2]?.unavailableReason).toMatch(/is a directory/);
    expect(checked[3]?.unavailableReason).toMatch(/journalctl is not installed/);
  });
});
