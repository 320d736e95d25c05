/** @module actions/argv-template — turns an action's argv template and checked params into an argv. */
import type { ActionParams, ActionParamSpec } from '@hostwire/protocol';

const WHOLE = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}$/;
const INNER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Extra refusals on top of the protocol's `validateActionParams`, because values end up as argv
 * elements of a real program: no NUL bytes, no leading "-" (option injection, e.g. `-rf` or
 * `--output=/etc/passwd`) and no ".." path segment (`../../bin/sh`), unless the value is one of the
 * spec's own `enum` entries, which the operator wrote.
 */
export function findUnsafeParams(params: ActionParams, specs: Record<string, ActionParamSpec>): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const text = String(value);
    if (specs[name]?.enum?.includes(text)) continue;
    if (text.includes('\u0000')) problems.push(`"${name}" contains a NUL byte`);
    else if (text.startsWith('-')) problems.push(`"${name}" may not start with "-"`);
    else if (/(^|[/\\])\.\.([/\\]|$)/.test(text))
      problems.push(`"${name}" may not contain a ".." path segment`);
  }
  return problems;
}

/**
 * Substitutes `{{param}}` placeholders. Each value replaces its placeholder inside that one element
 * verbatim (never split on spaces, never seen by a shell). An element that is only the placeholder
 * of an optional parameter that was not given is left out; inside a longer element it becomes "".
 */
export function renderArgv(template: readonly string[], params: ActionParams): string[] {
  const argv: string[] = [];
  for (const element of template) {
    const whole = WHOLE.exec(element);
    if (whole?.[1] !== undefined) {
      const value = params[whole[1]];
      if (value !== undefined) argv.push(String(value));
      continue;
    }
    argv.push(
      element.replace(INNER, (_, name: string) => (params[name] === undefined ? '' : String(params[name]))),
    );
  }
  return argv;
}
