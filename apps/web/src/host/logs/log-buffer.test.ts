// Tests of the log ring buffer: bounded size, order, discarded count and stable keys.
import { describe, expect, it } from 'vitest';
import { LogRingBuffer } from './log-buffer.js';

const line = (text: string) => ({ kind: 'line' as const, ts: 1, text });

describe('LogRingBuffer', () => {
  it('keeps rows in arrival order while under capacity', () => {
    const buffer = new LogRingBuffer(5);
    for (const t of ['a', 'b', 'c']) buffer.push(line(t));
    expect(buffer.length).toBe(3);
    expect(buffer.toArray().map((e) => e.text)).toEqual(['a', 'b', 'c']);
    expect(buffer.discarded).toBe(0);
  });

  it('drops the oldest rows beyond capacity and counts them', () => {
    const buffer = new LogRingBuffer(3);
    for (const t of ['a', 'b', 'c', 'd', 'e']) buffer.push(line(t));
    expect(buffer.length).toBe(3);
    expect(buffer.toArray().map((e) => e.text)).toEqual(['c', 'd', 'e']);
    expect(buffer.at(0)?.text).toBe('c');
    expect(buffer.at(2)?.text).toBe('e');
    expect(buffer.at(3)).toBeUndefined();
    expect(buffer.at(-1)).toBeUndefined();
    expect(buffer.discarded).toBe(2);
  });

  it('stays at 10,000 rows when a busy log pushes a hundred thousand', () => {
    const buffer = new LogRingBuffer();
    for (let i = 0; i < 100_000; i++) buffer.push(line(`line ${i}`));
    expect(buffer.length).toBe(10_000);
    expect(buffer.discarded).toBe(90_000);
    expect(buffer.at(0)?.text).toBe('line 90000');
    expect(buffer.at(9_999)?.text).toBe('line 99999');
  });

  it('gives every row a unique growing sequence number, also across clear()', () => {
    const buffer = new LogRingBuffer(2);
    const first = buffer.push(line('a'));
    buffer.push({ kind: 'marker', marker: 'dropped', ts: 2, text: '3 lines dropped' });
    buffer.clear();
    expect(buffer.length).toBe(0);
    expect(buffer.discarded).toBe(0);
    const after = buffer.push(line('b'));
    expect(after.seq).toBeGreaterThan(first.seq + 1);
    expect(buffer.toArray()).toEqual([after]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LogRingBuffer(0)).toThrow(RangeError);
  });
});
