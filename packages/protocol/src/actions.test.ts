import { describe, expect, it } from 'vitest';
import { ActionDescriptor, validateActionParams } from './actions.js';

const restart = ActionDescriptor.parse({
  name: 'restart-service',
  timeoutMs: 60_000,
  outputCapBytes: 65_536,
  params: {
    unit: { type: 'string', enum: ['nginx', 'postgresql'] },
    lines: { type: 'integer', min: 1, max: 500, required: false },
    tag: { type: 'string', pattern: '[a-z]+', required: false },
    note: { type: 'string', required: false },
    force: { type: 'boolean', required: false },
  },
});

describe('validateActionParams', () => {
  it('accepts valid parameters and normalizes integers given as text', () => {
    expect(validateActionParams(restart, { unit: 'nginx', lines: '20', tag: 'web', force: true })).toEqual({
      ok: true,
      params: { unit: 'nginx', lines: 20, tag: 'web', force: true },
    });
  });

  it('refuses injection attempts against an enum', () => {
    for (const unit of ['nginx; id', '../../bin/sh', 'nginx ', '$(id)']) {
      expect(validateActionParams(restart, { unit })).toMatchObject({ ok: false });
    }
  });

  it('anchors patterns: a match in the middle of the value is not enough', () => {
    expect(validateActionParams(restart, { unit: 'nginx', tag: 'web; id' })).toEqual({
      ok: false,
      problems: ['"tag" does not match [a-z]+'],
    });
  });

  it('refuses unknown, missing, out-of-range and mistyped parameters with one problem each', () => {
    const result = validateActionParams(restart, { lines: 0, force: 'yes', extra: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.sort()).toEqual([
      '"force" must be a boolean',
      '"lines" must be at least 1',
      '"unit" is required',
      'unknown parameter "extra"',
    ]);
  });

  it('refuses control characters in free-text parameters', () => {
    expect(validateActionParams(restart, { unit: 'nginx', note: 'a\nb' })).toMatchObject({ ok: false });
    expect(validateActionParams(restart, { unit: 'nginx', note: 'plain words' })).toMatchObject({ ok: true });
  });

  it('ignores prototype keys', () => {
    const params = JSON.parse('{"unit":"nginx","__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(validateActionParams(restart, params)).toMatchObject({
      ok: false,
      problems: ['unknown parameter "__proto__"'],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
