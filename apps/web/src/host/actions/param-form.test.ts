// Tests of action parameter forms: defaults, coercion of inputs and validation mapped to fields.
import { ActionDescriptor } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { checkForm, coerceValues, describeSpec, initialValues } from './param-form.js';

const descriptor = ActionDescriptor.parse({
  name: 'restart-service',
  timeoutMs: 60_000,
  outputCapBytes: 65_536,
  params: {
    service: { type: 'string', enum: ['nginx', 'postgres'] },
    lines: { type: 'integer', min: 1, max: 500, required: false },
    force: { type: 'boolean' },
    unit: { type: 'string', pattern: '[a-z]+\\.service', required: false },
  },
});

describe('parameter forms', () => {
  it('starts required enums on their first value and checkboxes unchecked', () => {
    expect(initialValues(descriptor)).toEqual({ service: 'nginx', lines: '', force: false, unit: '' });
  });

  it('turns integer text into numbers and leaves empty optional fields out', () => {
    expect(coerceValues(descriptor, { service: 'postgres', lines: ' 20 ', force: true, unit: '' })).toEqual({
      service: 'postgres',
      lines: 20,
      force: true,
    });
  });

  it('accepts valid values with the protocol rules', () => {
    const result = checkForm(descriptor, {
      service: 'nginx',
      lines: '500',
      force: false,
      unit: 'web.service',
    });
    expect(result).toEqual({
      ok: true,
      params: { service: 'nginx', lines: 500, force: false, unit: 'web.service' },
    });
  });

  it('reports each problem on its own field', () => {
    const result = checkForm(descriptor, {
      service: 'redis',
      lines: '501',
      force: false,
      unit: 'Web.service',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['lines', 'service', 'unit']);
    expect(result.errors.lines).toContain('at most 500');
    expect(result.errors.service).toContain('one of nginx, postgres');
  });

  it('refuses integer text that is not a whole number', () => {
    const result = checkForm(descriptor, { service: 'nginx', lines: '2.5', force: false, unit: '' });
    expect(result.ok ? undefined : result.errors.lines).toContain('must be an integer');
  });

  it('describes bounds, patterns and optional fields', () => {
    const lines = descriptor.params.lines;
    const unit = descriptor.params.unit;
    if (!lines || !unit) throw new Error('fixture lost its parameters');
    expect(describeSpec(lines)).toBe('1–500 · optional');
    expect(describeSpec(unit)).toBe('must match [a-z]+\\.service · optional');
  });
});
