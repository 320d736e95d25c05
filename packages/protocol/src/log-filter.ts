/**
 * @module log-filter — the engine of a log filter (RE2, linear time). Apart from the schemas in logs.ts
 * because re2js is large (≈ 260 kB of source and Unicode tables): the agent loads it only when a tail
 * asks for a filter, so an agent nobody tails does not carry it.
 */
import { RE2JS } from 're2js';
import type { LogFilter } from './logs.js';

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
