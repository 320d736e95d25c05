// Tests of action output handling: the browser-side cap and merging stored with live output.
import { describe, expect, it } from 'vitest';
import { appendOutput, mergeOutput } from './output.js';

describe('appendOutput', () => {
  it('keeps the newest characters once the cap is passed', () => {
    let out = { text: '', truncated: false };
    out = appendOutput(out, 'abcdef', 8);
    expect(out).toEqual({ text: 'abcdef', truncated: false });
    out = appendOutput(out, 'ghij', 8);
    expect(out).toEqual({ text: 'cdefghij', truncated: true });
  });
});

describe('mergeOutput', () => {
  it('counts output present in both the stored text and the live chunks once', () => {
    expect(mergeOutput('line 1\nline 2\n', 'line 2\nline 3\n')).toBe('line 1\nline 2\nline 3\n');
  });

  it('appends live output that the stored text does not have yet', () => {
    expect(mergeOutput('a\n', 'b\n')).toBe('a\nb\n');
  });

  it('keeps the stored text when the live chunks are all in it', () => {
    expect(mergeOutput('a\nb\n', 'b\n')).toBe('a\nb\n');
    expect(mergeOutput('', 'x')).toBe('x');
  });
});
