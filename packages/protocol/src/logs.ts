/** @module logs — log sources an agent offers, tail filters and log lines (the filter's engine: log-filter.ts). */
import { z } from 'zod/mini';
import { Timestamp } from './common.js';

export const LogSourceName = z
  .string()
  .check(
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : @ -'),
  );

/** A log source declared in the agent's config and announced in `hello`. */
export const LogSourceDescriptor = z.object({
  name: LogSourceName,
  kind: z.enum(['file', 'journald', 'docker']),
  description: z._default(z.string().check(z.maxLength(500)), ''),
  /**
   * Whether the source exists on the host (the file is readable, journalctl or Docker is there), as the
   * agent found at `hello` or at the last `logs.check`. Absent from older agents: treat as available.
   */
  available: z.optional(z.boolean()),
  /** Why it is not available, in plain words (`/var/log/nginx/error.log does not exist`). */
  unavailableReason: z.optional(z.string().check(z.maxLength(500))),
});
export type LogSourceDescriptor = z.infer<typeof LogSourceDescriptor>;

/**
 * A filter applied on the agent: a substring, or a regular expression in RE2 syntax when `regex` is true.
 * Regular expressions run on a linear-time engine (no backtracking), so no pattern can make the agent
 * spend more than time proportional to the line; backreferences and lookarounds are refused.
 */
export const LogFilter = z.object({
  pattern: z.string().check(z.minLength(1), z.maxLength(500)),
  regex: z._default(z.boolean(), false),
  ignoreCase: z._default(z.boolean(), false),
});
export type LogFilter = z.infer<typeof LogFilter>;

/** Lines in a batch are capped at 8 KiB each (the agent truncates longer lines). */
export const MAX_LOG_LINE_LENGTH = 8192;
export const MAX_LOG_BACKFILL = 5000;

export const LogLine = z.object({
  ts: Timestamp,
  line: z.string().check(z.maxLength(MAX_LOG_LINE_LENGTH + 16)),
});
export type LogLine = z.infer<typeof LogLine>;
