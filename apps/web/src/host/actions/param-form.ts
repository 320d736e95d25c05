/** @module param-form — form values of an action's parameters: defaults, coercion and validation. */
import {
  validateActionParams,
  type ActionDescriptor,
  type ActionParams,
  type ActionParamSpec,
} from '@hostwire/protocol';

/** What the inputs of a parameter form hold: text for strings and integers, booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

/** The result of checking a form: the parameters to send, or problems per field (`''` for the form). */
export type FormCheck = { ok: true; params: ActionParams } | { ok: false; errors: Record<string, string> };

/** The value an input starts with. */
export function initialValue(spec: ActionParamSpec): string | boolean {
  if (spec.type === 'boolean') return false;
  if (spec.enum && spec.required) return spec.enum[0] ?? '';
  return '';
}

/** Initial values of every parameter of an action. */
export function initialValues(descriptor: Pick<ActionDescriptor, 'params'>): FormValues {
  const values: FormValues = {};
  for (const [key, spec] of Object.entries(descriptor.params)) values[key] = initialValue(spec);
  return values;
}

/**
 * Turns form values into raw parameters: empty text means "not given", integers are parsed only when the
 * whole text is an integer (anything else is left as text for the validator to refuse).
 */
export function coerceValues(
  descriptor: Pick<ActionDescriptor, 'params'>,
  values: FormValues,
): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(descriptor.params)) {
    const value = values[key];
    if (value === undefined) continue;
    if (spec.type === 'boolean') {
      raw[key] = value === true;
      continue;
    }
    const text = typeof value === 'string' ? value : String(value);
    const trimmed = spec.type === 'integer' ? text.trim() : text;
    if (trimmed === '') continue;
    raw[key] = spec.type === 'integer' && /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  }
  return raw;
}

/** Checks form values with the protocol's own parameter rules, mapping each problem to its field. */
export function checkForm(descriptor: Pick<ActionDescriptor, 'params'>, values: FormValues): FormCheck {
  const result = validateActionParams(descriptor, coerceValues(descriptor, values));
  if (result.ok) return { ok: true, params: result.params };
  const errors: Record<string, string> = {};
  for (const problem of result.problems) {
    const key = /^"([^"]+)"/.exec(problem)?.[1] ?? '';
    errors[key] = errors[key] ? `${errors[key]}; ${problem}` : problem;
  }
  return { ok: false, errors };
}

/** A short hint shown under a text input. */
export function describeSpec(spec: ActionParamSpec): string {
  const parts: string[] = [];
  if (spec.description) parts.push(spec.description);
  if (spec.type === 'integer') {
    if (spec.min !== undefined && spec.max !== undefined) parts.push(`${spec.min}–${spec.max}`);
    else if (spec.min !== undefined) parts.push(`at least ${spec.min}`);
    else if (spec.max !== undefined) parts.push(`at most ${spec.max}`);
  }
  if (spec.type === 'string' && spec.pattern) parts.push(`must match ${spec.pattern}`);
  if (!spec.required) parts.push('optional');
  return parts.join(' · ');
}
