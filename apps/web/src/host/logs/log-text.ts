/** @module log-text — reading a log line: its own timestamp, its level, and where a filter matches. */
import type { LogFilter } from '@hostwire/protocol';

const ISO = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The time a line carries at its start (ISO 8601 or syslog), else `fallback` (when the agent read it).
 * Backfilled lines are read all at once: their own time is the one that means something.
 */
export function lineTimestamp(text: string, fallback: number): number {
  const iso = ISO.exec(text);
  if (iso?.[1]) {
    const ms = Date.parse(iso[1].replace(' ', 'T').replace(',', '.'));
    if (Number.isFinite(ms)) return ms;
  }
  const sys = SYSLOG.exec(text);
  if (sys) {
    const month = MONTHS.indexOf(sys[1] ?? '');
    if (month >= 0) {
      const at = new Date(fallback);
      const date = new Date(
        at.getFullYear(),
        month,
        Number(sys[2]),
        Number(sys[3]),
        Number(sys[4]),
        Number(sys[5]),
      );
      // A December line read in January belongs to last year.
      if (date.getTime() - fallback > 86_400_000) date.setFullYear(date.getFullYear() - 1);
      return date.getTime();
    }
  }
  return fallback;
}

/** The severity a line announces, for colouring. */
export function lineLevel(text: string): 'error' | 'warn' | null {
  if (/\b(error|err|fatal|crit|critical|panic|emerg|alert)\b/i.test(text)) return 'error';
  if (/\b(warn|warning)\b/i.test(text)) return 'warn';
  return null;
}

/** The line split into plain and matching parts, for highlighting; one plain part without a filter. */
export function matchParts(text: string, filter: LogFilter | undefined): { text: string; match: boolean }[] {
  if (!filter) return [{ text, match: false }];
  let re: RegExp;
  try {
    const source = filter.regex ? filter.pattern : filter.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    re = new RegExp(source, filter.ignoreCase ? 'giu' : 'gu');
  } catch {
    return [{ text, match: false }];
  }
  const parts: { text: string; match: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index;
    if (m[0].length === 0) continue;
    if (start > last) parts.push({ text: text.slice(last, start), match: false });
    parts.push({ text: m[0], match: true });
    last = start + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false });
  return parts.length > 0 ? parts : [{ text, match: false }];
}

/** `1 line`, `2 lines`. */
export function countLines(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? 'line' : 'lines'}`;
}

/** A regular expression's error message, said once ("Invalid regular expression: …"). */
export function regexErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith('Invalid regular expression')
    ? message
    : `Invalid regular expression: ${message}`;
}
