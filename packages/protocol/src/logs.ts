/** @module logs — log sources an agent offers, tail filters and log lines. */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { Timestamp } from './common.js';

export const LogSourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : @ -');

/** A log source declared in the agent's config and announced in `hello`. */
export const LogSourceDescriptor = z.object({
  name: LogSourceName,
  kind: z.enum(['file', 'journald', 'docker']),
  description: z.string().max(500).default(''),
  /**
   * Whether the source exists on the host (the file is readable, journalctl or Docker is there), as the
   * agent found at `hello` or at the last `logs.check`. Absent from older agents: treat as available.
   */
  available: z.boolean().optional(),
  /** Why it is not available, in plain words (`/var/log/nginx/error.log does not exist`). */
  unavailableReason: z.string().max(500).optional(),
});
export type LogSourceDescriptor = z.infer<typeof LogSourceDescriptor>;

/**
 * A filter applied on the agent: a substring, or a regular expression in RE2 syntax when `regex` is true.
 * Regular expressions run on a linear-time engine (no backtracking), so no pattern can make the agent
 * spend more than time proportional to the line; backreferences and lookarounds are refused.
 */
export const LogFilter = z.object({
  pattern: z.string().min(1).max(500),
  regex: z.boolean().default(false),
  ignoreCase: z.boolean().default(false),
});
export type LogFilter = z.infer<typeof LogFilter>;

/** Lines in a batch are capped at 8 KiB each (the agent truncates longer lines). */
export const MAX_LOG_LINE_LENGTH = 8192;
export const MAX_LOG_BACKFILL = 5000;

export const LogLine = z.object({ ts: Timestamp, line: z.string().max(MAX_LOG_LINE_LENGTH + 16) });
export type LogLine = z.infer<typeof LogLine>;

/** Builds the predicate for a filter; throws on a regular expression RE2 cannot run (invalid, backreferences, lookarounds). */
export function compileLogFilter(filter: LogFilter | undefined): (line: string) => boolean {
  if (!filter) return () => true;
  if (filter.regex) {
    const re = RE2JS.compile(filter.pattern, filter.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    return (line) => re.test(line);
  }
  if (filter.ignoreCase) {
    const needle = filter.pattern.toLowerCase();
    return (line) => line.toLowerCase().includes(needle);
  }
  return (line) => line.includes(filter.pattern);
}

/** Why a filter cannot be honoured (a message for the user), or undefined when it can. */
export function logFilterProblem(filter: LogFilter | undefined): string | undefined {
  try {
    compileLogFilter(filter);
    return undefined;
  } catch (error) {
    return `the pattern cannot be used: ${(error as Error).message} (RE2 syntax: no backreferences or lookarounds)`;
  }
}
