import { describe, expect, it } from 'vitest';
import { DisplayName, isSafeText, UNSAFE_TEXT_MESSAGE } from './names.js';

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

describe('names', () => {
  it('refuses C0, DEL, C1 and bidi overrides/isolates, and only those, at every boundary', () => {
    const refused = [0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x85, 0x9f, 0x202a, 0x202e, 0x2066, 0x2069];
    const allowed = [0x20, 0x7e, 0xa0, 0xe9, 0x2029, 0x202f, 0x2065, 0x206a, 0x1f600];
    for (const c of refused)
      expect({ c: hex(c), safe: isSafeText(`a${String.fromCodePoint(c)}b`) }).toEqual({
        c: hex(c),
        safe: false,
      });
    for (const c of allowed)
      expect({ c: hex(c), safe: isSafeText(`a${String.fromCodePoint(c)}b`) }).toEqual({
        c: hex(c),
        safe: true,
      });
  });

  it('checks before trimming: a trailing line break is refused, not silently cut', () => {
    const result = DisplayName.safeParse('web-1\r\n');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(UNSAFE_TEXT_MESSAGE);
    expect(DisplayName.parse('  Café 東京 ☕  ')).toBe('Café 東京 ☕');
  });
});
