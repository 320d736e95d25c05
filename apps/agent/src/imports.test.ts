// What the agent loads at runtime decides its memory (docs/agent.md#footprint): the protocol's agent entry
// (zod/mini), never the root entry (classic zod with the client and HTTP schemas) nor the RE2 engine up front.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')
      ? [file]
      : [];
  });
}

/** Static imports that load a module at runtime (`import type` is erased). */
const RUNTIME_IMPORT = /^(?:import|export)\s(?!type\b)[^;]*?from\s+'([^']+)'/gms;
const REFUSED = new Set(['@hostwire/protocol', '@hostwire/protocol/log-filter', 'zod', 're2js', 'commander']);

describe('agent runtime imports', () => {
  it('take the protocol from @hostwire/protocol/agent and validate with zod/mini', () => {
    const offending: string[] = [];
    for (const file of sources(src)) {
      for (const match of readFileSync(file, 'utf8').matchAll(RUNTIME_IMPORT)) {
        if (REFUSED.has(match[1] ?? '')) offending.push(`${path.relative(src, file)}: ${match[1] ?? ''}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
