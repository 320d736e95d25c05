// The import graph runs routes and socket handlers → domain → store/bus: checked on the source, file by file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));

function sources(layer: string): { file: string; text: string; imports: string[] }[] {
  return readdirSync(path.join(SRC, layer), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => {
      const file = path.join(layer, f);
      const text = readFileSync(path.join(SRC, file), 'utf8');
      const imports = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) =>
        path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), m[1] ?? '')),
      );
      return { file, text, imports };
    });
}

/** The gateway's transport (bus subscriptions for fan-out, control events and gaps), not a handler. */
const GATEWAY_TRANSPORT = new Set([
  'websocket/server.ts',
  'websocket/runtime.ts',
  'websocket/topic-fanout.ts',
]);

describe('layers', () => {
  const edges = [...sources('http'), ...sources('websocket')];

  it('keeps routes and WebSocket handlers off the store', () => {
    const offending = edges.filter(
      (s) => s.imports.some((i) => i.startsWith('store/')) || s.text.includes('ctx.store'),
    );
    expect(offending.map((s) => s.file)).toEqual([]);
  });

  it('keeps routes and WebSocket handlers off the bus (only frame and event shapes are shared)', () => {
    const offending = edges.filter(
      (s) =>
        (!GATEWAY_TRANSPORT.has(s.file) && s.text.includes('ctx.bus')) ||
        s.imports.some((i) => i.startsWith('realtime/bus/') && i !== 'realtime/bus/types.js'),
    );
    expect(offending.map((s) => s.file)).toEqual([]);
  });

  it('keeps the domain free of HTTP and WebSocket code', () => {
    const offending = sources('domain').filter((s) =>
      s.imports.some((i) => i.startsWith('http/') || i.startsWith('websocket/')),
    );
    expect(offending.map((s) => s.file)).toEqual([]);
  });

  it('keeps the store below everything', () => {
    const offending = sources('store').filter((s) =>
      s.imports.some((i) =>
        ['domain/', 'http/', 'websocket/', 'realtime/'].some((layer) => i.startsWith(layer)),
      ),
    );
    expect(offending.map((s) => s.file)).toEqual([]);
  });
});
