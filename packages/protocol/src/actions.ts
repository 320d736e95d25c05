/** @module actions — the action catalog an agent announces, parameter checks, and signed commands. */
import { z } from 'zod/mini';
import { Id, Timestamp } from './common.js';

export const ActionName = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lowercase a-z 0-9 . _ -, at most 64'));

/** What one parameter of an action accepts. Strings must match `enum` or `pattern` (anchored). */
export const ActionParamSpec = z.object({
  type: z.enum(['string', 'integer', 'boolean']),
  description: z.optional(z.string().check(z.maxLength(500))),
  required: z._default(z.boolean(), true),
  enum: z.optional(z.array(z.string().check(z.maxLength(256))).check(z.minLength(1), z.maxLength(256))),
  pattern: z.optional(z.string().check(z.maxLength(500))),
  maxLength: z._default(z.int().check(z.positive(), z.lte(4096)), 256),
  min: z.optional(z.int()),
  max: z.optional(z.int()),
});
export type ActionParamSpec = z.infer<typeof ActionParamSpec>;
export type ActionParamSpecInput = z.input<typeof ActionParamSpec>;

/** An action as the agent announces it in `hello` (its argv stays on the agent). */
export const ActionDescriptor = z.object({
  name: ActionName,
  description: z._default(z.string().check(z.maxLength(1000)), ''),
  params: z._default(
    z.record(z.string().check(z.regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/)), ActionParamSpec),
    {},
  ),
  dangerous: z._default(z.boolean(), false),
  timeoutMs: z.int().check(z.positive(), z.lte(24 * 3600_000)),
  outputCapBytes: z.int().check(z.positive(), z.lte(64 * 1024 * 1024)),
});
export type ActionDescriptor = z.infer<typeof ActionDescriptor>;

export type ActionParams = Record<string, string | number | boolean>;
export const ActionParamsInput = z.record(
  z.string().check(z.maxLength(64)),
  z.union([z.string().check(z.maxLength(4096)), z.number(), z.boolean()]),
);

/**
 * Checks `params` against an action's parameter specs. Returns the normalized parameters or a list of
 * problems. Unknown parameters are refused; a string must equal an `enum` value or fully match
 * `pattern`; a string with no enum and no pattern may not contain control characters.
 */
export function validateActionParams(
  descriptor: Pick<ActionDescriptor, 'params'>,
  params: Record<string, unknown>,
): { ok: true; params: ActionParams } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const out: ActionParams = {};
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(descriptor.params, key)) problems.push(`unknown parameter "${key}"`);
  }
  for (const [key, spec] of Object.entries(descriptor.params)) {
    const value = Object.hasOwn(params, key) ? params[key] : undefined;
    if (value === undefined || value === '') {
      if (spec.required) problems.push(`"${key}" is required`);
      continue;
    }
    if (spec.type === 'boolean') {
      if (typeof value !== 'boolean') problems.push(`"${key}" must be a boolean`);
      else out[key] = value;
      continue;
    }
    if (spec.type === 'integer') {
      const n = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) problems.push(`"${key}" must be an integer`);
      else if (spec.min !== undefined && n < spec.min) problems.push(`"${key}" must be at least ${spec.min}`);
      else if (spec.max !== undefined && n > spec.max) problems.push(`"${key}" must be at most ${spec.max}`);
      else out[key] = n;
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`"${key}" must be a string`);
      continue;
    }
    if (value.length > spec.maxLength) problems.push(`"${key}" is longer than ${spec.maxLength} characters`);
    else if (spec.enum && !spec.enum.includes(value))
      problems.push(`"${key}" must be one of ${spec.enum.join(', ')}`);
    else if (spec.pattern && !matchesWhole(spec.pattern, value))
      problems.push(`"${key}" does not match ${spec.pattern}`);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    else if (!spec.enum && !spec.pattern && /[\u0000-\u001f\u007f]/.test(value))
      problems.push(`"${key}" contains control characters`);
    else out[key] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params: out };
}

function matchesWhole(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u').test(value);
  } catch {
    return false;
  }
}

export const ACTION_STATUSES = [
  'queued',
  'sent',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'agent_offline',
  'rejected',
] as const;
export const ActionStatus = z.enum(ACTION_STATUSES);
export type ActionStatus = z.infer<typeof ActionStatus>;
export const FINAL_ACTION_STATUSES: readonly ActionStatus[] = [
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'agent_offline',
  'rejected',
];

/** The statuses an agent reports in `action.result`. */
export const ActionOutcome = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'rejected']);
export type ActionOutcome = z.infer<typeof ActionOutcome>;

/**
 * The payload the API signs (Ed25519) and the agent verifies: the exact JSON text travels in
 * `command.payload`, the signature over its UTF-8 bytes in `command.signature` (base64url).
 */
export const ActionCommand = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('run'),
    actionId: Id,
    hostId: Id,
    action: ActionName,
    params: ActionParamsInput,
    issuedAt: Timestamp,
    expiresAt: Timestamp,
  }),
  z.object({
    kind: z.literal('cancel'),
    actionId: Id,
    hostId: Id,
    issuedAt: Timestamp,
    expiresAt: Timestamp,
  }),
]);
export type ActionCommand = z.infer<typeof ActionCommand>;
