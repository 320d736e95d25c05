/**
 * @module glob — the one wildcard matcher (`*` any run of characters, `?` one character, the whole text must
 * match), compiled once per pattern and linear in the text: every character of the text is examined at most
 * once, whatever the pattern (no regular expression, no backtracking).
 *
 * A compiled glob is split at its `*` runs into segments: the first is anchored at the start of the text,
 * the last at its end, and each one in between is found left to right with the bit-parallel Shift-And
 * search, which handles `?` without backtracking. Taking the earliest place for each middle segment is
 * always right: any match that places it later can place it there instead.
 */

/**
 * Counts the work of matches: each character of the text examined is one step, or one per 32-bit word of
 * the state when the segment searched is longer than 32 characters (at most 8 for a 255-character glob).
 */
export interface GlobMeter {
  steps: number;
}

/** A pattern compiled once; `matches` may be called any number of times. */
export interface CompiledGlob {
  readonly pattern: string;
  /** True when the whole of `text` matches the pattern. */
  matches(text: string, meter?: GlobMeter): boolean;
}

/**
 * The Shift-And table has a column per ASCII code, one per other character the segment names, and this
 * one for every other character (which only `?` accepts).
 */
const OTHER = 128;
const QUESTION = 63;

interface Segment {
  readonly text: string;
  readonly length: number;
  /** 32-bit words of the Shift-And state. */
  readonly words: number;
  /** masks[column * words + w]: bit j of word w is set when position 32w + j accepts that column's character. */
  readonly masks: Uint32Array;
  /** The columns of the characters beyond ASCII that the segment names. */
  readonly wide: ReadonlyMap<number, number>;
  /** Scratch state of the search (matching is synchronous, so one per segment suffices). */
  readonly state: Uint32Array;
}

function addBit(masks: Uint32Array, at: number, bit: number): void {
  masks[at] = (masks[at] ?? 0) | bit;
}

function compileSegment(text: string): Segment {
  const words = Math.max(1, Math.ceil(text.length / 32));
  const wide = new Map<number, number>();
  for (let j = 0; j < text.length; j += 1) {
    const code = text.charCodeAt(j);
    if (code >= OTHER && !wide.has(code)) wide.set(code, OTHER + 1 + wide.size);
  }
  const columns = OTHER + 1 + wide.size;
  const masks = new Uint32Array(columns * words);
  for (let j = 0; j < text.length; j += 1) {
    const w = j >>> 5;
    const bit = 1 << (j & 31);
    const code = text.charCodeAt(j);
    if (code === QUESTION) {
      for (let column = 0; column < columns; column += 1) addBit(masks, column * words + w, bit);
    } else {
      addBit(masks, (code < OTHER ? code : (wide.get(code) ?? OTHER)) * words + w, bit);
    }
  }
  return { text, length: text.length, words, masks, wide, state: new Uint32Array(words) };
}

const columnOf = (segment: Segment, code: number): number =>
  code < OTHER ? code : (segment.wide.get(code) ?? OTHER);

/** True when `segment` matches `text` at `offset` exactly (`?` is any character). */
function matchesAt(segment: Segment, text: string, offset: number, meter: GlobMeter | undefined): boolean {
  const s = segment.text;
  let j = 0;
  for (; j < segment.length; j += 1) {
    const c = s.charCodeAt(j);
    if (c !== QUESTION && c !== text.charCodeAt(offset + j)) break;
  }
  // Counted once at the end, so that the loop carries no bookkeeping.
  if (meter) meter.steps += j < segment.length ? j + 1 : j;
  return j === segment.length;
}

/** The end (exclusive) of the earliest match of `segment` in text[from, to), or -1. */
function find(
  segment: Segment,
  text: string,
  from: number,
  to: number,
  meter: GlobMeter | undefined,
): number {
  const { masks, words, length } = segment;
  const last = 1 << ((length - 1) & 31);
  let i = from;
  if (words === 1) {
    let d = 0;
    for (; i < to; i += 1) {
      const c = text.charCodeAt(i);
      d = ((d << 1) | 1) & (masks[c < OTHER ? c : columnOf(segment, c)] ?? 0);
      if ((d & last) !== 0) break;
    }
  } else {
    const state = segment.state;
    state.fill(0);
    const top = words - 1;
    for (; i < to; i += 1) {
      const c = text.charCodeAt(i);
      const row = (c < OTHER ? c : columnOf(segment, c)) * words;
      let carry = 1;
      for (let w = 0; w < words; w += 1) {
        const v = state[w] ?? 0;
        state[w] = ((v << 1) | carry) & (masks[row + w] ?? 0);
        carry = v >>> 31;
      }
      if (((state[top] ?? 0) & last) !== 0) break;
    }
  }
  const found = i < to;
  if (meter) meter.steps += ((found ? i + 1 : to) - from) * words;
  return found ? i + 1 : -1;
}

/** Compiles a glob once (`*` any run of characters, `?` one character). */
export function compileGlob(pattern: string): CompiledGlob {
  const parts = pattern.split(/\*+/);
  if (parts.length === 1) {
    const whole = compileSegment(pattern);
    return {
      pattern,
      matches: (text, meter) => text.length === whole.length && matchesAt(whole, text, 0, meter),
    };
  }
  const head = compileSegment(parts[0] ?? '');
  const tail = compileSegment(parts[parts.length - 1] ?? '');
  const middle = parts
    .slice(1, -1)
    .filter((p) => p.length > 0)
    .map(compileSegment);
  const minLength = parts.reduce((sum, p) => sum + p.length, 0);
  return {
    pattern,
    matches(text, meter) {
      if (text.length < minLength) return false;
      const end = text.length - tail.length;
      if (!matchesAt(head, text, 0, meter) || !matchesAt(tail, text, end, meter)) return false;
      let at = head.length;
      for (const segment of middle) {
        at = find(segment, text, at, end, meter);
        if (at < 0) return false;
      }
      return true;
    },
  };
}
