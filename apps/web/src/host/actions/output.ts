/** @module output — the bounded text of an action's output, merging stored output with live chunks. */

/** Characters of output kept in the browser per action. */
export const OUTPUT_CAP = 256 * 1024;

/** Text with its leading part dropped once it passes `cap`, and whether anything was dropped. */
export interface BoundedOutput {
  text: string;
  truncated: boolean;
}

/** Appends `chunk`, dropping the oldest characters beyond `cap`. */
export function appendOutput(current: BoundedOutput, chunk: string, cap = OUTPUT_CAP): BoundedOutput {
  const text = current.text + chunk;
  if (text.length <= cap) return { text, truncated: current.truncated };
  return { text: text.slice(text.length - cap), truncated: true };
}

/**
 * Joins the stored output (fetched over HTTP) with the chunks that arrived live meanwhile: the live text
 * may repeat the end of the stored text, so the longest such overlap is counted once.
 */
export function mergeOutput(stored: string, live: string): string {
  if (!live) return stored;
  if (!stored) return live;
  const longest = Math.min(stored.length, live.length);
  for (let k = longest; k > 0; k--) {
    if (stored.endsWith(live.slice(0, k))) return stored + live.slice(k);
  }
  return stored + live;
}
