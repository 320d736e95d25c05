/** @module config/jsonc — parses JSON with comments and trailing commas (the config file format). */

/**
 * Removes `//` and `/* *\/` comments and trailing commas outside strings, keeping line breaks so that
 * JSON.parse positions still point at the right line.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i];
    if (ch === '"') {
      const start = i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += ch;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** JSON.parse for JSONC text. Throws SyntaxError with a line:column position. */
export function parseJsonc(text: string): unknown {
  const stripped = stripJsonComments(text);
  try {
    return JSON.parse(stripped) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const pos = /position (\d+)/.exec(message)?.[1];
    if (pos === undefined) throw new SyntaxError(message);
    const before = stripped.slice(0, Number(pos));
    const line = before.split('\n').length;
    const column = Number(pos) - before.lastIndexOf('\n');
    throw new SyntaxError(`${message} (line ${line}, column ${column})`);
  }
}
