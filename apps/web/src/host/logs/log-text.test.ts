// Tests of log line reading: own timestamps, levels, match parts, wording.
import { describe, expect, it } from 'vitest';
import { countLines, lineLevel, lineTimestamp, matchParts, regexErrorMessage } from './log-text.js';

describe('log text', () => {
  it("takes a line's own ISO or syslog timestamp over the time it was read", () => {
    const read = new Date(2026, 10, 29, 23, 0, 0).getTime();
    expect(lineTimestamp('2026-11-29T10:00:00Z boot', read)).toBe(Date.UTC(2026, 10, 29, 10));
    expect(lineTimestamp('Nov 29 08:15:02 host sshd[1]: ok', read)).toBe(
      new Date(2026, 10, 29, 8, 15, 2).getTime(),
    );
    expect(lineTimestamp('no time here', read)).toBe(read);
  });

  it('dates a December syslog line read in January to the year before', () => {
    const read = new Date(2027, 0, 2, 0, 0, 0).getTime();
    expect(new Date(lineTimestamp('Dec 31 23:59:59 host x', read)).getFullYear()).toBe(2026);
  });

  it('recognizes common levels', () => {
    expect(lineLevel('2026 ERROR db down')).toBe('error');
    expect(lineLevel('level=warn slow')).toBe('warn');
    expect(lineLevel('0 errors found')).toBeNull();
  });

  it('splits a line at every match of the filter, text or regex', () => {
    expect(matchParts('a foo b FOO', { pattern: 'foo', regex: false, ignoreCase: true })).toEqual([
      { text: 'a ', match: false },
      { text: 'foo', match: true },
      { text: ' b ', match: false },
      { text: 'FOO', match: true },
    ]);
    expect(matchParts('x.y', { pattern: '.', regex: false, ignoreCase: false })).toEqual([
      { text: 'x', match: false },
      { text: '.', match: true },
      { text: 'y', match: false },
    ]);
  });

  it('says "1 line" and names an invalid regex once', () => {
    expect(countLines(1)).toBe('1 line');
    expect(countLines(2)).toBe('2 lines');
    let error: unknown;
    try {
      const unterminated = ['('].join('');
      new RegExp(unterminated, 'u');
    } catch (e) {
      error = e;
    }
    expect(regexErrorMessage(error).match(/Invalid regular expression/g)).toHaveLength(1);
  });
});
