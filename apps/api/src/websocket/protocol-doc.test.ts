// docs/protocol.md stays true to packages/protocol: every example parses, every message, error and close code is listed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AgentToServer,
  ClientToServer,
  CLOSE_CODES,
  ERROR_CODES,
  ServerToAgent,
  ServerToClient,
} from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const doc = readFileSync(fileURLToPath(new URL('../../../../docs/protocol.md', import.meta.url)), 'utf8');

// The agent's unions are zod/mini, the client's classic zod: both are core schemas.
const SECTIONS: readonly (readonly [string, z.core.$ZodDiscriminatedUnion])[] = [
  ['## Agent → server (`AgentToServer`)', AgentToServer],
  ['## Server → agent (`ServerToAgent`)', ServerToAgent],
  ['## Client → server (`ClientToServer`)', ClientToServer],
  ['## Server → client (`ServerToClient`)', ServerToClient],
];

function section(title: string): string {
  const start = doc.indexOf(title);
  expect(start, `missing section ${title}`).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + title.length);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** A table section with its column padding (a formatter's choice) folded to single spaces. */
function tableSection(title: string): string {
  return section(title).replace(/ +\|/g, ' |').replace(/\| +/g, '| ');
}

function typesOf(union: z.core.$ZodDiscriminatedUnion): string[] {
  return union._zod.def.options.map((option) =>
    String(
      (option as z.core.$ZodObject<{ type: z.core.$ZodLiteral<string> }>)._zod.def.shape.type._zod.def
        .values[0],
    ),
  );
}

describe('docs/protocol.md', () => {
  for (const [title, union] of SECTIONS) {
    it(`has a valid JSON example for every message of ${title.slice(3)}`, () => {
      const text = section(title);
      const examples = [...text.matchAll(/```json\n(.+?)\n```/gs)].map(
        (m) => JSON.parse(m[1] ?? '') as unknown,
      );
      const documented: string[] = [];
      for (const example of examples) {
        const parsed = z.safeParse(union, example);
        expect(parsed.error, JSON.stringify(example).slice(0, 200)).toBeUndefined();
        documented.push((example as { type: string }).type);
      }
      expect(documented.sort()).toEqual(typesOf(union).sort());
      for (const type of documented) expect(text).toContain(`### \`${type}\``);
    });
  }

  it('lists every error code with its HTTP status and close code', () => {
    const text = tableSection('## Error codes');
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      const close = entry.close === undefined ? '—' : String(entry.close);
      expect(text).toContain(`| \`${code}\` | ${entry.status} | ${close} |`);
    }
  });

  it('lists every close code', () => {
    const text = tableSection('## Close codes');
    for (const [name, code] of Object.entries(CLOSE_CODES))
      expect(text).toContain(`| ${code} | \`${name}\` |`);
  });
});
