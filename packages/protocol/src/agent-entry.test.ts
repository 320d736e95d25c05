import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RequestId, ServerToAgent } from './agent.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every module `file` loads, following relative imports; returns the bare specifiers it imports. */
function packagesImportedBy(file: string, seen = new Set<string>()): Set<string> {
  const bare = new Set<string>();
  if (seen.has(file)) return bare;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/^(?:import|export)\s(?!type\b)[^'"]*from\s+'([^']+)'/gm)) {
    const spec = match[1] ?? '';
    if (spec.startsWith('.')) {
      const next = path.join(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      for (const b of packagesImportedBy(next, seen)) bare.add(b);
    } else {
      bare.add(spec);
    }
  }
  return bare;
}

describe('@hostwire/protocol/agent', () => {
  it('loads zod/mini only: neither classic zod nor the RE2 engine', () => {
    const imported = packagesImportedBy(path.join(here, 'agent.ts'));
    expect([...imported].sort()).toEqual(['zod/mini', 'zod/v4/locales/en.js']);
  });

  it('gives English issue messages (zod/mini has no locale of its own)', () => {
    const result = RequestId.safeParse('');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/too small/i);
    const frame = ServerToAgent.safeParse({ type: 'metrics.interval', intervalMs: 10 });
    expect(frame.error?.issues[0]?.message).toMatch(/>=250/);
  });
});
